"""``slmdesk download`` as a process: killed with SIGKILL mid-file, run again it resumes, verifies
and registers the real starter GGUF; failures are one line without a traceback."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from slmdesk.core import offline
from slmdesk.core.network_log import read_events
from tests.fake_hub import FakeHub, gguf_repo


def env_for(hub: FakeHub, home: Path) -> dict[str, str]:
    removed = {offline.OFFLINE_ENV, offline.ADDED_ENV, *offline.HUB_OFFLINE_VARS, "HF_TOKEN"}
    env = {k: v for k, v in os.environ.items() if k not in removed}
    env.update(SLMDESK_HOME=str(home / "slmdesk"), HF_HOME=str(home / "hf"), HF_ENDPOINT=hub.endpoint,
               HF_HUB_DISABLE_IMPLICIT_TOKEN="1")
    return env


def test_killed_mid_file_then_resumed_verified_and_registered(smollm2_gguf: Path, tmp_path: Path) -> None:
    with FakeHub([gguf_repo("org/smol", smollm2_gguf)]) as hub:
        fake = hub.repos["org/smol"].file(smollm2_gguf.name)
        assert fake is not None
        fake.rate_bytes_per_s = 20e6
        env = env_for(hub, tmp_path)
        argv = [sys.executable, "-m", "slmdesk", "download", "org/smol", smollm2_gguf.name, "--json"]
        child = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        blobs = tmp_path / "hf" / "hub" / "models--org--smol" / "blobs"
        deadline = time.monotonic() + 60
        partial = None
        while time.monotonic() < deadline:
            found = list(blobs.glob("*.incomplete")) if blobs.is_dir() else []
            if found and found[0].stat().st_size > 10_000_000:
                partial = found[0]
                break
            time.sleep(0.05)
        os.kill(child.pid, signal.SIGKILL)
        child.communicate(timeout=30)
        assert partial is not None, "the download never got 10 MB in"
        fake.rate_bytes_per_s = None
        done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        result = json.loads(done.stdout)
        assert result["resumed_from_bytes"] > 10_000_000
        assert result["size_bytes"] == smollm2_gguf.stat().st_size
        assert result["sha256"] == fake.sha256 and isinstance(result["artifact_id"], int)
        assert Path(result["path"]).read_bytes() == smollm2_gguf.read_bytes()
        resumed = [r.headers.get("Range") for r in hub.asked("GET", "/resolve/")][-1]
        assert resumed is not None and int(resumed[6:-1]) > 10_000_000
        log = read_events(tmp_path / "slmdesk" / "data" / "network-log.jsonl")
        assert any(e.action == "request" and e.status == 206 and (e.bytes or 0) > 0 for e in log)

    from slmdesk.inventory.repository import open_inventory

    inventory = open_inventory(tmp_path / "slmdesk" / "data" / "inventory.sqlite3")
    try:
        record = inventory.get_artifact(result["artifact_id"])
        assert record is not None
        assert (record.sha256, record.status, record.source_kind) == (fake.sha256, "ok", "hf_cache")
        assert record.verified_at is not None
        assert dict(record.source_detail) == {"repo_id": "org/smol", "revision": hub.repos["org/smol"].sha,
                                              "refs": ["main"], "file_name": smollm2_gguf.name}
    finally:
        inventory.close()


def test_a_failure_is_one_line_without_traceback(tmp_path: Path) -> None:
    with FakeHub([]) as hub:
        done = subprocess.run([sys.executable, "-m", "slmdesk", "download", "org/none", "m.gguf"],
                              env=env_for(hub, tmp_path), capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert done.stderr.startswith("slmdesk: error: ") and "Traceback" not in done.stderr


def test_offline_refuses_before_any_request(tmp_path: Path) -> None:
    with FakeHub([]) as hub:
        done = subprocess.run([sys.executable, "-m", "slmdesk", "--offline", "download", "org/m", "m.gguf"],
                              env=env_for(hub, tmp_path), capture_output=True, text=True, timeout=60)
        assert hub.requests == []
    assert done.returncode == 1 and "Offline mode is on" in done.stderr
