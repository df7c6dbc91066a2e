"""The API server borrowing another engine (the GUI's Chat engine), over stand-in engines: requests
for its model run there; once it holds another model, waiting and new requests go to the pool's
own engines."""

from __future__ import annotations

import threading

from tests.integration.api_rig import ALPHA, BETA, FakeEngine, chat, reply_for


def test_requests_for_the_borrowed_engines_model_run_there_and_others_on_own_engines(rig) -> None:
    chat_engine = FakeEngine([], 512, 0.002)
    chat_engine.load(ALPHA.path, None)  # type: ignore[arg-type]
    r = rig(shared_engine=lambda: chat_engine)
    client = r.client()
    assert chat(client, "one two").choices[0].message.content == reply_for("one two")
    assert chat_engine.loads == ["alpha.gguf"] and r.engines == []  # served by Chat's engine, no load
    assert chat(client, "three four", model="beta").choices[0].message.content == reply_for("three four")
    assert [e.loads for e in r.engines] == [["beta.gguf"]]  # another model: an engine of the pool's own
    stats = r.server.stats()
    assert (stats["engines"], stats["models"], stats["shared"]) == (1, ["beta"], "alpha")


def test_a_request_waiting_while_chat_swaps_the_model_is_served_by_a_fresh_engine(rig) -> None:
    chat_engine = FakeEngine([], 512, 0.05)
    chat_engine.load(ALPHA.path, None)  # type: ignore[arg-type]
    r = rig(shared_engine=lambda: chat_engine, max_engines=2)
    client = r.client()
    answers: dict[str, str] = {}

    def ask(text: str) -> None:
        answers[text] = chat(client, text).choices[0].message.content or ""

    first = threading.Thread(target=ask, args=("a long first question here",))
    first.start()
    while not chat_engine.token_times:  # the first reply streams on Chat's engine
        threading.Event().wait(0.01)
    second = threading.Thread(target=ask, args=("second one",))
    second.start()
    threading.Event().wait(0.2)  # queued behind the first on the shared worker
    chat_engine.load(BETA.path, None)  # type: ignore[arg-type]  # Chat loads another model
    first.join(30)
    second.join(30)
    assert answers == {"a long first question here": reply_for("a long first question here"),
                       "second one": reply_for("second one")}
    assert chat_engine.order == ["a long first question here"]
    assert [(e.loads, e.order) for e in r.engines] == [(["alpha.gguf"], ["second one"])]
    # Chat unloads: every request for alpha now goes to the pool's engine.
    chat_engine.load_info = None
    assert chat(client, "third").choices[0].message.content == reply_for("third")
    assert chat_engine.order == ["a long first question here"] and r.engines[0].order == ["second one", "third"]
