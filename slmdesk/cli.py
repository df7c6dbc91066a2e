"""The command line: ``slmdesk <command>`` runs the same services as the GUI, headless.

No Qt is imported here (an import-linter contract checks it); ``__main__`` opens the GUI
when no subcommand is given.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from slmdesk import __version__
from slmdesk.core.errors import UserError

Handler = Callable[[argparse.Namespace], int]


def build_parser() -> argparse.ArgumentParser:
    """The argument parser; subcommands register a ``handler`` default."""
    parser = argparse.ArgumentParser(
        prog="slmdesk",
        description="Find, fit, download, quantize, chat with and benchmark small language models locally.",
    )
    parser.add_argument("--version", action="version", version=f"slmdesk {__version__}")
    parser.add_argument(
        "--smoke-test",
        action="store_true",
        help="open the main window, run the event loop briefly, close it; exit 0 unless anything failed",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    _add_inventory_commands(subparsers)
    _add_engine_commands(subparsers)
    _add_bench_command(subparsers)
    _add_fit_command(subparsers)
    _add_doctor_command(subparsers)
    return parser


def run_headless(argv: Sequence[str] | None = None) -> tuple[int | None, argparse.Namespace]:
    """Parse ``argv``; run a subcommand if one was given.

    Returns ``(exit code, args)`` for a subcommand, ``(None, args)`` when the GUI should open.
    """
    args = build_parser().parse_args(argv)
    handler: Handler | None = getattr(args, "handler", None)
    if handler is None:
        return None, args
    return handler(args), args


# --- inventory: scan / list / show ---------------------------------------------------------


def _add_inventory_commands(subparsers: Any) -> None:
    """``scan``, ``list`` and ``show``: the inventory at ``paths.resolve().database``."""
    scan = subparsers.add_parser(
        "scan",
        help="adopt models from files or folders (HF cache, Ollama, LM Studio, GPT4All, any folder)",
        description="Add the models in PATH... to the inventory, by reference (nothing is copied). "
        "Known artifacts whose files are gone are marked missing.",
    )
    scan.add_argument("paths", nargs="+", metavar="PATH", help="a model file or folder, or a folder to search")
    scan.add_argument("--json", action="store_true", help="print JSON instead of a table")
    scan.set_defaults(handler=_cmd_scan)

    listing = subparsers.add_parser("list", help="list the models in the inventory")
    listing.add_argument("--json", action="store_true", help="print a JSON array instead of a table")
    listing.set_defaults(handler=_cmd_list)

    show = subparsers.add_parser(
        "show",
        help="show one model's header facts (an inventory id, or any model file)",
        description="Show an inventory entry by id, or read a model file or folder directly "
        "(its id is null when it is not in the inventory).",
    )
    show.add_argument("target", metavar="ID|PATH")
    show.add_argument("--json", action="store_true", help="print a JSON object")
    show.set_defaults(handler=_cmd_show)


def _fail(error: UserError) -> int:
    print(f"slmdesk: error: {error.message}", file=sys.stderr)
    if error.hint:
        print(error.hint, file=sys.stderr)
    return 1


def _open_inventory() -> Any:
    from slmdesk import paths
    from slmdesk.inventory.repository import open_inventory

    return open_inventory(paths.resolve().database)


def _print_json(value: Any) -> None:
    print(json.dumps(value, indent=2, ensure_ascii=False))


def _count(n: int | None) -> str:
    """``134515008 -> '134.5M'`` (decimal prefixes, as model cards write parameter counts)."""
    if n is None:
        return "-"
    for factor, suffix in ((10**12, "T"), (10**9, "B"), (10**6, "M"), (10**3, "K")):
        if n >= factor:
            return f"{n / factor:.1f}{suffix}"
    return str(n)


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _table(records: Sequence[Any]) -> str:
    from slmdesk.core.units import format_bytes

    header = ("ID", "STATUS", "FORMAT", "ARCH", "QUANT", "PARAMS", "CTX", "SIZE", "NAME", "SOURCE", "PATH")
    rows = [
        (
            str(r.id),
            r.status,
            r.format,
            r.architecture or "-",
            r.quantization or "-",
            _count(r.n_params),
            str(r.context_length) if r.context_length else "-",
            format_bytes(r.size_bytes),
            _clip(r.display_name, 32),
            r.source_detail.get("name") or r.source_detail.get("repo_id") or r.source_kind,
            str(r.path),
        )
        for r in records
    ]
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header) - 1)]
    lines = []
    for row in [header, *rows]:
        lines.append("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=False)) + "  " + row[-1])
    return "\n".join(line.rstrip() for line in lines)


def _cmd_scan(args: argparse.Namespace) -> int:
    from slmdesk.core.tasks import run_inline
    from slmdesk.inventory.scanners import scan_task

    try:
        with _open_inventory() as inventory:
            summary = run_inline(scan_task(inventory, [Path(p) for p in args.paths]))
            records = inventory.get_artifacts(summary.artifact_ids)
    except UserError as error:
        return _fail(error)
    for warning in summary.warnings:
        print(f"slmdesk: warning: {warning}", file=sys.stderr)
    if args.json:
        _print_json({"summary": summary.to_json(), "artifacts": [r.to_json() for r in records]})
        return 0
    if records:
        print(_table(records))
    print(
        f"{len(records)} found: {summary.added} new, {summary.updated} updated, {summary.moved} moved, "
        f"{summary.unchanged} unchanged, {summary.corrupt} unreadable; "
        f"{summary.missing} newly missing, {summary.incomplete} incomplete."
    )
    return 0


def _cmd_list(args: argparse.Namespace) -> int:
    try:
        with _open_inventory() as inventory:
            records = inventory.list_artifacts()
    except UserError as error:
        return _fail(error)
    if args.json:
        _print_json([r.to_json() for r in records])
    elif records:
        print(_table(records))
    else:
        print("The inventory is empty: add models with `slmdesk scan PATH`.")
    return 0


def _spec_json(spec: Any) -> dict[str, Any]:
    """A file read directly (not in the inventory), with the inventory's JSON field names."""
    return {
        "id": None,
        "path": str(spec.path),
        "format": spec.format,
        "architecture": spec.architecture,
        "quantization": spec.quantization,
        "size_bytes": spec.file_bytes,
        "n_params": spec.n_params,
        "context_length": spec.context_length,
        "n_layer": spec.n_layer,
        "n_head": spec.n_head_max,
        "n_head_kv": spec.n_head_kv_max,
        "n_embd": spec.n_embd,
        "n_vocab": spec.n_vocab,
        "sliding_window": spec.sliding_window,
        "chat_template": spec.chat_template,
        "sha256": None,
        "status": "ok",
        "source": None,
    }


