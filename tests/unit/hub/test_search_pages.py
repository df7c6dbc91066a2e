"""``search_page`` against the fake Hub: format filters, sort orders, browsing without words, pages
followed with the Hub's ``Link: rel="next"`` cursor, no token sent, offline refusal."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from slmdesk.core.errors import UserError
from slmdesk.hub.search import HubOffline, SearchPage, search_page
from tests.fake_hub import FakeHub, FakeRepo, point_at


def _repos() -> list[FakeRepo]:
    return [
        FakeRepo("a/small-gguf", tags=["gguf"], library_name="gguf", downloads=50, likes=9,
                 last_modified="2026-03-01T00:00:00.000Z"),
        FakeRepo("b/small-gguf-2", tags=["gguf"], library_name="gguf", downloads=500, likes=1,
                 last_modified="2026-01-01T00:00:00.000Z"),
        FakeRepo("c/small-onnx", tags=["onnx", "onnxruntime-genai"], library_name="onnx", downloads=5, likes=5,
                 gated=True),
        FakeRepo("d/small-gguf-3", tags=["gguf"], library_name="gguf", downloads=100, likes=3,
                 last_modified="2026-02-01T00:00:00.000Z"),
        FakeRepo("e/other", tags=["transformers"], library_name="transformers", downloads=1000),
    ]


@pytest.fixture
def hub(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeHub]:
    """A fake Hub with five repositories, two per page."""
    with FakeHub(_repos(), page_size=2) as fake:
        point_at(fake, monkeypatch)
        yield fake


def test_pages_follow_the_cursor_to_the_last_page(hub: FakeHub) -> None:
    first = search_page("small", formats="gguf", page_size=2, timeout_s=5)
    assert [m.repo_id for m in first.models] == ["b/small-gguf-2", "d/small-gguf-3"]
    assert first.next_cursor is not None and first.next_cursor.startswith(f"{hub.endpoint}/api/models?")
    second = search_page("ignored when a cursor is given", cursor=first.next_cursor, timeout_s=5)
    assert second == SearchPage(models=second.models, next_cursor=None)
    assert [m.repo_id for m in second.models] == ["a/small-gguf"]
    [query_1, query_2] = [parse_qs(urlsplit(r.path).query) for r in hub.asked("GET", "/api/models")]
    assert query_1["filter"] == ["gguf"] and query_1["sort"] == ["downloads"] and query_1["limit"] == ["2"]
    assert query_2["cursor"] == ["2"] and query_2["search"] == ["small"]


@pytest.mark.parametrize(("sort", "expected"), [
    ("likes", ["a/small-gguf", "d/small-gguf-3"]),
    ("last_modified", ["a/small-gguf", "d/small-gguf-3"]),
    ("downloads", ["b/small-gguf-2", "d/small-gguf-3"]),
])
def test_sort_orders(hub: FakeHub, sort: str, expected: list[str]) -> None:
    assert [m.repo_id for m in search_page("gguf", formats="gguf", sort=sort, timeout_s=5).models] == expected


def test_browse_onnx_without_words(hub: FakeHub) -> None:
    page = search_page("", formats="onnx", timeout_s=5)
    assert [(m.repo_id, m.gated, m.library) for m in page.models] == [("c/small-onnx", True, "onnx")]
    assert page.next_cursor is None
    assert "search" not in parse_qs(urlsplit(hub.asked("GET", "/api/models")[0].path).query)


def test_search_sends_no_token(hub: FakeHub, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_TOKEN", "hf_never_sent_by_search")
    search_page("small", timeout_s=5)
    [request] = hub.asked("GET", "/api/models")
    assert "Authorization" not in request.headers and "authorization" not in request.headers


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"query": " "}, "The search is empty."),
    ({"query": "x", "formats": "safetensors"}, "Unknown model format 'safetensors' for the search."),
    ({"query": "x", "sort": "oldest"}, "Unknown sort 'oldest' for the search."),
    ({"query": "x", "page_size": 0}, "A page of 0 models is out of range."),
    ({"query": "x", "cursor": "http://elsewhere.example/api/models?cursor=2"},
     "That page of results belongs to another Hub."),
])
def test_bad_arguments_are_refused_before_asking(hub: FakeHub, kwargs: dict[str, Any], message: str) -> None:
    query = kwargs.pop("query")
    with pytest.raises(UserError) as refused:
        search_page(query, **kwargs)
    assert refused.value.message == message
    assert hub.asked("GET", "/api/models") == []


def test_offline_refuses_without_a_request(monkeypatch: pytest.MonkeyPatch) -> None:
    from huggingface_hub import constants

    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    with pytest.raises(HubOffline, match=r"^HF_HUB_OFFLINE is set"):
        search_page("", formats="gguf")
