"""Conversations and messages persist in the real SQLite inventory."""

from __future__ import annotations

import json

import pytest

from slmdesk.core.errors import UserError
from slmdesk.inventory import conversations as store
from slmdesk.inventory.repository import open_inventory
from slmdesk.paths import AppPaths
from slmdesk.ui.chat.export import conversation_json, conversation_markdown


def test_conversation_round_trip_survives_reopening(inventory, app_paths: AppPaths) -> None:
    chat = store.create_conversation(inventory, "Capitals", system_prompt="Be brief.",
                                     settings={"temperature": 0.0, "seed": 7})
    store.add_message(inventory, chat.id, "user", "What is the capital of France?")
    reply = store.add_message(inventory, chat.id, "assistant", "")
    store.update_message(inventory, reply.id, "Paris.", {"completion_tokens": 3, "tg_tokens_per_s": 50.0})
    inventory.close()

    reopened = open_inventory(app_paths.database)
    try:
        [found] = store.list_conversations(reopened)
        assert found.title == "Capitals" and found.system_prompt == "Be brief."
        assert found.settings["seed"] == 7
        messages = store.list_messages(reopened, found.id)
        assert [(m.role, m.content) for m in messages] == [
            ("user", "What is the capital of France?"), ("assistant", "Paris.")]
        assert messages[1].stats["completion_tokens"] == 3
    finally:
        reopened.close()


def test_search_rename_delete_and_truncate(inventory) -> None:
    a = store.create_conversation(inventory, "Cooking")
    b = store.create_conversation(inventory, "Travel")
    store.add_message(inventory, b.id, "user", "Trains in Japan?")
    assert [c.title for c in store.list_conversations(inventory, "japan")] == ["Travel"]
    assert [c.title for c in store.list_conversations(inventory, "cook")] == ["Cooking"]
    store.update_conversation(inventory, a.id, title="Recipes")
    assert store.get_conversation(inventory, a.id).title == "Recipes"

    first = store.add_message(inventory, a.id, "user", "one")
    store.add_message(inventory, a.id, "assistant", "two")
    store.add_message(inventory, a.id, "user", "three")
    assert store.delete_messages_from(inventory, a.id, first.id + 1) == 2
    assert [m.content for m in store.list_messages(inventory, a.id)] == ["one"]

    store.delete_conversation(inventory, a.id)
    with pytest.raises(UserError, match="no longer exists"):
        store.add_message(inventory, a.id, "user", "late")
    assert [c.title for c in store.list_conversations(inventory)] == ["Travel"]


def test_exports_record_model_hash_and_sampling(inventory) -> None:
    chat = store.create_conversation(inventory, "Q", system_prompt="sys",
                                     settings={"temperature": 0.2, "seed": 42, "top_k": 40})
    store.add_message(inventory, chat.id, "user", "Hi")
    store.add_message(inventory, chat.id, "assistant", "Hello **there**", {"completion_tokens": 4,
                      "tg_tokens_per_s": 12.5, "ttft_s": 0.1})
    model = {"name": "SmolLM2", "sha256": "ab" * 32, "quantization": "Q4_1", "backend": "llama.cpp",
             "backend_version": "0.3.36", "format": "gguf"}
    conversation = store.get_conversation(inventory, chat.id)
    messages = store.list_messages(inventory, chat.id)
    data = json.loads(json.dumps(conversation_json(conversation, messages, model)))
    assert data["model"]["sha256"] == "ab" * 32
    assert data["model"]["quantization"] == "Q4_1" and data["model"]["backend"] == "llama.cpp"
    assert data["seed"] == 42 and data["sampling"]["temperature"] == 0.2
    assert [m["content"] for m in data["messages"]] == ["Hi", "Hello **there**"]
    text = conversation_markdown(conversation, messages, model)
    assert "`" + "ab" * 32 + "`" in text
    assert "## You\n\nHi" in text and "## Assistant\n\nHello **there**" in text
    assert "seed=42" in text