def _cmd_show(args: argparse.Namespace) -> int:
    from slmdesk.core.units import format_bytes
    from slmdesk.formats.detect import read_spec

    target: str = args.target
    try:
        with _open_inventory() as inventory:
            if target.isdigit() and not Path(target).exists():
                record = inventory.get_artifact(int(target))
                if record is None:
                    raise UserError(
                        f"There is no model with id {target} in the inventory.",
                        "See the ids with `slmdesk list`.",
                    )
            else:
                record = inventory.find_by_path(target)
        if record is not None:
            data = record.to_json()
            files = [str(f) for f in record.files]
            error = record.error
        else:
            path = Path(target).expanduser()
            if not path.exists():
                raise UserError(f"{path} does not exist.", "Pass a model file or folder, or an inventory id.")
            spec = read_spec(path.absolute())
            data, files, error = _spec_json(spec), [str(f) for f in spec.files], None
    except UserError as error_:
        return _fail(error_)
    if args.json:
        _print_json(data)
        return 0
    labels = {
        "size_bytes": ("size", lambda v: f"{format_bytes(v)} ({v:,} bytes)"),
        "n_params": ("parameters", lambda v: f"{_count(v)} ({v:,})"),
    }
    for key, value in data.items():
        if key in ("chat_template", "source"):
            continue
        label, render = labels.get(key, (key, str))
        print(f"{label:>15}: {'-' if value is None else render(value)}")
    if data["source"]:
        detail = ", ".join(f"{k}={v}" for k, v in data["source"].items() if k != "kind")
        print(f"{'source':>15}: {data['source']['kind']}" + (f" ({detail})" if detail else ""))
    template = data["chat_template"]
    print(f"{'chat_template':>15}: " + ("-" if not template else f"{len(template):,} characters"))
    if error:
        print(f"{'error':>15}: {error}")
    if len(files) > 1:
        print(f"{'files':>15}:")
        for f in files:
            print(f"{'':>17}{f}")
    return 0


