"""The Hugging Face token for gated and private repositories: found where huggingface_hub keeps it,
sent only as an ``Authorization`` header, never logged, shown or stored by slmdesk."""

from __future__ import annotations

import os

from slmdesk.hub.errors import HubAccessDenied, endpoint

SIGN_IN_HINT = "Sign in here with `hf auth login`, or set HF_TOKEN to a token from {base}/settings/tokens."


def hub_token() -> str | None:
    """The token to send to the Hub, or None (then requests are anonymous).

    ``HF_TOKEN`` (or the older ``HUGGING_FACE_HUB_TOKEN``) when set: the person chose it for this
    run. Otherwise the token huggingface_hub stored with ``hf auth login``
    (``huggingface_hub.get_token()``: ``$HF_HOME/token``, refreshed if it is an expiring OAuth
    token), unless ``HF_HUB_DISABLE_IMPLICIT_TOKEN`` is set: like huggingface_hub, a stored token
    is then never sent unasked. Search sends no token whatever this returns.
    """
    from huggingface_hub import constants, get_token

    explicit = (os.environ.get("HF_TOKEN") or os.environ.get("HUGGING_FACE_HUB_TOKEN") or "").strip()
    if explicit:
        return explicit
    if constants.HF_HUB_DISABLE_IMPLICIT_TOKEN:
        return None
    token = (get_token() or "").strip()
    return token or None


def auth_headers(token: str | None) -> dict[str, str]:
    """``{"Authorization": "Bearer <token>"}``, or ``{}`` without a token."""
    return {"Authorization": f"Bearer {token}"} if token else {}


def access_denied(repo_id: str, status: int, error_code: str, token_sent: bool) -> HubAccessDenied:
    """The error for a 401/403 answer about ``repo_id``, saying what to do. The token is not in it.

    Args:
        status: 401 (no or unknown token) or 403 (a token without access).
        error_code: the Hub's ``X-Error-Code`` (``GatedRepo``, ``RepoNotFound``...), may be empty.
        token_sent: whether the request carried a token.
    """
    base = endpoint()
    page = f"{base}/{repo_id}"
    sign_in = SIGN_IN_HINT.format(base=base)
    if error_code == "GatedRepo":
        if token_sent:
            return HubAccessDenied(
                f"This model is gated and the Hugging Face account signed in here has no access to it yet: "
                f"accept its licence at {page} (signed in with that account).",
                f"Access may take a while if the authors review requests. If you accepted with another account, "
                f"{sign_in[0].lower()}{sign_in[1:]}",
            )
        return HubAccessDenied(
            f"This model is gated: accept its licence at {page} (signed in), then sign in here with "
            "`hf auth login` or set HF_TOKEN.",
            sign_in,
        )
    if token_sent:
        verb = "rejected the token" if status == 401 else "refused access"
        return HubAccessDenied(
            f"The Hugging Face Hub {verb} for {repo_id}: the repository is private to another account, or the "
            "token has expired or has no read permission.",
            f"Check the repository id; {sign_in[0].lower()}{sign_in[1:]}",
        )
    return HubAccessDenied(
        f"The Hugging Face Hub did not show {repo_id}: it does not exist, or it is private and nobody is signed in.",
        f"Check the repository id. If it is private or gated, {sign_in[0].lower()}{sign_in[1:]}",
    )
