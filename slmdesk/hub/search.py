"""Hugging Face Hub model search: one request to the Hub's ``/api/models``, refused without any
connection when offline mode is on."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from slmdesk.core import offline, serial
from slmdesk.core.errors import UserError

DEFAULT_LIMIT = 20
"""Models returned by default, the most downloaded first."""

MAX_LIMIT = 1000
"""The most one request may ask for (the Hub's own cap on ``/api/models``)."""

DEFAULT_TIMEOUT_S = 10.0
"""How long (seconds) to wait for the connection and then for each read of the answer."""


_NETWORK_HINT = ("Check the internet connection and any proxy (HTTPS_PROXY); models already on this computer "
                 "keep working.")


class HubOffline(UserError):
    """The Hub was not asked: offline mode is on (slmdesk's, or ``HF_HUB_OFFLINE`` set outside it)."""


class HubUnreachable(UserError):
    """The Hub could not be reached or did not answer in time (no network, DNS, proxy, firewall)."""


@dataclass(frozen=True)
class HubModel:
    """One model repository as the Hub's search lists it.

    Attributes:
        repo_id: ``owner/name``.
        downloads: downloads in the last 30 days (the Hub's count); None when not given.
        likes: the repository's likes; None when not given.
        library: the library it is for (``gguf``, ``transformers``, ``onnx``...), None if unknown.
        pipeline_tag: its task (``text-generation``...), None if unknown.
        tags: the repository's tags, in the Hub's order.
        last_modified: when it last changed, ISO 8601 (UTC), None when not given.
        gated: access must be requested first (``"auto"`` or ``"manual"`` on the Hub).
    """

    repo_id: str
    downloads: int | None
    likes: int | None
    library: str | None
    pipeline_tag: str | None
    tags: tuple[str, ...]
    last_modified: str | None
    gated: bool

    def to_json(self) -> dict[str, Any]:
        """The JSON object ``slmdesk hub search --json`` prints for this model (every field,
        ``tags`` as a list)."""
        data: dict[str, Any] = serial.to_builtins(self)
        return data


def search_models(query: str, limit: int = DEFAULT_LIMIT, timeout_s: float = DEFAULT_TIMEOUT_S) -> list[HubModel]:
    """Search the Hub's models for ``query`` (in the repository name), the most downloaded first.

    One anonymous ``GET {HF_ENDPOINT}/api/models?search=...&sort=downloads&limit=...`` (no token
    is sent: a search needs none) through huggingface_hub's HTTP session (its proxy settings and
    offline switch apply), without its retries: ``HfApi.list_models`` (huggingface_hub 2.4) retries
    a failed connection five times over about 23 s and has no timeout on a silent network, which
    a person waiting at a prompt should not sit through.

    Args:
        query: the words to look for; must not be empty.
        limit: at most this many models, 1 to :data:`MAX_LIMIT`.
        timeout_s: seconds to wait for the connection and for each read.

    Returns:
        Up to ``limit`` models, in the Hub's order.

    Raises:
        HubOffline: offline mode is on; nothing was attempted (the message says how to turn it off).
        HubUnreachable: no connection, or no answer within ``timeout_s``.
        UserError: an empty query or a limit out of range; the Hub answered with an error status
            or something that is not a list of models.
    """
    state = offline.current()
    if state.on:
        raise HubOffline(
            f"{state.describe()} slmdesk does not connect to the Hugging Face Hub, so it cannot search it.",
            f"{state.how_to_turn_off()} Models already on this computer keep working.",
        )
    if not query.strip():
        raise UserError("The search is empty.", "Give a word from the model's name, such as 'smollm2' or 'gguf'.")
    if not 1 <= limit <= MAX_LIMIT:
        raise UserError(f"A limit of {limit} models is out of range.", f"Use 1 to {MAX_LIMIT}.")
    import httpx2
    from huggingface_hub import constants, get_session
    from huggingface_hub.errors import OfflineModeIsEnabled

    endpoint = constants.ENDPOINT
    try:
        response = get_session().get(
            f"{endpoint}/api/models", params={"search": query.strip(), "sort": "downloads", "limit": limit},
            timeout=timeout_s,
        )
        items = response.json() if response.is_success else None
    except OfflineModeIsEnabled as error:
        raise HubOffline(
            "HF_HUB_OFFLINE is set in the environment, so huggingface_hub refuses to connect to the Hub.",
            "Unset HF_HUB_OFFLINE and TRANSFORMERS_OFFLINE to search the Hub.",
        ) from error
    except httpx2.TimeoutException as error:
        raise HubUnreachable(f"The Hugging Face Hub at {endpoint} did not answer within {timeout_s:g} s.",
                             _NETWORK_HINT) from error
    except (httpx2.TransportError, OSError) as error:
        raise HubUnreachable(f"Cannot reach the Hugging Face Hub at {endpoint}: {error or type(error).__name__}.",
                             _NETWORK_HINT) from error
    except ValueError as error:
        raise UserError(f"The Hugging Face Hub at {endpoint} did not answer with a list of models.",
                        "If HF_ENDPOINT is set, check that it names a Hub.") from error
    if not response.is_success:
        status = f"{response.status_code} {response.reason_phrase}".strip()
        raise UserError(f"The Hugging Face Hub at {endpoint} answered {status} to the search.",
                        "Try again later; if HF_ENDPOINT is set, check that it names a Hub.")
    if not isinstance(items, list) or not all(isinstance(item, dict) and "id" in item for item in items):
        raise UserError(f"The Hugging Face Hub at {endpoint} did not answer with a list of models.",
                        "If HF_ENDPOINT is set, check that it names a Hub.")
    return [_hub_model(item) for item in items[:limit]]


def _hub_model(item: dict[str, Any]) -> HubModel:
    """A :class:`HubModel` from one object of ``/api/models`` (the Hub's camelCase keys, as
    huggingface_hub's ``ModelInfo`` reads them); a field of the wrong type is left out."""

    def number(key: str) -> int | None:
        value = item.get(key)
        return value if isinstance(value, int) and not isinstance(value, bool) else None

    def text(key: str) -> str | None:
        value = item.get(key)
        return value if isinstance(value, str) and value else None

    tags = item.get("tags")
    return HubModel(
        repo_id=str(item["id"]),
        downloads=number("downloads"),
        likes=number("likes"),
        library=text("library_name"),
        pipeline_tag=text("pipeline_tag"),
        tags=tuple(tag for tag in tags if isinstance(tag, str)) if isinstance(tags, list) else (),
        last_modified=text("lastModified"),
        gated=item.get("gated") not in (None, False),
    )