# --- engine: chat / engine-host ----------------------------------------------------------


def _add_engine_commands(subparsers: Any) -> None:
    """``chat`` (one-shot reply through the engine) and the hidden ``engine-host``."""
    chat = subparsers.add_parser(
        "chat",
        help="ask a model one question (an inventory id or a GGUF file / ONNX GenAI folder)",
        description="Load the model in the engine process, send one message, print the reply. "
        "The same engine and chat template handling as the Chat pane.",
    )
    chat.add_argument("target", metavar="ID|PATH")
    chat.add_argument("-p", "--prompt", required=True, help="the user message")
    chat.add_argument("--system", default="", help="a system prompt")
    chat.add_argument("--temperature", type=float, default=0.7, help="0 = greedy (default 0.7)")
    chat.add_argument("--max-tokens", type=int, default=256, help="most tokens to generate (default 256)")
    chat.add_argument("--seed", type=int, default=None, help="sampling seed")
    chat.add_argument("--ctx", type=int, default=2048, help="context length in tokens (default 2048)")
    chat.add_argument("--threads", type=int, default=None, help="generation threads (default: physical cores)")
    chat.add_argument("--json", action="store_true", help="print one JSON object with the reply and its stats")
    chat.set_defaults(handler=_cmd_chat)

    # The engine child process (slmdesk.engine.client.host_command). Hidden from --help:
    # help=SUPPRESS still prints "==SUPPRESS==" on Python 3.11, so drop its help row instead.
    host = subparsers.add_parser("engine-host", description="internal: serve the engine protocol on stdin/stdout")
    host.set_defaults(handler=_cmd_engine_host)
    # The engine probe child (slmdesk.hardware.backends.probe_backends), hidden the same way.
    probe = subparsers.add_parser("probe-engines", description="internal: print what the engines can use as JSON")
    probe.set_defaults(handler=_cmd_probe_engines)
    hidden = {"engine-host", "probe-engines"}
    subparsers._choices_actions = [a for a in subparsers._choices_actions if a.dest not in hidden]


def _cmd_engine_host(_args: argparse.Namespace) -> int:
    from slmdesk.engine.host import main

    return main()


def _cmd_probe_engines(_args: argparse.Namespace) -> int:
    import contextlib
    import io
    import os

    from slmdesk.engine.probe import probe_engines

    # Native code may print to fd 1; keep stdout for the one JSON line.
    sys.stdout.flush()
    saved = os.dup(1)
    os.dup2(2, 1)
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            report = probe_engines()
    finally:
        os.dup2(saved, 1)
        os.close(saved)
    print(json.dumps(report), flush=True)
    return 0


# --- doctor ---------------------------------------------------------------------------------


def _add_doctor_command(subparsers: Any) -> None:
    """``doctor``: versions, paths, the engine's CPU variant and a test generation."""
    doctor = subparsers.add_parser(
        "doctor",
        help="check this installation and print what a bug report needs",
        description="Print the versions of slmdesk and its engines, how llama.cpp was built and which "
        "CPU variant it uses here, the data directory and its free space, the inventory's schema "
        "version, and run a short generation with the SmolLM2 starter model in an engine process. "
        "Exits 1 when a check fails.",
    )
    doctor.add_argument("--json", action="store_true", help="print one JSON object")
    doctor.add_argument("--no-engine", action="store_true", help="skip the engine checks (no child process)")
    doctor.set_defaults(handler=_cmd_doctor)


