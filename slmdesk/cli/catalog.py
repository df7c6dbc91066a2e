"""``slmdesk catalog``: the curated offline model catalog, what fits a profile, and recommendations."""

from __future__ import annotations

import argparse
from typing import Any

from slmdesk.cli.common import fail, print_json
from slmdesk.core.errors import UserError
from slmdesk.core.load_plan import KV_CACHE_TYPES

DEFAULT_CTX = 4096
"""Context (tokens) assessed unless ``--ctx`` says otherwise (the load plan's default)."""


def add_commands(subparsers: Any) -> None:
    """``catalog``: list the catalog's models x quantizations with their fit on a profile."""
    catalog = subparsers.add_parser(
        "catalog",
        help="the curated model catalog: sizes, fit on this machine or a profile, recommendations (offline)",
        description="List the curated catalog of small models (resources/catalog/catalog.json) with each "
        "quantization's download size, fit verdict, largest context that fits and generation-speed bound on a "
        "hardware profile. Works offline: nothing is downloaded.",
    )
    catalog.add_argument("--tier", choices=("micro", "small", "medium"), help="keep one tier")
    catalog.add_argument("--fits", action="store_true", help="keep the quantizations that fit the profile")
    catalog.add_argument("--profile", default=None, help='"this machine" (default), a preset or a saved profile')
    catalog.add_argument("--ctx", type=int, default=DEFAULT_CTX, metavar="N",
                         help=f"context length in tokens (default {DEFAULT_CTX}, at most each model's)")
    catalog.add_argument("--kv", default="f16", choices=KV_CACHE_TYPES, help="KV cache type (default f16)")
    catalog.add_argument("--recommend", action="store_true",
                         help="the best quantization of each family that fits, best first")
    catalog.add_argument("--json", action="store_true", help="print a JSON array of rows")
    catalog.set_defaults(handler=_cmd_catalog)


def _cmd_catalog(args: argparse.Namespace) -> int:
    from slmdesk import paths
    from slmdesk.hardware.profile import resolve_profile
    from slmdesk.hub.catalog import assess_catalog, load_catalog
    from slmdesk.hub.recommend import recommend

    try:
        if args.ctx < 1:
            raise UserError(f"A context of {args.ctx} tokens is too small.", "Pass --ctx 256 or more.")
        catalog = load_catalog()
        profile = resolve_profile(args.profile, paths.resolve(), measure_bandwidth=False)
        if args.recommend:
            picks = recommend(catalog, profile, args.ctx, args.kv, tier=args.tier)
            if args.json:
                print_json([pick.to_json() for pick in picks])
            elif not picks:
                print(f"Nothing in the catalog fits {profile.name!r} with {args.ctx} tokens of context.")
            else:
                print(f"Recommended on {profile.name!r} with {args.ctx} tokens of context (catalog of {catalog.date}):")
                for pick in picks:
                    a = pick.assessment
                    print(f"{pick.rank:>2}. {a.model.name} {a.quant.name}: {pick.why}")
            return 0
        models = [m for m in catalog.models if not args.tier or m.tier == args.tier]
        rows = assess_catalog(catalog, profile, args.ctx, args.kv, models=models if args.tier else None)
        if args.fits:
            rows = tuple(row for row in rows if row.fits and row.quant.runs_on_llama_cpp)
    except UserError as error:
        return fail(error)
    if args.json:
        print_json([row.to_json() for row in rows])
        return 0
    print(f"Catalog of {catalog.date} on {profile.name!r}, n_ctx {args.ctx}, KV {args.kv} "
          "(sizes marked ~ are estimated):")
    print(_table(rows))
    return 0


def _table(rows: Any) -> str:
    """Model, tier, quantization, size, verdict, largest context, speed bound: one row each."""
    from slmdesk.core.units import format_bytes

    header = ("MODEL", "TIER", "QUANT", "SIZE", "VERDICT", "MAX CTX", "TG BOUND")
    table = [
        (
            row.model.id, row.model.tier, row.quant.name,
            ("~" if row.quant.size_source == "estimated" else "") + format_bytes(row.size_bytes),
            row.verdict.label + ("" if row.quant.runs_on_llama_cpp else f" ({', '.join(row.quant.engines)} only)"),
            "-" if row.max_ctx is None else str(row.max_ctx),
            "-" if row.tg_bound_tps is None else f"{row.tg_bound_tps:.0f} tok/s",
        )
        for row in rows
    ]
    widths = [max(len(r[i]) for r in [header, *table]) for i in range(len(header))]
    return "\n".join("  ".join(cell.ljust(width) for cell, width in zip(r, widths, strict=True)).rstrip()
                     for r in [header, *table])
