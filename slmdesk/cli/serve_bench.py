"""``slmdesk serve-bench``: vLLM-style serving benchmark of any OpenAI-compatible endpoint."""

from __future__ import annotations

import argparse
import math
import os
import sys
from typing import Any

from slmdesk.cli.common import fail, interrupted, open_inventory, print_json
from slmdesk.core.errors import UserError

KEY_ENV = "SLMDESK_API_KEY"


def _levels(text: str) -> tuple[int, ...]:
    """``"1,2,4"`` -> (1, 2, 4)."""
    try:
        values = tuple(int(part) for part in text.split(",") if part.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a comma-separated list of counts: {text!r}") from None
    if not values or any(v < 1 for v in values):
        raise argparse.ArgumentTypeError("concurrency levels must be at least 1")
    return values


def _rate(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a rate (requests/s) or inf: {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError("the request rate must be positive")
    return value


def add_commands(subparsers: Any) -> None:
    """``serve-bench``: the Benchmark pane's Serving tab, headless."""
    parser = subparsers.add_parser(
        "serve-bench",
        help="measure an OpenAI-compatible server: TTFT, TPOT, ITL, throughput per concurrency level (like vLLM)",
        description="Send streamed requests to URL (the /v1 base) at each concurrency level, after one "
        "warm-up request, and report vLLM's serving figures: TTFT, TPOT, ITL and end-to-end latency "
        "(mean, median, p95, p99), request and token throughput, and errors. Runs are stored in the "
        f"inventory beside local benchmarks (never the key). The key comes from --api-key, ${KEY_ENV}, "
        "or stdin with --api-key -.",
    )
    parser.add_argument("url", metavar="URL", help="the /v1 base URL, e.g. http://127.0.0.1:8080/v1")
    parser.add_argument("--model", required=True, help="the model id (GET URL/models lists them)")
    parser.add_argument("--api-key", default=None, metavar="KEY",
                        help=f"bearer key; '-' reads it from stdin (default: ${KEY_ENV}, else none)")
    parser.add_argument("--concurrency", type=_levels, default=(1, 2, 4, 8), metavar="N[,N...]",
                        help="most requests in flight, one run per value (default 1,2,4,8)")
    parser.add_argument("--requests", type=int, default=16, help="requests per level (default 16)")
    parser.add_argument("--request-rate", type=_rate, default=math.inf, metavar="R",
                        help="requests per second, Poisson arrivals (default inf: all at once)")
    parser.add_argument("--input-len", type=int, default=128, help="words of synthetic prompts, ≈ tokens (default 128)")
    parser.add_argument("--output-len", type=int, default=64, help="max_tokens of each request (default 64)")
    parser.add_argument("--dataset", default="", metavar="FILE",
                        help="prompts: JSONL with prompt/output_len per line, or text with one prompt per line")
    parser.add_argument("--endpoint", choices=("chat", "completions"), default="chat",
                        help="chat/completions (default) or completions")
    parser.add_argument("--no-ignore-eos", action="store_true",
                        help="do not send ignore_eos/min_tokens (the model may stop before max_tokens)")
    parser.add_argument("--seed", type=int, default=0, help="seed of prompts and arrivals (default 0)")
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds one request may take (default 600)")
    parser.add_argument("--no-save", action="store_true", help="do not store the runs in the inventory")
    parser.add_argument("--json", action="store_true", help="print the runs as a JSON array")
    parser.set_defaults(handler=_cmd_serve_bench)


def _api_key(option: str | None) -> str:
    if option == "-":
        return sys.stdin.readline().strip()
    if option is not None:
        return option
    return os.environ.get(KEY_ENV, "")


def _cmd_serve_bench(args: argparse.Namespace) -> int:
    from slmdesk.bench.export import serving_to_markdown
    from slmdesk.bench.serving import ServingSettings, serving_task
    from slmdesk.core.errors import Cancelled
    from slmdesk.core.tasks import Progress, run_inline

    def show(event: Progress) -> None:
        percent = f"{event.fraction * 100:3.0f}%" if event.fraction is not None else "    "
        end = "" if sys.stderr.isatty() else "\n"
        print(f"\r{percent} {event.message[:70]:<70}", end=end, file=sys.stderr, flush=True)

    last: list[str] = []

    def throttled(event: Progress) -> None:  # a pipe gets one line per new step, not one per slice
        if sys.stderr.isatty() or event.message.split(" (")[0] not in last:
            last[:] = [event.message.split(" (")[0]]
            show(event)

    try:
        settings = ServingSettings(
            base_url=args.url, model=args.model, concurrency=args.concurrency, request_rate=args.request_rate,
            num_requests=args.requests, input_len=args.input_len, output_len=args.output_len, dataset=args.dataset,
            endpoint=args.endpoint, ignore_eos=not args.no_ignore_eos, seed=args.seed, timeout_s=args.timeout,
        )
        key = _api_key(args.api_key)
        if args.no_save:
            runs = run_inline(serving_task(settings, key), on_progress=throttled)
        else:
            with open_inventory() as inventory:
                runs = run_inline(serving_task(settings, key, inventory), on_progress=throttled)
    except UserError as error:
        if sys.stderr.isatty():
            print(file=sys.stderr)
        return fail(error)
    except (KeyboardInterrupt, Cancelled):
        return interrupted()
    if sys.stderr.isatty():
        print("\r" + " " * 76 + "\r", end="", file=sys.stderr)
    if args.json:
        print_json([run.to_json() for run in runs])
        return 0
    print(serving_to_markdown(runs), end="")
    for note in dict.fromkeys(note for run in runs for note in run.notes):
        print(f"note: {note}")
    return 0
