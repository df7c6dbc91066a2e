"""``slmdesk quality``: perplexity of a model, or a variant against its source (KL-divergence,
top-1 agreement); and the hidden ``quality-child`` that does the work in a child process."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from slmdesk.cli.common import fail, interrupted, open_inventory, print_json
from slmdesk.core.errors import UserError


def add_commands(subparsers: Any) -> None:
    """``quality`` and the hidden ``quality-child``."""
    quality = subparsers.add_parser(
        "quality",
        help="perplexity of a GGUF model, or KL-divergence of a variant against its source",
        description="Measure a GGUF model's perplexity on a held-out text (the shipped evaluation text by "
        "default) the way llama.cpp's llama-perplexity does; with a second model B, compare B (a "
        "quantized variant) with A (its source): both perplexities, the mean KL-divergence of B from A "
        "and how often both predict the same next token.",
    )
    quality.add_argument("model", metavar="A", help="an inventory id or a GGUF file (the source, when B is given)")
    quality.add_argument("variant", metavar="B", nargs="?", help="a variant of A to compare with it")
    quality.add_argument("--text", type=Path, default=None, help="the text file to score (default: the shipped one)")
    quality.add_argument("--ctx", type=int, default=512, help="tokens per chunk (default 512)")
    quality.add_argument("--json", action="store_true", help="print the result as JSON")
    quality.set_defaults(handler=_cmd_quality)

    # The worker (slmdesk.quantize.quality.child_argv), hidden from --help like engine-host.
    child = subparsers.add_parser(CHILD, description="internal: run one quality or imatrix request from stdin")
    child.set_defaults(handler=_cmd_child)
    subparsers._choices_actions = [a for a in subparsers._choices_actions if a.dest != CHILD]


CHILD = "quality-child"


def _cmd_child(_args: argparse.Namespace) -> int:
    from slmdesk.quantize.quality_child import main

    return main()


def model_path(target: str) -> Path:
    """The GGUF file for an inventory id or a path.

    Raises:
        UserError: no such file or id, or the artifact is not a GGUF file.
    """
    path = Path(target).expanduser()
    if target.isdigit() and not path.exists():
        with open_inventory() as inventory:
            record = inventory.get_artifact(int(target))
        if record is None:
            raise UserError(f"There is no model with id {target} in the inventory.", "See the ids with `slmdesk list`.")
        path = Path(record.path)
    if not path.is_file():
        raise UserError(f"{path} is not a GGUF file.", "Pass an inventory id or the path of a .gguf file.")
    return path.absolute()


def _progress_printer(enabled: bool) -> Any:
    last = [-1]

    def show(event: Any) -> None:
        if not enabled or event.fraction is None:
            return
        percent = int(event.fraction * 100)
        if percent != last[0]:
            last[0] = percent
            print(f"\r{percent:3d}% {event.message[:70]:70s}", end="", file=sys.stderr, flush=True)

    return show


def _cmd_quality(args: argparse.Namespace) -> int:
    from slmdesk.core.tasks import run_inline
    from slmdesk.quantize.quality import compare_task, perplexity_task

    show = _progress_printer(not args.json and sys.stderr.isatty())
    try:
        if args.ctx < 8:
            raise UserError(f"--ctx must be at least 8 (got {args.ctx}).")
        if args.text is not None and not args.text.is_file():
            raise UserError(f"{args.text} is not a file.", "Pass a UTF-8 text file with --text.")
        base = model_path(args.model)
        if args.variant is None:
            result = run_inline(perplexity_task(base, args.text, n_ctx=args.ctx), on_progress=show)
            report: dict[str, Any] = {"model": str(base), "perplexity": result.perplexity,
                                      "ppl_stderr": result.ppl_stderr, "n_tokens": result.n_tokens,
                                      "n_chunks": result.n_chunks, "n_ctx": result.n_ctx,
                                      "seconds": round(result.seconds, 2)}
        else:
            variant = model_path(args.variant)
            compared = run_inline(compare_task(base, variant, args.text, n_ctx=args.ctx), on_progress=show)
            report = {"model": str(base), "variant": str(variant), "perplexity": compared.base_ppl,
                      "variant_perplexity": compared.variant_ppl, "kld_mean": compared.kld_mean,
                      "kld_p99": compared.kld_p99, "top1_agreement": compared.top1_agreement,
                      "n_tokens": compared.n_tokens, "n_chunks": compared.n_chunks, "n_ctx": compared.n_ctx,
                      "seconds": round(compared.seconds, 2)}
    except UserError as error:
        return fail(error)
    except KeyboardInterrupt:
        return interrupted()
    if show is not None and not args.json and sys.stderr.isatty():
        print(file=sys.stderr)
    if args.json:
        print_json(report)
        return 0
    print(f"{Path(report['model']).name}: perplexity {report['perplexity']:.4f}"
          + (f" +/- {report['ppl_stderr']:.4f}" if "ppl_stderr" in report else "")
          + f" ({report['n_tokens']} tokens, {report['n_chunks']} chunks of {report['n_ctx']})")
    if "variant" in report:
        print(f"{Path(report['variant']).name}: perplexity {report['variant_perplexity']:.4f}, "
              f"KLD mean {report['kld_mean']:.5f} (99%: {report['kld_p99']:.5f}), "
              f"same top token {100 * report['top1_agreement']:.2f}%")
    return 0
