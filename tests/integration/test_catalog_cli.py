"""``slmdesk catalog`` as a user runs it: a table, filters, JSON rows, recommendations, offline."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]


def _slmdesk(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, SLMDESK_HOME=str(home), PYTHONPATH=str(REPO_ROOT))
    return subprocess.run([sys.executable, "-m", "slmdesk", *args], capture_output=True, text=True, timeout=120,
                          env=env, cwd=REPO_ROOT)


def test_json_rows_on_a_preset_offline(tmp_path: Path) -> None:
    result = _slmdesk("--offline", "catalog", "--profile", "laptop-8gb", "--tier", "micro", "--json", home=tmp_path)
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    assert rows and all(row["tier"] == "micro" for row in rows)
    smol = next(r for r in rows if (r["model"], r["quant"]) == ("smollm2-135m-instruct", "Q4_1"))
    assert smol["size_bytes"] == 98_362_432
    assert smol["verdict"] == "cpu_only"
    assert smol["max_ctx"] == 8192
    assert smol["tg_bound_tps"] > 100
    assert {"model", "quant", "size_bytes", "verdict", "max_ctx", "tg_bound_tps"} <= smol.keys()


def test_fits_keeps_what_fits_and_the_table_reads(tmp_path: Path) -> None:
    result = _slmdesk("catalog", "--fits", "--profile", "laptop-4gb", "--ctx", "2048", home=tmp_path)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("Catalog of ") and "'4 GB budget laptop, no GPU'" in lines[0]
    assert lines[1].split() == ["MODEL", "TIER", "QUANT", "SIZE", "VERDICT", "MAX", "CTX", "TG", "BOUND"]
    body = lines[2:]
    assert any(line.startswith("qwen3-0.6b ") for line in body)
    assert not any("will not fit" in line or line.startswith("qwen3-30b-a3b") for line in body)
    assert not any(line.startswith("bitnet") for line in body)


def test_recommend_and_a_bad_profile(tmp_path: Path) -> None:
    result = _slmdesk("catalog", "--recommend", "--profile", "desktop-32gb-gpu-24gb", "--json", home=tmp_path)
    assert result.returncode == 0, result.stderr
    picks = json.loads(result.stdout)
    assert [p["rank"] for p in picks] == list(range(1, len(picks) + 1))
    assert picks[0]["model"] == "qwen3-30b-a3b" and picks[0]["why"].startswith("largest Qwen3")
    bad = _slmdesk("catalog", "--profile", "no-such-machine", "--json", home=tmp_path)
    assert bad.returncode == 1
    assert "no hardware profile called 'no-such-machine'" in json.loads(bad.stdout)["error"]
