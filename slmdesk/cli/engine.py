"""``slmdesk chat`` and the hidden ``engine-host`` and ``probe-engines`` children."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from slmdesk.cli.common import estimated_gpu_layers, fail, interrupted, open_inventory, print_json
from slmdesk.core.errors import UserError
from slmdesk.core.load_plan import KV_CACHE_TYPES, LoadPlan


def add_commands(subparsers: Any) -> None:
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
    chat.add_argument("--ctx", type=int, default=None,
                      help="context length in tokens (default: the model's load plan, else 4096 at most the model's)")
    chat.add_argument("--kv", default=None, choices=KV_CACHE_TYPES, help="KV cache type (default: the load plan's)")
    chat.add_argument("--threads", type=int, default=None,
                      help="generation threads (default: the load plan's, else the physical cores)")
    chat.add_argument("--json", action="store_true", help="print one JSON object with the reply and its stats")
    chat.set_defaults(handler=_cmd_chat)

    # The engine child process (slmdesk.engine.process.host_command). Hidden from --help:
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


def _chat_target(target: str) -> tuple[Path, str | None, LoadPlan | None, int | None]:
    """``(path, sha256 or None, saved load plan or None, training context or None)`` for an
    inventory id or a path."""
    from slmdesk.inventory.load_plans import LoadPlanStore

    path = Path(target).expanduser()
    if target.isdigit() and not path.exists():
        with open_inventory() as inventory:
            record = inventory.get_artifact(int(target))
            plan = LoadPlanStore(inventory).get(record.id) if record is not None else None
        if record is None:
            raise UserError(f"There is no model with id {target} in the inventory.", "See the ids with `slmdesk list`.")
        return Path(record.path), record.sha256, plan, record.context_length
    if not path.exists():
        raise UserError(f"{path} does not exist.", "Pass a GGUF file, an ONNX GenAI folder or an inventory id.")
    plan = None
    try:
        with open_inventory() as inventory:
            record = inventory.find_by_path(path)
            plan = LoadPlanStore(inventory).get(record.id) if record is not None else None
    except UserError:  # a plain path still works when the inventory cannot be opened
        record = None
    context_length = record.context_length if record is not None else None
    if record is None:
        from slmdesk.formats.detect import read_spec

        try:
            context_length = read_spec(path.absolute()).context_length
        except UserError:
            context_length = None  # the engine says what is wrong with the file
    return path.absolute(), (record.sha256 if record is not None else None), plan, context_length


def _model_sha256(path: Path) -> str | None:
    """SHA-256 of a GGUF file (None for a folder: an ONNX model has many files)."""
    from slmdesk.core.tasks import run_inline
    from slmdesk.formats.checksum import sha256_task

    if not path.is_file():
        return None
    digest: str = run_inline(sha256_task(path))
    return digest


def _cmd_chat(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from slmdesk import paths
    from slmdesk.cli.fit import plan_from_args
    from slmdesk.engine import Done, EngineClient, LoadSettings, SamplingParams, Token
    from slmdesk.engine.types import to_dict

    try:
        path, sha256, saved, context_length = _chat_target(args.target)
        plan = plan_from_args(args, saved, context_length)
        if args.threads is not None:
            plan = replace(plan, n_threads=args.threads)
        if saved is not None and not args.json:
            print(f"Load plan from the Library: {saved.describe()}", file=sys.stderr)
        settings = LoadSettings.from_plan(plan, estimated_gpu_layers(path, plan), seed=args.seed)
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
        return fail(error)
    except KeyboardInterrupt:
        return interrupted()
    assert done is not None
    stats = done.stats
    if args.json:
        print_json(
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
