"""Hugging Face Hub model search: one request to the Hub's ``/api/models``, refused without any
connection when offline mode is on."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from slmdesk.core import serial
from slmdesk.core.errors import UserError
from slmdesk.hub.errors import HubOffline, HubUnreachable, check_status, endpoint, hub_call, refuse_if_offline

DEFAULT_LIMIT = 20
"""Models returned by default, the most downloaded first."""

MAX_LIMIT = 1000
"""The most one request may ask for (the Hub's own cap on ``/api/models``)."""

DEFAULT_TIMEOUT_S = 10.0
"""How long (seconds) to wait for the connection and then for each read of the answer."""

DEFAULT_PAGE_SIZE = 30
"""Models per page of :func:`search_page` (the Catalog loads the next page as the list scrolls)."""

FORMAT_FILTERS: dict[str, str] = {"gguf": "gguf", "onnx": "onnx"}
"""``formats`` of :func:`search_page` -> the Hub's ``filter`` value (a tag or library name)."""

SORTS = ("downloads", "likes", "last_modified", "created_at", "trending_score")
"""The Hub's sort keys for ``/api/models`` (always descending)."""

EXPAND = ("downloads", "likes", "library_name", "pipeline_tag", "tags", "lastModified", "createdAt", "gated",
          "private")
"""The properties asked for each model: the Hub's default listing leaves out ``lastModified`` and
``gated`` (``expand`` replaces the default set, so every field :class:`HubModel` reads is named)."""

_NOT_A_LIST = "If HF_ENDPOINT is set, check that it names a Hub."


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


@dataclass(frozen=True)
class SearchPage:
    """One page of search results.

    Attributes:
        models: the models of this page, in the Hub's order.
        next_cursor: where the next page is (the Hub's ``Link: <...>; rel="next"`` URL; opaque:
            pass it back as ``cursor``), None on the last page.
    """

    models: tuple[HubModel, ...]
    next_cursor: str | None


def search_models(query: str, limit: int = DEFAULT_LIMIT, timeout_s: float = DEFAULT_TIMEOUT_S) -> list[HubModel]:
    """Search the Hub's models for ``query`` (in the repository name), the most downloaded first.

    One anonymous ``GET {HF_ENDPOINT}/api/models?search=...&sort=downloads&limit=...&expand=...``
    (no token is sent: a search needs none) through huggingface_hub's HTTP session (its proxy
    settings and offline switch apply), without its retries: ``HfApi.list_models``
    (huggingface_hub 2.4) retries a failed connection five times over about 23 s and has no
    timeout on a silent network, which a person waiting at a prompt should not sit through.

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
    refuse_if_offline("search it")
    if not query.strip():
        raise UserError("The search is empty.", "Give a word from the model's name, such as 'smollm2' or 'gguf'.")
    if not 1 <= limit <= MAX_LIMIT:
        raise UserError(f"A limit of {limit} models is out of range.", f"Use 1 to {MAX_LIMIT}.")
    params = {"search": query.strip(), "sort": "downloads", "limit": limit, "expand": list(EXPAND)}
    models, _next = _list_models(None, params, timeout_s)
    return list(models[:limit])


def search_page(query: str, *, formats: str | None = None, sort: str = "downloads",
                page_size: int = DEFAULT_PAGE_SIZE, cursor: str | None = None,
                timeout_s: float = DEFAULT_TIMEOUT_S) -> SearchPage:
    """One page of the Hub's models matching ``query``, sorted by ``sort`` (descending).

    Safe to call from a worker thread: one anonymous request (no token, no retries), bounded by
    ``timeout_s``; a refused or closed connection fails at once. To cancel, stop waiting for it
    (the GUI drops a superseded query's result).

    Args:
        query: words from the repository name; may be empty when ``formats`` is given (browse).
        formats: ``"gguf"``: repositories with GGUF files (the Hub gives them the ``gguf``
            library tag); ``"onnx"``: repositories with ONNX files (the ``onnx`` tag). ONNX
            Runtime GenAI models carry ``onnx`` too, and often ``onnxruntime`` or
            ``onnxruntime-genai`` from their model card, but not reliably (several of Microsoft's
            ``*-onnx`` repositories have neither), so the filter stays ``onnx`` and the repo view
            tells a GenAI folder apart by its ``genai_config.json``. None: any model.
        sort: one of :data:`SORTS` (``"downloads"``, ``"likes"``, ``"last_modified"``,
            ``"created_at"``, ``"trending_score"``).
        page_size: models per page, 1 to :data:`MAX_LIMIT`.
        cursor: the ``next_cursor`` of the previous page; None for the first page. The other
            arguments are not used then (the cursor URL carries them).
        timeout_s: seconds to wait for the connection and for each read.

    Returns:
        The page and the cursor of the next one (None on the last page).

    Raises:
        HubOffline: offline mode is on; nothing was attempted.
        HubUnreachable: no connection, or no answer within ``timeout_s``.
        UserError: an empty query without a format, an unknown format or sort, a page size out
            of range, a cursor that is not a search URL of this Hub; the Hub answered with an
            error or with something that is not a list of models.
    """
    refuse_if_offline("search it")
    if cursor is not None:
        if not cursor.startswith(f"{endpoint()}/api/models?"):  # never follow a link off this Hub
            raise UserError("That page of results belongs to another Hub.", "Start the search again.")
        models, next_url = _list_models(cursor, None, timeout_s)
        return SearchPage(models, next_url)
    if formats is not None and formats not in FORMAT_FILTERS:
        raise UserError(f"Unknown model format {formats!r} for the search.", "Use gguf or onnx, or no format.")
    if sort not in SORTS:
        raise UserError(f"Unknown sort {sort!r} for the search.", f"Use one of: {', '.join(SORTS)}.")
    if not query.strip() and formats is None:
        raise UserError("The search is empty.", "Give a word from the model's name, or pick GGUF or ONNX to browse.")
    if not 1 <= page_size <= MAX_LIMIT:
        raise UserError(f"A page of {page_size} models is out of range.", f"Use 1 to {MAX_LIMIT}.")
    params: dict[str, Any] = {"sort": sort, "limit": page_size, "expand": list(EXPAND)}
    if query.strip():
        params["search"] = query.strip()
    if formats is not None:
        params["filter"] = FORMAT_FILTERS[formats]
    models, next_url = _list_models(None, params, timeout_s)
    return SearchPage(models, next_url)


def _list_models(url: str | None, params: dict[str, Any] | None,
                 timeout_s: float) -> tuple[tuple[HubModel, ...], str | None]:
    """``GET /api/models`` with ``params`` (or the page at ``url``): the models and the next
    page's URL (``Link: <...>; rel="next"``), if any. No token is sent.

    Raises:
        HubOffline, HubUnreachable: see :func:`slmdesk.hub.errors.hub_call`.
        UserError: an error status, or an answer that is not a list of models.
    """
    from huggingface_hub import get_session

    base = endpoint()
    with hub_call(timeout_s, "search it"):
        response = get_session().get(url or f"{base}/api/models", params=params, timeout=timeout_s)
        check_status(response, "the search")
        try:
            items = response.json()
        except ValueError as error:
            raise UserError(f"The Hugging Face Hub at {base} did not answer with a list of models.",
                            _NOT_A_LIST) from error
    if not isinstance(items, list) or not all(isinstance(item, dict) and "id" in item for item in items):
        raise UserError(f"The Hugging Face Hub at {base} did not answer with a list of models.", _NOT_A_LIST)
    next_url = response.links.get("next", {}).get("url")
    return tuple(_hub_model(item) for item in items), next_url or None


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


__all__ = [
    "DEFAULT_LIMIT",
    "DEFAULT_PAGE_SIZE",
    "DEFAULT_TIMEOUT_S",
    "EXPAND",
    "FORMAT_FILTERS",
    "MAX_LIMIT",
    "SORTS",
    "HubModel",
    "HubOffline",
    "HubUnreachable",
    "SearchPage",
    "search_models",
    "search_page",
]
