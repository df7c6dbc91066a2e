"""Offline mode, proven through the command line: a whole session (scan, fit, chat, bench, the curated
catalog, a quantization and its quality check, the local server answering the ``openai`` client, a
refused download and Hub search, the Network log) with offline mode on, where
the guard of every process (each command, its engine and probe children, the server's engine)
records zero attempts to leave the computer; and the same guard, offline mode off, recording the
Hub search's connection, so that the proof cannot pass by recording nothing.

Every process writes to one file (``SLMDESK_NETWORK_LOG``) and, with ``SLMDESK_NETGUARD_TRACE=1``,
notes there that its guard started and whether it was offline.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path

import openai

from slmdesk.core import offline
from slmdesk.core.netguard import TRACE_ENV
from slmdesk.core.network_log import LOG_ENV, NetworkEvent, read_events

KEY = "sk-offline-proof-0123"
TEST_NET_HUB = "http://203.0.113.1"
"""A Hub endpoint in TEST-NET-3 (RFC 5737, documentation only): never a real server, so the online
counterpart reaches no one, however the machine is connected."""


def session_env(home: Path, log_file: Path, **extra: str) -> dict[str, str]:
    """The test rig's environment without any offline or telemetry switch of its own (slmdesk must set
    them), one Network log for every process, guard starts traced."""
    removed = {offline.OFFLINE_ENV, offline.ADDED_ENV, *offline.HUB_OFFLINE_VARS, *offline.TELEMETRY_OFF}
    env = {name: value for name, value in os.environ.items() if name not in removed}
    return {**env, "SLMDESK_HOME": str(home), LOG_ENV: str(log_file), TRACE_ENV: "1", **extra}


def slmdesk(*args: str, env: dict[str, str], timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "slmdesk", *args], capture_output=True, text=True, env=env,
                          timeout=timeout)


def attempts(events: list[NetworkEvent]) -> list[NetworkEvent]:
    return [event for event in events if event.is_attempt]


def test_a_whole_cli_session_offline_attempts_nothing(smollm2_gguf: Path, tmp_path: Path) -> None:
    log_file = tmp_path / "attempts.jsonl"
    env = session_env(tmp_path / "home", log_file)

    scanned = slmdesk("--offline", "scan", str(smollm2_gguf), "--json", env=env)
    assert scanned.returncode == 0, scanned.stderr
    model_id = str(json.loads(scanned.stdout)["artifacts"][0]["id"])

    fit = slmdesk("fit", model_id, "--ctx", "512", "--json", "--offline", env=env)
    assert fit.returncode == 0, fit.stderr
    assert json.loads(fit.stdout)["verdict"]

    chat = slmdesk("chat", model_id, "-p", "Name the capital city of France.", "--temperature", "0",
                   "--max-tokens", "8", "--ctx", "512", "--threads", "1", "--json", "--offline", env=env)
    assert chat.returncode == 0, chat.stderr
    assert "Paris" in json.loads(chat.stdout)["text"]

    bench = slmdesk("bench", model_id, "-p", "16", "-n", "4", "-r", "1", "--ctx", "512", "-t", "1", "--no-ttft",
                    "--json", "--offline", env=env)
    assert bench.returncode == 0, bench.stderr
    assert json.loads(bench.stdout)["tg_tokens_per_s"]["mean"] > 0

    catalog = slmdesk("catalog", "--tier", "micro", "--recommend", "--json", "--offline", env=env)
    assert catalog.returncode == 0, catalog.stderr  # the curated catalog is served from disk
    assert {row["family"] for row in json.loads(catalog.stdout)} >= {"SmolLM2", "Gemma 3"}

    variant = tmp_path / "SmolLM2-135M-Instruct-Q8_0.gguf"
    quantized = slmdesk("quantize", model_id, "--type", "Q8_0", "--allow-requantize", "--out", str(variant),
                        "--threads", "1", "--json", "--offline", env=env)
    assert quantized.returncode == 0, quantized.stderr
    assert json.loads(quantized.stdout)["type"] == "Q8_0" and variant.is_file()

    text = tmp_path / "held-out.txt"
    text.write_text("The quick brown fox jumps over the lazy dog. " * 40, encoding="utf-8")
    quality = slmdesk("quality", model_id, str(variant), "--text", str(text), "--ctx", "128", "--json",
                      "--offline", env=env)
    assert quality.returncode == 0, quality.stderr
    assert 0 <= json.loads(quality.stdout)["kld_mean"] < 1

    download = slmdesk("download", "HuggingFaceTB/SmolLM2-135M-Instruct", "model.gguf", "--json", "--offline",
                       env=env)
    assert download.returncode == 1 and "Offline mode is on" in json.loads(download.stdout)["error"]

    served = subprocess.Popen(
        [sys.executable, "-m", "slmdesk", "serve", "--offline", "--model", str(smollm2_gguf), "--port", "0",
         "--api-key", KEY, "--ctx", "512", "--threads", "1"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )
    try:
        assert served.stdout is not None
        line = served.stdout.readline()
        assert line.strip().startswith("base URL"), line + (served.stderr.read() if served.poll() else "")
        address = line.split()[-1]
        assert address.startswith("http://127.0.0.1:")
        client = openai.OpenAI(base_url=address, api_key=KEY, max_retries=0, timeout=120)
        reply = client.chat.completions.create(
            model="SmolLM2-135M-Instruct.Q4_1", temperature=0, max_tokens=8,
            messages=[{"role": "user", "content": "Name the capital city of France."}],
        )
        assert "Paris" in (reply.choices[0].message.content or "")
        served.send_signal(signal.SIGTERM)
        _, stderr = served.communicate(timeout=60)
        assert served.returncode == 0, stderr
    finally:
        if served.poll() is None:
            served.kill()
            served.communicate()

    search = slmdesk("hub", "search", "smollm2", "--json", "--offline", env=env)
    assert search.returncode == 1
    assert json.loads(search.stdout) == {
        "error": "Offline mode is on (--offline or SLMDESK_OFFLINE=1). slmdesk does not connect to the Hugging Face "
                 "Hub, so it cannot search it.",
        "hint": "To connect, run without --offline and with SLMDESK_OFFLINE unset. Models already on this computer "
                "keep working.",
    }
    assert "Traceback" not in search.stderr

    shown = slmdesk("network-log", "--json", "--offline", env=env)
    assert shown.returncode == 0, shown.stderr
    assert [entry for entry in json.loads(shown.stdout)["entries"] if entry["action"] != "guard"] == []

    events = read_events(log_file)
    assert attempts(events) == []  # the proof: not one connection or lookup beyond this computer
    started = Counter(event.process for event in events)
    assert {"slmdesk scan", "slmdesk fit", "slmdesk chat", "slmdesk bench", "slmdesk catalog", "slmdesk quantize",
            "slmdesk quality", "slmdesk download", "slmdesk serve", "slmdesk hub search",
            "slmdesk network-log"} <= set(started), started
    assert started["slmdesk engine-host"] >= 3, started  # chat's, bench's and the server's engines were guarded too
    assert {"slmdesk quantize-child", "slmdesk quality-child"} <= set(started), started  # so were the job children
    assert all(event.offline for event in events), [e for e in events if not e.offline]


def test_with_offline_mode_off_the_guard_records_the_hub_request(tmp_path: Path) -> None:
    log_file = tmp_path / "attempts.jsonl"
    env = session_env(tmp_path / "home", log_file, HF_ENDPOINT=TEST_NET_HUB)

    search = slmdesk("hub", "search", "smollm2", "--timeout", "3", "--json", env=env, timeout=60)
    # No Hub lives there: unreachable, timed out, or whatever a middlebox answers; never a traceback.
    assert search.returncode == 1, search.stdout + search.stderr
    assert f"Hugging Face Hub at {TEST_NET_HUB}" in json.loads(search.stdout)["error"]
    assert "Traceback" not in search.stderr
    [connect, *_retries] = attempts(read_events(log_file))
    assert (connect.action, connect.target, connect.blocked, connect.offline) == ("connect", "203.0.113.1:80",
                                                                                  False, False)
    assert connect.process == "slmdesk hub search" and connect.caller == "slmdesk.hub.search._list_models"
    assert connect.module.startswith("httpcore")  # the library that opened the socket

    # The same command with offline mode on: refused before any attempt.
    log_file.unlink()
    refused = slmdesk("hub", "search", "smollm2", "--json", env={**env, offline.OFFLINE_ENV: "1"}, timeout=60)
    assert refused.returncode == 1 and "Offline mode is on" in json.loads(refused.stdout)["error"]
    assert attempts(read_events(log_file)) == []
    shown = slmdesk("network-log", env=env)
    assert shown.stdout.splitlines()[-1] == "0 attempt(s) shown, 0 blocked."
