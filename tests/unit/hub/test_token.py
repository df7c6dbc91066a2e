"""Where the Hub token comes from (HF_TOKEN, huggingface_hub's store, the implicit-token switch)
and what a 401/403 says: what to do, never the token."""

from __future__ import annotations

from pathlib import Path

import pytest

from slmdesk.hub.token import access_denied, auth_headers, hub_token


@pytest.fixture
def store(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """huggingface_hub's token file in a temporary HF_HOME, no HF_TOKEN."""
    from huggingface_hub import constants

    for name in ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    token_file = tmp_path / "token"
    monkeypatch.setattr(constants, "HF_TOKEN_PATH", str(token_file))
    monkeypatch.setattr(constants, "HF_STORED_TOKENS_PATH", str(tmp_path / "stored_tokens"))
    monkeypatch.setattr(constants, "HF_HUB_DISABLE_IMPLICIT_TOKEN", False)
    return token_file


def test_no_token_anywhere(store: Path) -> None:
    assert hub_token() is None and auth_headers(None) == {}


def test_stored_token_unless_implicit_tokens_are_disabled(store: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from huggingface_hub import constants

    store.write_text("hf_stored\n")
    assert hub_token() == "hf_stored"
    monkeypatch.setattr(constants, "HF_HUB_DISABLE_IMPLICIT_TOKEN", True)
    assert hub_token() is None


def test_hf_token_wins_even_with_implicit_tokens_disabled(store: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from huggingface_hub import constants

    store.write_text("hf_stored")
    monkeypatch.setenv("HF_TOKEN", " hf_env ")
    monkeypatch.setattr(constants, "HF_HUB_DISABLE_IMPLICIT_TOKEN", True)
    assert hub_token() == "hf_env"
    assert auth_headers("hf_env") == {"Authorization": "Bearer hf_env"}


@pytest.mark.parametrize(("status", "code", "sent", "start"), [
    (401, "GatedRepo", False, "This model is gated: accept its licence at "),
    (403, "GatedRepo", True, "This model is gated and the Hugging Face account signed in here has no access"),
    (401, "RepoNotFound", False, "The Hugging Face Hub did not show org/m: it does not exist, or it is private"),
    (401, "RepoNotFound", True, "The Hugging Face Hub rejected the token for org/m"),
    (403, "", True, "The Hugging Face Hub refused access for org/m"),
])
def test_access_denied_says_what_to_do(status: int, code: str, sent: bool, start: str,
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_TOKEN", "hf_do_not_show")
    error = access_denied("org/m", status, code, sent)
    assert error.message.startswith(start)
    assert "hf auth login" in f"{error.message} {error.hint}"
    assert "hf_do_not_show" not in str(error)
