"""ChatSession over the real engine process and SmolLM2: what the Chat pane and the local API share."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from slmdesk.chat import ChatSession
from slmdesk.engine import Done, EngineClient, LoadSettings, SamplingParams, Token
from slmdesk.inventory.repository import open_inventory
from slmdesk.paths import AppPaths

pytestmark = pytest.mark.slow

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


def test_a_conversation_streams_stores_stops_and_goes_on_after_a_failed_reply(setup) -> None:
    inventory, client = setup
    chat = ChatSession.create(inventory, system_prompt="Answer in one word.")

    events = list(chat.stream(client, chat.send("Name the capital city of France.", GREEDY)))
    assert isinstance(events[-1], Done) and "Paris" in events[-1].text
    stored = chat.history()[-1]
    assert "Paris" in stored.content and stored.stats["completion_tokens"] > 0
    assert chat.conversation().title == "Name the capital city of France."

    # The consumer stops after the first token: the engine is cancelled, the text so far kept.
    stream = chat.stream(client, chat.send("Write a long story about a lighthouse keeper.", SamplingParams(max_tokens=200)))
    first = next(event for event in stream if isinstance(event, Token))
    stream.close()
    stopped = chat.history()[-1]
    assert stopped.content == first.text and stopped.stats["note"] == "Stopped by you."

    # A reply that failed before its first token leaves two user turns in the store; the engine
    # gets them as one, and the engine is still usable after the cancel above.
    chat.send("And of Italy?", GREEDY)
    chat.fail_reply("The engine stopped while generating.")
    reply = chat.send("One word, please.", GREEDY)
    assert reply.messages[-1] == {"role": "user", "content": "And of Italy?\n\nOne word, please."}
    done = [event for event in chat.stream(client, reply) if isinstance(event, Done)][0]
    assert done.text and chat.history()[-1].content == done.text
