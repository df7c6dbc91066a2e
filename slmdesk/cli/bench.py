"""``slmdesk bench``: llama-bench's pp/tg, TTFT, memory and energy, stored with the run."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from slmdesk.cli.common import estimated_gpu_layers, fail, interrupted, open_inventory, print_json
from slmdesk.core.errors import UserError


def _thread_list(text: str) -> tuple[int, ...]:
    """``"2"`` -> (2,), ``"1,2,4"`` -> (1, 2, 4) (a thread-count sweep)."""
    try:
        values = tuple(int(part) for part in text.split(",") if part.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a thread count or comma-separated list: {text!r}") from None
    if not values or any(v < 1 for v in values):
        raise argparse.ArgumentTypeError("thread counts must be at least 1")
    return values


def add_commands(subparsers: Any) -> None:
    """``bench``: the Benchmark pane's measurement, headless."""
    bench = subparsers.add_parser(
        "bench",
        help="measure prompt processing (pp) and generation (tg) speed like llama-bench, TTFT, memory",
        description="Load the model in a fresh engine process and measure pp N (an N-token prompt "
        "from an empty KV cache, in batches) and tg N (N tokens generated one at a time) with "
        "llama-bench's definitions and defaults, after a warm-up: mean and standard deviation over "
        "-r repetitions. Also: load time, time to first token of a chat-shaped prompt, peak memory "
        "of the engine, energy per token (Linux RAPL, when readable). The run is stored in the "
        "inventory. With several --threads values, one run per value (a JSON array with --json). "
        "A model in the inventory is loaded with the KV cache type, flash attention and GPU layers "
        "chosen in its Fit panel unless --kv, -fa, -ngl or --ignore-fit-settings say otherwise.",
    )
    bench.add_argument("target", metavar="ID|PATH", help="an inventory id, a GGUF file or an ONNX GenAI folder")
    bench.add_argument(
        "-p", "--pp", type=int, default=512, help="prompt tokens of the pp test (default 512; 0 skips it)"
    )
    bench.add_argument("-n", "--tg", type=int, default=128, help="tokens of the tg test (default 128; 0 skips it)")
    bench.add_argument("-r", "--repetitions", type=int, default=5, help="timed repetitions (default 5)")
    bench.add_argument("-d", "--depth", type=int, default=0, help="tokens already in the KV cache (default 0)")
    bench.add_argument("-t", "--threads", type=_thread_list, default=(), metavar="N[,N...]",
                       help="threads, or a comma-separated sweep (default: physical cores)")
    bench.add_argument("-b", "--batch-size", type=int, default=2048, help="logical batch, tokens (default 2048)")
    bench.add_argument("-ub", "--ubatch-size", type=int, default=512, help="physical batch, tokens (default 512)")
    bench.add_argument("--ctx", type=int, default=0, help="context length (default: pp + tg + depth, like llama-bench)")
    bench.add_argument("-fa", "--flash-attn", choices=("auto", "on", "off"), default=None,
                       help="flash attention, llama.cpp only (default auto)")
    bench.add_argument("--kv", choices=("f16", "q8_0", "q4_0"), default=None,
                       help="KV cache type, llama.cpp only (llama-bench -ctk/-ctv; default f16)")
    bench.add_argument("-ngl", "--gpu-layers", type=int, default=None,
                       help="layers offloaded to a GPU (-1 = all; default 0, CPU only)")
    bench.add_argument("--ignore-fit-settings", action="store_true",
                       help="do not use the KV type, flash attention and GPU layers chosen in the model's Fit panel")
    bench.add_argument("--no-ttft", action="store_true", help="skip the time-to-first-token measurement")
    bench.add_argument("--no-save", action="store_true", help="do not store the run in the inventory")
    bench.add_argument("--json", action="store_true", help="print one JSON object (an array for a thread sweep)")
    bench.set_defaults(handler=_cmd_bench)


def _cmd_bench(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from slmdesk import paths
    from slmdesk.bench.runner import bench_task, resolve_target
    from slmdesk.bench.settings import BenchSettings
    from slmdesk.core.errors import Cancelled
    from slmdesk.core.tasks import Progress, run_inline
    from slmdesk.inventory.load_plans import LoadPlanStore

    app_paths = paths.resolve().ensure()

    def show(event: Progress) -> None:
        if not args.json and sys.stderr.isatty():
            percent = f"{event.fraction * 100:3.0f}%" if event.fraction is not None else "   "
            print(f"\r{percent} {event.message[:70]:<70}", end="", file=sys.stderr, flush=True)

    try:
        settings = BenchSettings(
            n_prompt=args.pp,
            n_gen=args.tg,
            n_depth=args.depth,
            repetitions=args.repetitions,
            threads=args.threads,
            n_batch=args.batch_size,
            n_ubatch=args.ubatch_size,
            n_ctx=args.ctx,
            ttft=not args.no_ttft,
        )
        with open_inventory() as inventory:
            target = resolve_target(args.target, inventory)
            chosen = None
            if target.artifact_id is not None and not args.ignore_fit_settings:
                chosen = LoadPlanStore(inventory).get(target.artifact_id)
            if chosen is not None:
                settings = settings.with_plan(chosen, estimated_gpu_layers(target.path, chosen))
            explicit = {name: value for name, value in (("kv_type", args.kv), ("flash_attn", args.flash_attn),
                                                         ("n_gpu_layers", args.gpu_layers)) if value is not None}
            settings = replace(settings, **explicit)
            if chosen is not None and not args.json:
                print(f"Load settings from the Fit panel: KV {settings.kv_type}, flash attention "
                      f"{settings.flash_attn}, GPU layers {settings.n_gpu_layers} "
                      "(--ignore-fit-settings to use the defaults).", file=sys.stderr)
            task = bench_task(target, settings, app_paths, inventory=None if args.no_save else inventory)
            results = run_inline(task, on_progress=show)
    except UserError as error:
        if sys.stderr.isatty() and not args.json:
            print(file=sys.stderr)
        return fail(error)
    except (KeyboardInterrupt, Cancelled):
        return interrupted()
    if sys.stderr.isatty() and not args.json:
        print("\r" + " " * 76 + "\r", end="", file=sys.stderr)
    if args.json:
        data = [r.to_json() for r in results]
        print_json(data[0] if len(data) == 1 else data)
        return 0
    from slmdesk.bench.export import to_markdown

    print(to_markdown(results), end="")
    for result in results:
        if result.tg is not None and result.fit_tg_bound is not None:
            print(f"tg {result.tg.mean:.1f} t/s measured; the fit estimate's bound is {result.fit_tg_bound:.1f} t/s"
                  f" ({result.tg.mean / result.fit_tg_bound * 100:.0f}% of it).")
        for note in result.notes:
            print(f"note: {note}")
        if result.id is not None:
            print(f"Saved as benchmark run {result.id}.")
    return 0
