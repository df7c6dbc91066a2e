"""``slmdesk search`` / ``hub search``, ``hub files`` and ``hub fit``: the Hugging Face Hub from the
command line (each refused in offline mode before any connection)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any

from slmdesk.cli.common import fail, interrupted, print_json
from slmdesk.core.errors import UserError

SORT_CHOICES = {"downloads": "downloads", "likes": "likes", "recent": "last_modified"}
"""``--sort`` -> :data:`slmdesk.hub.search.SORTS` key."""


def add_commands(subparsers: Any) -> None:
    """``hub search|files|fit`` and the top-level ``search`` (the same command as ``hub search``)."""
    from slmdesk.hub.search import DEFAULT_TIMEOUT_S

    _add_search(subparsers, "search")
    hub = subparsers.add_parser(
        "hub",
        help="the Hugging Face Hub: search models, list a repository, fit a file before download "
        "(needs the network; refused in offline mode)",
        description="Commands that talk to the Hugging Face Hub (HF_ENDPOINT when set). In offline mode they "
        "refuse at once, without any connection. A gated or private repository needs a token: `hf auth login` "
        "or HF_TOKEN (never shown or stored by slmdesk).",
    )
    commands = hub.add_subparsers(dest="subcommand", metavar="COMMAND", required=True)
    _add_search(commands, "search")

    files = commands.add_parser(
        "files",
        help="a repository's files grouped by quantization, with sizes, SHA-256, licence and gated flag",
        description="List a model repository on the Hub: one row per loadable item (a GGUF quantization, a "
        "split set counted once, an mmproj projector, an ONNX folder, safetensors weights) with its size and "
        "SHA-256. One request.",
        epilog="exit status: 0 listed; 1 offline mode, no access, no such repository or revision, no network.",
    )
    files.add_argument("repo_id", metavar="REPO_ID", help="owner/name")
    files.add_argument("--revision", default=None, metavar="REV", help="a branch, tag or commit (default: main)")
    files.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT_S, metavar="SECONDS",
                       help=f"how long to wait for the Hub (default {DEFAULT_TIMEOUT_S:g} s)")
    files.add_argument("--json", action="store_true", help="print one JSON object")
    files.set_defaults(handler=_cmd_files)

    fit = commands.add_parser(
        "fit",
        help="will a GGUF file on the Hub fit here? (reads its header with Range requests, not the file)",
        description="Estimate a GGUF file's memory and fit from its real header, read from the Hub with HTTP "
        "Range requests (a few MB; cached) before any download, like `slmdesk fit` for a local file. FILE may "
        "be any part of a split set: the whole set is estimated.",
        epilog="exit status: 0 estimated (whatever the verdict); 1 offline mode with the header not cached, no "
        "access, no such file, not a GGUF file, no network.",
    )
    fit.add_argument("repo_id", metavar="REPO_ID", help="owner/name")
    fit.add_argument("file", metavar="FILE", help="the .gguf file in the repository (see `slmdesk hub files`)")
    fit.add_argument("--revision", default=None, metavar="REV", help="a branch, tag or commit (default: main)")
    fit.add_argument("--ctx", type=int, default=None,
                     help="context length in tokens (default 4096, at most the model's)")
    fit.add_argument("--profile", default=None, help='"this machine" (default), a preset or a saved profile')
    fit.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT_S, metavar="SECONDS",
                     help=f"how long to wait for the Hub (default {DEFAULT_TIMEOUT_S:g} s)")
    fit.add_argument("--json", action="store_true", help="print one JSON object")
    fit.set_defaults(handler=_cmd_fit)


def _add_search(subparsers: Any, name: str) -> None:
    from slmdesk.hub.search import DEFAULT_LIMIT, DEFAULT_TIMEOUT_S, MAX_LIMIT

    search = subparsers.add_parser(
        name,
        help="search the Hub's models by name (GGUF or ONNX only with --gguf/--onnx)",
        description="Search the Hugging Face Hub's models whose name contains QUERY, the most downloaded "
        "first (or --sort). With --gguf or --onnx, QUERY may be left out to browse. One anonymous request, no "
        "retries; in offline mode nothing is sent and the command fails saying so.",
        epilog="exit status: 0 the search ran (even with no result); 1 offline mode is on, the Hub could not be "
        "reached or answered with an error; 2 bad arguments.",
    )
    search.add_argument("query", metavar="QUERY", nargs="?", default="",
                        help="words from the model's name (smollm2, gemma...)")
    formats = search.add_mutually_exclusive_group()
    formats.add_argument("--gguf", dest="formats", action="store_const", const="gguf",
                         help="only repositories with GGUF files")
    formats.add_argument("--onnx", dest="formats", action="store_const", const="onnx",
                         help="only repositories with ONNX files (ONNX Runtime GenAI models among them)")
    search.add_argument("--sort", choices=tuple(SORT_CHOICES), default="downloads",
                        help="order, highest first (default downloads; recent: last modified)")
    search.add_argument("--limit", type=int, default=DEFAULT_LIMIT, metavar="N",
                        help=f"at most N models, 1 to {MAX_LIMIT} (default {DEFAULT_LIMIT})")
    search.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT_S, metavar="SECONDS",
                        help=f"how long to wait for the Hub (default {DEFAULT_TIMEOUT_S:g} s)")
    search.add_argument("--json", action="store_true", help="print a JSON array of models")
    search.set_defaults(handler=_cmd_search)


def _cmd_search(args: argparse.Namespace) -> int:
    from slmdesk.hub.search import search_page

    try:
        page = search_page(args.query, formats=args.formats, sort=SORT_CHOICES[args.sort], page_size=args.limit,
                           timeout_s=args.timeout)
    except UserError as error:
        return fail(error)
    except KeyboardInterrupt:
        return interrupted()
    models = list(page.models[:args.limit])
    if args.json:
        print_json([model.to_json() for model in models])
        return 0
    if not models:
        print(f"No model on the Hub matches {args.query!r}.", file=sys.stderr)
        return 0
    print(_table(
        ("REPOSITORY", "DOWNLOADS", "LIKES", "LIBRARY", "TASK", "UPDATED"),
        [(model.repo_id + (" (gated)" if model.gated else ""),
          "-" if model.downloads is None else f"{model.downloads:,}",
          "-" if model.likes is None else f"{model.likes:,}",
          model.library or "-", model.pipeline_tag or "-", (model.last_modified or "-")[:10])
         for model in models]))
    return 0


def _cmd_files(args: argparse.Namespace) -> int:
    from slmdesk.core.units import format_bytes
    from slmdesk.hub.repo import list_repo

    try:
        listing = list_repo(args.repo_id, args.revision, timeout_s=args.timeout)
    except UserError as error:
        return fail(error)
    except KeyboardInterrupt:
        return interrupted()
    if args.json:
        print_json(listing.to_json())
        return 0
    flags = [f"licence {listing.license or 'not given'}"] + ["gated"] * listing.gated + ["private"] * listing.private
    print(f"{listing.repo_id} at {listing.commit[:12]}: {', '.join(flags)}")
    if not listing.items:
        print("No GGUF, ONNX or safetensors model in this repository.", file=sys.stderr)
    rows = []
    for item in listing.items:
        if item.is_split:
            what = f"{item.first_path} ({len(item.files)} of {len(item.files) + len(item.missing_parts)} parts)"
        else:
            what = item.first_path + (f" ({len(item.files)} files)" if item.kind == "onnx" else "")
        sha = item.files[0].sha256 if len(item.files) == 1 else None
        rows.append((item.kind, item.label, format_bytes(item.size_bytes), (sha or "-")[:16], what))
    print(_table(("KIND", "LABEL", "SIZE", "SHA-256", "FILE"), rows))
    for item in listing.items:
        if item.missing_parts:
            print(f"  {item.label}: missing {', '.join(item.missing_parts)}")
        if item.problem:
            print(f"  {item.label}: {item.problem}")
    print(f"and {len(listing.other_files)} other files (README, config, tokenizer...)")
    return 0


def _cmd_fit(args: argparse.Namespace) -> int:
    from slmdesk import paths
    from slmdesk.cli.fit import plan_from_args
    from slmdesk.core import fit
    from slmdesk.engine.types import LoadSettings
    from slmdesk.hardware.profile import resolve_profile
    from slmdesk.hub.remote_gguf import read_remote_spec, remote_uri
    from slmdesk.hub.repo import list_repo

    try:
        listing = list_repo(args.repo_id, args.revision, timeout_s=args.timeout)
        item = next((i for i in listing.items
                     if args.file in (i.first_path, *(f.path for f in i.files), *i.missing_parts)), None)
        if item is None or item.kind not in ("gguf", "mmproj"):
            raise UserError(f"{args.file} is not a GGUF model file of {args.repo_id}.",
                            f"See its files with `slmdesk hub files {args.repo_id}`.")
        if item.kind == "mmproj":
            raise UserError(f"{args.file} is a multimodal projector (mmproj), not a model: it is loaded beside one.",
                            f"Pick a model file: `slmdesk hub files {args.repo_id}`.")
        if not item.usable:
            missing = ", ".join(item.missing_parts)
            raise UserError(f"{item.first_path} cannot be read: {item.problem or f'the Hub lists no {missing}'}.")
        spec = read_remote_spec(args.repo_id, item.first_path, listing.commit, item.size_bytes,
                                timeout_s=args.timeout)
        plan = plan_from_args(args, None, spec.context_length, auto_gpu_layers=True)
        engine = LoadSettings()
        options = plan.fit_options(n_batch=engine.n_batch, n_ubatch=engine.n_ubatch, mmap=engine.use_mmap,
                                   swa_full=engine.swa_full)
        profile = resolve_profile(args.profile, paths.resolve())
        result = fit.estimate(spec, options, profile)
    except UserError as error:
        return fail(error)
    except KeyboardInterrupt:
        return interrupted()
    if args.json:
        data = result.to_json_dict()
        data["model"] = remote_uri(args.repo_id, item.first_path)
        data["repo_id"] = args.repo_id
        data["commit"] = listing.commit
        data["file_bytes"] = spec.file_bytes
        data["profile"] = profile.name
        print_json(data)
        return 0
    _print_estimate(f"{args.repo_id}/{item.first_path}", profile.name, result)
    return 0


def _print_estimate(name: str, profile: str, result: Any) -> None:
    """The text ``slmdesk fit`` prints for an estimate (same lines, same order).

    TODO(cli/fit.py owner): ``slmdesk fit`` prints these lines inline in ``_cmd_fit``; once it
    exposes them as one function, call it here instead.
    """
    from slmdesk.core import fit
    from slmdesk.core.units import format_bytes

    print(f"{name} on {profile!r}: n_ctx {result.n_ctx}, KV {result.kv_type}, "
          f"flash attention {'on' if result.flash_attn else 'off'}")
    for device, parts in fit.breakdown(result):
        print(f"  {device}: {format_bytes(sum(size for _, size in parts))}")
        for label, size in parts:
            print(f"    {label:<17} {format_bytes(size):>10}")
    print(f"  RAM {fit.AT_LOAD_LABEL} (up to {fit.SHORT_PROMPT_TOKENS} tokens): "
          f"{format_bytes(result.total_host_at_load_bytes)}; {fit.CONTEXT_FULL_LABEL} ({result.n_ctx} tokens): "
          f"{format_bytes(result.total_host_context_full_bytes)}")
    print(f"  verdict: {fit.summary(result)}")
    if result.gpu_layers:
        print(f"  GPU layers: {result.gpu_layers} of {result.n_layer + 1} (llama.cpp counting, output layer included)")
    for note in result.notes:
        print(f"  note: {note}")


def _table(header: tuple[str, ...], rows: Sequence[tuple[str, ...]]) -> str:
    """Left-aligned columns, two spaces apart."""
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    return "\n".join("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
                     for row in [header, *rows])
