"""Bad input through the real engine: broken chat templates, split sets with a missing part, a
load that runs out of memory, and an engine whose parent was killed.

The models are copies of the SmolLM2 starter GGUF with changed metadata or split into parts
(``tests/e2e/gguf_copy.py``): real tensors, so llama.cpp loads them as it loads the original.
"""

from __future__ import annotations

import json
import os
import resource
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psutil
import pytest

from slmdesk.engine import Done, EngineClient, EngineError, LoadSettings, SamplingParams
from slmdesk.engine.backend_base import BLANK_TEMPLATE_WARNING
from slmdesk.engine.templates import ALTERNATION_NOTE
from slmdesk.formats.detect import read_spec
from tests.e2e.gguf_copy import copy_gguf
from tests.unit.engine.test_bad_templates import MISTRAL_TEMPLATE

REPO_ROOT = Path(__file__).resolve().parents[2]
SETTINGS = LoadSettings(n_ctx=512, n_threads=1)
GREEDY = SamplingParams(temperature=0.0, max_tokens=24)
QUESTION = [{"role": "user", "content": "Name the capital city of France."}]

DATA_LIMIT_BYTES = 1 << 30
"""RLIMIT_DATA for the out-of-memory tests: 1 GiB of private writable memory. SmolLM2 loads in
far less (its weights are mapped from the file, which the limit does not count); a 131072-token
context needs a 2.9 GB KV cache, which llama.cpp then fails to allocate, as on a machine
without that much free memory."""
HUGE_CTX = 131072
OOM_HINT = "Use a smaller context (n_ctx), a quantized KV cache (q8_0), fewer GPU layers"


def _slmdesk(*args: str, home: Path, limit_data: bool = False) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, SLMDESK_HOME=str(home), PYTHONPATH=str(REPO_ROOT))

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_DATA, (DATA_LIMIT_BYTES, DATA_LIMIT_BYTES))

    return subprocess.run(
        [sys.executable, "-m", "slmdesk", *args], capture_output=True, text=True, timeout=300, env=env,
        cwd=REPO_ROOT, preexec_fn=limit if limit_data else None,
    )