def _cmd_doctor(args: argparse.Namespace) -> int:
    from slmdesk import paths
    from slmdesk.doctor import format_report, run_doctor

    report = run_doctor(paths.resolve(), engine=not args.no_engine)
    if args.json:
        _print_json(report.to_dict())
    else:
        print(format_report(report))
    return 0 if report.ok else 1


def _chat_target(target: str) -> tuple[Path, str | None]:
    """``(path, sha256 or None)`` for an inventory id or a path."""
    path = Path(target).expanduser()
    if target.isdigit() and not path.exists():
        with _open_inventory() as inventory:
            record = inventory.get_artifact(int(target))
        if record is None:
            raise UserError(f"There is no model with id {target} in the inventory.", "See the ids with `slmdesk list`.")
        return Path(record.path), record.sha256
    if not path.exists():
        raise UserError(f"{path} does not exist.", "Pass a GGUF file, an ONNX GenAI folder or an inventory id.")
    try:
        with _open_inventory() as inventory:
            record = inventory.find_by_path(path)
    except UserError:  # a plain path still works when the inventory cannot be opened
        record = None
    return path.absolute(), (record.sha256 if record is not None else None)


def _model_sha256(path: Path) -> str | None:
    """SHA-256 of a GGUF file (None for a folder: an ONNX model has many files)."""
    from slmdesk.core.tasks import run_inline
    from slmdesk.formats.checksum import sha256_task

    if not path.is_file():
        return None
    digest: str = run_inline(sha256_task(path))
    return digest


def _cmd_chat(args: argparse.Namespace) -> int:
    from slmdesk import paths
    from slmdesk.engine import Done, EngineClient, LoadSettings, SamplingParams, Token
    from slmdesk.engine.types import to_dict

    try:
        path, sha256 = _chat_target(args.target)
        settings = LoadSettings(n_ctx=args.ctx, n_threads=args.threads, seed=args.seed)
        params = SamplingParams(temperature=args.temperature, max_tokens=args.max_tokens, seed=args.seed)
        messages = [{"role": "system", "content": args.system}] if args.system else []
        messages.append({"role": "user", "content": args.prompt})
        with EngineClient(log_path=paths.resolve().logs / "engine.log") as client:
            info = client.load(path, settings)
            if info.template_warning and not args.json:
                print(f"slmdesk: warning: {info.template_warning}", file=sys.stderr)
            done: Done | None = None
            for event in client.generate(messages, params):
                if isinstance(event, Token) and not args.json:
                    print(event.text, end="", flush=True)
                elif isinstance(event, Done):
                    done = event
        if sha256 is None:
            sha256 = _model_sha256(path)
    except UserError as error:
        if not args.json:
            print()
        return _fail(error)
    except KeyboardInterrupt:
        print("\nslmdesk: interrupted", file=sys.stderr)
        return 130
    assert done is not None
    stats = done.stats
    if args.json:
        _print_json(
            {
                "text": done.text,
                "prompt_tokens": stats.prompt_tokens,
                "completion_tokens": stats.completion_tokens,
                "ttft_s": stats.ttft_s,
                "pp_tokens_per_s": stats.pp_tokens_per_s,
                "tg_tokens_per_s": stats.tg_tokens_per_s,
                "peak_rss_bytes": stats.peak_rss_bytes,
                "backend": stats.backend,
                "backend_version": stats.backend_version,
                "finish_reason": stats.finish_reason,
                "load_s": stats.load_s,
                "model_path": str(path),
                "model_sha256": sha256,
                "template_warning": info.template_warning or None,
                "runtime": to_dict(info.runtime),
            }
        )
        return 0
    print()
    from slmdesk.core.units import format_bytes

    print(
        f"[{stats.prompt_tokens} prompt tokens, {stats.completion_tokens} generated ({stats.finish_reason}); "
        f"TTFT {stats.ttft_s:.2f} s, pp {stats.pp_tokens_per_s:.1f} t/s, tg {stats.tg_tokens_per_s:.1f} t/s; "
        f"engine peak memory {format_bytes(stats.peak_rss_bytes)}; {stats.backend} {stats.backend_version}]",
        file=sys.stderr,
    )
    return 0


