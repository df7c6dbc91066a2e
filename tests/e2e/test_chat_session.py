"""ChatSession over the real engine process and SmolLM2: what the Chat pane and the local API share."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from slmdesk.chat import ChatSession
from slmdesk.engine import Done, EngineClient, LoadSettings, SamplingParams, Token
from slmdesk.inventory.repository import open_inventory
from slmdesk.paths import AppPaths
from tests.e2e.engine_events import record_engine_events

GREEDY = SamplingParams(temperature=0.0, max_tokens=24)


@pytest.fixture
def setup(app_paths: AppPaths, smollm2_gguf: Path) -> Iterator[tuple]:
    app_paths.ensure()
    inventory = open_inventory(app_paths.database)
    client = EngineClient()
    client.load(smollm2_gguf, LoadSettings(n_ctx=512, n_threads=1))
    yield inventory, client
    client.close()
    inventory.close()


def test_a_conversation_streams_stores_stops_and_goes_on_after_a_failed_reply(
    setup, monkeypatch: pytest.MonkeyPatch
) -> None:
    inventory, client = setup
    chat = ChatSession.create(inventory, system_prompt="Answer in one word.")

    events = list(chat.stream(client, chat.send("Name the capital city of France.", GREEDY)))
    assert isinstance(events[-1], Done) and "Paris" in events[-1].text
    stored = chat.history()[-1]
    assert "Paris" in stored.content and stored.stats["completion_tokens"] > 0
    assert chat.conversation().title == "Name the capital city of France."

    # The consumer stops after the first token: the engine is cancelled, the text so far kept.
    received = record_engine_events(client, monkeypatch)
    story = chat.send("Write a long story about a lighthouse keeper.", SamplingParams(max_tokens=200))
    stream = chat.stream(client, story)
    first = next(event for event in stream if isinstance(event, Token))
    stream.close()
    assert received[-1]["ev"] == "done" and received[-1]["stats"]["finish_reason"] == "cancelled"
    assert received[-1]["stats"]["tokens_after_cancel"] in (0, 1)
    stopped = chat.history()[-1]
    assert stopped.content == first.text and stopped.stats["note"] == "Stopped by you."

    # A reply that failed before its first token leaves two user turns in the store; the engine
    # gets them as one, and the engine is still usable after the cancel above.
    chat.send("And of Italy?", GREEDY)
    chat.fail_reply("The engine stopped while generating.")
    reply = chat.send("One word, please.", GREEDY)
    assert reply.messages[-1] == {"role": "user", "content": "And of Italy?\n\nOne word, please."}
    done = next(event for event in chat.stream(client, reply) if isinstance(event, Done))
    assert done.text and chat.history()[-1].content == done.text