def _json_error(result: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    assert result.returncode == 1, result.stderr
    data: dict[str, Any] = json.loads(result.stdout)
    assert set(data) == {"error", "hint"}
    assert f"slmdesk: error: {data['error']}" in result.stderr
    return data


# -- chat templates ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def blank_template_gguf(smollm2_gguf: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """SmolLM2 whose tokenizer.chat_template is whitespace only (as some published GGUFs have)."""
    target = tmp_path_factory.mktemp("blank") / "SmolLM2-blank-template.gguf"
    [path] = copy_gguf(smollm2_gguf, target, metadata={"tokenizer.chat_template": " \n\t\n "})
    return path


@pytest.fixture(scope="module")
def mistral_template_gguf(smollm2_gguf: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """SmolLM2 carrying Mistral's template, which refuses two user turns in a row."""
    target = tmp_path_factory.mktemp("mistral") / "SmolLM2-mistral-template.gguf"
    [path] = copy_gguf(smollm2_gguf, target, metadata={"tokenizer.chat_template": MISTRAL_TEMPLATE})
    return path


def test_a_whitespace_template_is_no_template_and_the_user_is_heard(blank_template_gguf: Path) -> None:
    with EngineClient() as client:
        info = client.load(blank_template_gguf, SETTINGS)
        assert info.chat_template_source == "fallback"
        assert info.template_warning == BLANK_TEMPLATE_WARNING
        assert info.stop_strings == ("<|im_end|>", "<|im_start|>")
        done = client.chat(QUESTION, GREEDY)
    # SmolLM2 was trained on ChatML, so the named fallback is its own format: it answers.
    assert done.stats.prompt_tokens > 10  # the whitespace template made it one token
    assert "Paris" in done.text


def test_the_inventory_says_a_whitespace_template_model_has_no_chat_template(
    blank_template_gguf: Path, tmp_path: Path
) -> None:
    assert read_spec(blank_template_gguf).chat_template is None
    scanned = _slmdesk("scan", str(blank_template_gguf), "--json", home=tmp_path)
    assert scanned.returncode == 0, scanned.stderr
    [artifact] = json.loads(scanned.stdout)["artifacts"]
    assert artifact["chat_template"] is None
    shown = _slmdesk("show", str(artifact["id"]), home=tmp_path)
    assert "  chat_template: -" in shown.stdout


def test_a_template_that_demands_alternation_gets_consecutive_turns_joined(mistral_template_gguf: Path) -> None:
    two_turns = [
        {"role": "user", "content": "Name the capital city of France."},
        {"role": "user", "content": "Answer with one word."},
    ]
    with EngineClient() as client:
        info = client.load(mistral_template_gguf, SETTINGS)
        assert info.chat_template_source == "model"
        assert not info.system_prompt_supported
        assert any(note.startswith(ALTERNATION_NOTE) for note in info.template_notes)
        one = client.count_tokens(two_turns[:1])
        both = client.count_tokens(two_turns)
        assert both > one + 3  # the second turn's text is in the prompt, not refused
        events = list(client.generate([{"role": "system", "content": "Be brief."}, *two_turns], GREEDY))
    done = events[-1]
    assert isinstance(done, Done)
    assert done.stats.completion_tokens >= 1 and done.stats.prompt_tokens > both - 2


# -- split sets ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def split_parts(smollm2_gguf: Path, tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """SmolLM2 as a 3-part split set (written once per module)."""
    return copy_gguf(smollm2_gguf, tmp_path_factory.mktemp("split") / "smol.gguf", split=3)


def _linked_set(parts: list[Path], folder: Path, leave_out: int | None = None) -> list[Path]:
    """Hard links of ``parts`` in ``folder``, without part number ``leave_out`` (1-based)."""
    folder.mkdir(parents=True, exist_ok=True)
    linked = []
    for number, part in enumerate(parts, 1):
        target = folder / part.name
        if number != leave_out:
            os.link(part, target)
        linked.append(target)
    return linked


def test_a_split_set_with_a_missing_part_is_refused_naming_the_part(split_parts: list[Path], tmp_path: Path) -> None:
    first, _second, third = _linked_set(split_parts, tmp_path / "set", leave_out=2)
    with EngineClient() as client:
        for given in (first, third):
            with pytest.raises(EngineError) as caught:
                client.load(given, SETTINGS)
            assert caught.value.message == (
                f"Cannot load {given.name}: smol-00002-of-00003.gguf is missing from the 3-part set {given.name}."
            )
            assert caught.value.hint == "Download the missing parts again (all parts must be in the same folder)."
        assert client.running  # refused before llama.cpp saw it: no crash


def test_a_complete_split_set_loads_from_any_of_its_parts(split_parts: list[Path]) -> None:
    with EngineClient() as client:
        info = client.load(split_parts[1], SETTINGS)
        assert info.path == str(split_parts[0])
        assert "Paris" in client.chat(QUESTION, GREEDY).text


def test_chat_and_bench_of_an_inventory_set_that_lost_a_part(split_parts: list[Path], tmp_path: Path) -> None:
    home = tmp_path / "home"
    parts = _linked_set(split_parts, tmp_path / "set")
    scanned = _slmdesk("scan", str(parts[0].parent), "--json", home=home)
    assert scanned.returncode == 0, scanned.stderr
    [artifact] = json.loads(scanned.stdout)["artifacts"]
    parts[1].unlink()
    chat = _json_error(_slmdesk("chat", str(artifact["id"]), "-p", "hi", "--json", home=home))
    bench = _json_error(_slmdesk("bench", str(artifact["id"]), "-p", "16", "-n", "4", "-r", "1", "--no-save",
                                 "--json", home=home))
    for data in (chat, bench):
        assert "smol-00002-of-00003.gguf is missing from the 3-part set smol-00001-of-00003.gguf." in data["error"]
        assert data["hint"] == "Download the missing parts again (all parts must be in the same folder)."
        assert "corrupt" not in data["error"] + data["hint"]


# -- out of memory -------------------------------------------------------------------------


@pytest.fixture
def limited_engine() -> Iterator[EngineClient]:
    """An engine process with :data:`DATA_LIMIT_BYTES` of private writable memory."""
    limited = (
        "import resource, sys; "
        f"resource.setrlimit(resource.RLIMIT_DATA, ({DATA_LIMIT_BYTES}, {DATA_LIMIT_BYTES})); "
        "from slmdesk.__main__ import main; sys.exit(main(['engine-host']))"
    )
    client = EngineClient(command=[sys.executable, "-c", limited])
    yield client
    client.close()


def test_a_context_too_large_for_memory_gets_the_memory_hint(smollm2_gguf: Path, limited_engine: EngineClient) -> None:
    with pytest.raises(EngineError) as caught:
        limited_engine.load(smollm2_gguf, LoadSettings(n_ctx=HUGE_CTX, n_threads=1))
    error = caught.value
    assert error.message == (
        f"Not enough memory to load {smollm2_gguf.name} with these settings "
        "(llama.cpp: failed to initialize the context: failed to allocate buffer for kv cache)."
    )
    assert OOM_HINT in error.hint
    assert "corrupt" not in error.hint and "truncated" not in error.hint
    assert limited_engine.running
    limited_engine.load(smollm2_gguf, SETTINGS)  # the same engine, a context that fits
    assert "Paris" in limited_engine.chat(QUESTION, GREEDY).text


def test_chat_and_bench_report_out_of_memory_as_such(smollm2_gguf: Path, tmp_path: Path) -> None:
    chat = _slmdesk("chat", str(smollm2_gguf), "-p", "hi", "--ctx", str(HUGE_CTX), "--threads", "1", "--json",
                    home=tmp_path, limit_data=True)
    bench = _slmdesk("bench", str(smollm2_gguf), "--ctx", str(HUGE_CTX), "-p", "16", "-n", "4", "-r", "1", "-t", "1",
                     "--no-save", "--no-ttft", "--json", home=tmp_path, limit_data=True)
    for result in (chat, bench):
        data = _json_error(result)
        assert data["error"].startswith(f"Not enough memory to load {smollm2_gguf.name} with these settings")
        assert OOM_HINT in data["hint"]


# -- the parent dies -----------------------------------------------------------------------


def test_kill_9_of_the_chat_command_ends_its_busy_engine_at_once(smollm2_gguf: Path, tmp_path: Path) -> None:
    # A 3,000-token prompt on one thread: the engine is inside llama_decode for seconds and
    # cannot notice that its stdin closed.
    prompt = "Write a very long story about a dragon. " * 350
    env = dict(os.environ, SLMDESK_HOME=str(tmp_path), PYTHONPATH=str(REPO_ROOT))
    with subprocess.Popen(
        [sys.executable, "-m", "slmdesk", "chat", str(smollm2_gguf), "-p", prompt, "--ctx", "8192",
         "--max-tokens", "16", "--threads", "1"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, cwd=REPO_ROOT,
    ) as command:
        try:
            engine = _engine_of(command.pid)
            time.sleep(2.0)  # loaded, now processing the prompt
            assert engine.status() != psutil.STATUS_ZOMBIE and command.poll() is None
            command.send_signal(signal.SIGKILL)
            command.wait(10)
            killed = time.monotonic()
            gone = _wait_gone(engine, 10.0)
            outlived_s = time.monotonic() - killed
        finally:
            if command.poll() is None:
                command.kill()
    if not gone:
        engine.kill()
    assert gone and outlived_s < 1.0


def _engine_of(pid: int) -> psutil.Process:
    """The ``engine-host`` child of process ``pid`` (waits up to 60 s for it to start)."""
    parent = psutil.Process(pid)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        for child in parent.children(recursive=True):
            try:
                if "engine-host" in child.cmdline():
                    return child
            except psutil.Error:
                continue
        time.sleep(0.05)
    raise AssertionError("the chat command started no engine")


def _wait_gone(process: psutil.Process, limit_s: float) -> bool:
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        try:
            if process.status() == psutil.STATUS_ZOMBIE:
                return True
        except psutil.NoSuchProcess:
            return True
        time.sleep(0.02)
    return False
