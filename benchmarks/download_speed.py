"""Download throughput: slmdesk's resumable downloader against ``curl -o`` on the same URL of the
fake Hub (127.0.0.1), the starter GGUF (SmolLM2-135M Q4_1, ~100 MB), rounds alternated.

Run: .venv/bin/python benchmarks/download_speed.py [ROUNDS]
Goal (issue 13): slmdesk >= 0.9x curl's median MB/s. Also prints the largest gap between two
progress events of slmdesk's task (the GUI shows ~10 per second). The fake Hub runs in a process
of its own (in this process it would share the GIL with slmdesk's downloader, not with curl);
both clients still share the machine's cores with it, so absolute numbers measure the server too.
"""

from __future__ import annotations

import itertools
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

os.environ.pop("HF_HUB_OFFLINE", None)
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")


HUB_PROCESS = """
import sys, time
from pathlib import Path
from tests.fake_hub import FakeHub, gguf_repo
hub = FakeHub([gguf_repo("bench/smol", Path(sys.argv[1]))]).start()
print(hub.endpoint, flush=True)
time.sleep(3600)
"""
"""The fake Hub's own process: prints its endpoint, serves until terminated."""


def main(rounds: int) -> None:
    from huggingface_hub import constants

    from slmdesk.core.tasks import Progress, run_inline
    from slmdesk.hub import starter
    from slmdesk.hub.download import DownloadRequest, download_task, plan_download

    gguf = run_inline(starter.prepare_task(starter.SMOLLM2, Path(tempfile.gettempdir()) / "slmdesk-bench-models"))
    size = gguf.stat().st_size
    curl = shutil.which("curl")
    ours: list[float] = []
    theirs: list[float] = []
    gaps: list[float] = []
    server = subprocess.Popen([sys.executable, "-c", HUB_PROCESS, str(gguf)], stdout=subprocess.PIPE, text=True,
                              cwd=Path(__file__).resolve().parents[1])
    assert server.stdout is not None
    endpoint = server.stdout.readline().strip()
    with tempfile.TemporaryDirectory() as scratch:
        constants.ENDPOINT = endpoint
        constants.HUGGINGFACE_CO_URL_TEMPLATE = endpoint + "/{repo_id}/resolve/{revision}/{filename}"
        url = f"{endpoint}/bench/smol/resolve/main/{gguf.name}"
        for i in range(rounds):
            target = Path(scratch) / f"ours{i}"
            plan = plan_download(DownloadRequest("bench/smol", gguf.name, target_dir=target))
            times: list[float] = []

            def seen(_event: Progress, times: list[float] = times) -> None:
                times.append(time.perf_counter())

            start = time.perf_counter()
            run_inline(download_task(plan), on_progress=seen)
            elapsed = time.perf_counter() - start
            ours.append(size / elapsed / 1e6)
            stamps = [start, *times]
            gaps.append(max(b - a for a, b in itertools.pairwise(stamps)))
            shutil.rmtree(target)
            if curl:
                out = Path(scratch) / f"curl{i}"
                start = time.perf_counter()
                subprocess.run([curl, "-s", "-f", "-o", str(out), url], check=True)
                theirs.append(size / (time.perf_counter() - start) / 1e6)
                out.unlink()
    server.terminate()
    server.wait()
    print(f"file: {gguf.name}, {size / 1e6:.1f} MB, {rounds} rounds")
    print(f"slmdesk downloader (verified SHA-256): median {statistics.median(ours):.0f} MB/s "
          f"(rounds: {', '.join(f'{x:.0f}' for x in ours)})")
    if theirs:
        print(f"curl -o:                               median {statistics.median(theirs):.0f} MB/s "
              f"(rounds: {', '.join(f'{x:.0f}' for x in theirs)})")
        print(f"ratio slmdesk / curl: {statistics.median(ours) / statistics.median(theirs):.2f}x (goal >= 0.9x)")
    else:
        print("curl not found: no comparison")
    print(f"largest gap between progress events: {max(gaps) * 1000:.0f} ms")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5)