# --- fit: will this model run here? ----------------------------------------------------------


def _add_fit_command(subparsers: Any) -> None:
    """``fit``: the memory estimate of a model on this machine or a target profile."""
    fit = subparsers.add_parser(
        "fit",
        help="estimate a model's memory and whether it fits (this machine or a target profile)",
        description="Predict the engine's memory for a model (an inventory id, a GGUF file or an "
        "ONNX GenAI folder) from its header: weights, KV cache, compute buffers, overhead; the "
        "verdict against available memory, the largest context that fits, the GPU layers to "
        "offload and a generation-speed bound. Defaults follow the engine's load settings.",
    )
    fit.add_argument("target", metavar="ID|PATH", nargs="?")
    fit.add_argument("--ctx", type=int, default=None, help="context length in tokens (default 4096, at most the model's)")
    fit.add_argument("--kv", default="f16", help="KV cache type: f16 (default), q8_0, q4_0...")
    fit.add_argument("--gpu-layers", type=int, default=None, help="layers to offload (-1 = all; default: automatic)")
    fit.add_argument(
        "--flash-attn",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="flash attention (default: on for a quantized KV cache, else the engine's default, off)",
    )
    fit.add_argument("--swa-full", action="store_true", help="full-size sliding-window caches (llama-cpp-python's default)")
    fit.add_argument("--profile", default=None, help='"this machine" (default), a preset or a saved profile')
    fit.add_argument("--list-profiles", action="store_true", help="list the hardware profiles and exit")
    fit.add_argument("--json", action="store_true", help="print one JSON object")
    fit.set_defaults(handler=_cmd_fit)


def _fit_spec(target: str) -> Any:
    """The ModelSpec of an inventory id or a path."""
    from slmdesk.formats.detect import read_spec

    path = Path(target).expanduser()
    if target.isdigit() and not path.exists():
        try:
            with _open_inventory() as inventory:
                record = inventory.get_artifact(int(target))
        except UserError as error:
            raise UserError(f"Cannot open the inventory to find model {target}: {error.message}", error.hint) from error
        if record is None:
            raise UserError(f"There is no model with id {target} in the inventory.", "See the ids with `slmdesk list`.")
        path = Path(record.path)
    if not path.exists():
        raise UserError(f"{path} does not exist.", "Pass a GGUF file, an ONNX GenAI folder or an inventory id.")
    return read_spec(path.absolute())


def _cmd_fit(args: argparse.Namespace) -> int:
    from slmdesk import paths
    from slmdesk.core import fit
    from slmdesk.core.profiles import PRESETS
    from slmdesk.core.units import format_bytes
    from slmdesk.engine.types import LoadSettings
    from slmdesk.hardware.profile import THIS_MACHINE, load_user_profiles, resolve_profile

    app_paths = paths.resolve()
    try:
        if args.list_profiles:
            users = load_user_profiles(app_paths)
            rows = [(THIS_MACHINE, "probe this computer (default)")]
            rows += [(key, f"{p.name}: {format_bytes(p.ram_available_bytes)} of {format_bytes(p.ram_total_bytes)} RAM available"
                      + "".join(f", {g.name} {format_bytes(g.vram_free_bytes)}" for g in p.gpus)) for key, p in PRESETS.items()]
            rows += [(p.name, f"saved profile: {format_bytes(p.ram_available_bytes)} RAM available") for p in users]
            if args.json:
                _print_json([{"name": n, "description": d} for n, d in rows])
            else:
                width = max(len(n) for n, _ in rows)
                print("\n".join(f"{n.ljust(width)}  {d}" for n, d in rows))
            return 0
        if not args.target:
            raise UserError("Which model? Pass an inventory id or a model path.", "Example: slmdesk fit model.gguf --ctx 8192")
        spec = _fit_spec(args.target)
        engine = LoadSettings()
        kv = args.kv.lower()
        flash_attn = args.flash_attn if args.flash_attn is not None else (kv != "f16" or engine.flash_attn)
        n_ctx = args.ctx if args.ctx is not None else min(engine.n_ctx, spec.context_length or engine.n_ctx)
        options = fit.FitOptions(
            n_ctx=n_ctx,
            n_batch=engine.n_batch,
            n_ubatch=engine.n_ubatch,
            kv_type=kv,
            flash_attn=flash_attn,
            n_gpu_layers=args.gpu_layers,
            mmap=engine.use_mmap,
            swa_full=args.swa_full or engine.swa_full,
        )
        profile = resolve_profile(args.profile, app_paths)
        result = fit.estimate(spec, options, profile)
        if args.target.strip().isdigit():  # an inventory artifact: keep the estimate beside it
            from slmdesk.inventory import fit_records

            with _open_inventory() as inventory:
                profile_id = fit_records.save_hardware_profile(inventory, profile)
                fit_records.save_fit_estimate(inventory, int(args.target), profile_id, result)
    except UserError as error:
        return _fail(error)
    if args.json:
        data = result.to_json_dict()
        data["model"] = str(spec.path)
        data["profile"] = profile.name
        _print_json(data)
        return 0
    print(f"{spec.path.name} on {profile.name!r}: n_ctx {result.n_ctx}, KV {result.kv_type}, "
          f"flash attention {'on' if result.flash_attn else 'off'}")
    for device, parts in fit.breakdown(result):
        total = sum(size for _, size in parts)
        print(f"  {device}: {format_bytes(total)}")
        for label, size in parts:
            print(f"    {label:<17} {format_bytes(size):>10}")
    print(f"  verdict: {fit.summary(result)}")
    if result.gpu_layers:
        print(f"  GPU layers: {result.gpu_layers} of {result.n_layer + 1} (llama.cpp counting, output layer included)")
    if result.tg_tokens_per_s_bound is not None:
        print(f"  generation speed bound: {result.tg_tokens_per_s_bound:.0f} tokens/s "
              f"({format_bytes(result.bytes_per_token)} read per token)")
    for note in result.notes:
        print(f"  note: {note}")
    return 0


# --- bench: llama-bench's pp/tg, TTFT, memory, energy -----------------------------------------


def _thread_list(text: str) -> tuple[int, ...]:
    """``"2"`` -> (2,), ``"1,2,4"`` -> (1, 2, 4) (a thread-count sweep)."""
    try:
        values = tuple(int(part) for part in text.split(",") if part.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a thread count or comma-separated list: {text!r}") from None
    if not values or any(v < 1 for v in values):
        raise argparse.ArgumentTypeError("thread counts must be at least 1")
    return values


def _add_bench_command(subparsers: Any) -> None:
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
    bench.add_argument("-p", "--pp", type=int, default=512, help="prompt tokens of the pp test (default 512; 0 skips it)")
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
    from slmdesk import paths
    from slmdesk.bench.runner import bench_task, resolve_target
    from dataclasses import replace

    from slmdesk.bench.settings import BenchSettings
    from slmdesk.core.errors import Cancelled
    from slmdesk.core.settings import load_defaults_map
    from slmdesk.core.tasks import Progress, run_inline

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
        with _open_inventory() as inventory:
            target = resolve_target(args.target, inventory)
            chosen = None
            if target.artifact_id is not None and not args.ignore_fit_settings:
                chosen = load_defaults_map(app_paths.load_defaults_file).get(target.artifact_id)
            if chosen is not None:
                settings = settings.with_load_defaults(chosen)
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
        return _fail(error)
    except (KeyboardInterrupt, Cancelled):
        print("\nslmdesk: interrupted", file=sys.stderr)
        return 130
    if sys.stderr.isatty() and not args.json:
        print("\r" + " " * 76 + "\r", end="", file=sys.stderr)
    if args.json:
        data = [r.to_json() for r in results]
        _print_json(data[0] if len(data) == 1 else data)
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
