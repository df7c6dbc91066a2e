"""``slmdesk fit``: will this model run here, or on a target device?"""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

from slmdesk.cli.common import fail, open_inventory, print_json
from slmdesk.core.errors import UserError
from slmdesk.core.load_plan import KV_CACHE_TYPES, LoadPlan


def add_commands(subparsers: Any) -> None:
    """``fit``: the memory estimate of a model on this machine or a target profile."""
    fit = subparsers.add_parser(
        "fit",
        help="estimate a model's memory and whether it fits (this machine or a target profile)",
        description="Predict the engine's memory for a model (an inventory id, a GGUF file or an "
        "ONNX GenAI folder) from its header: weights, KV cache, compute buffers, overhead; the "
        "verdict against available memory, the largest context that fits, the GPU layers to "
        "offload and a generation-speed bound. Memory and speed come as two figures: at load / short "
        "prompt, and with the context full (--json: total_host_at_load_bytes, "
        "total_host_context_full_bytes). Defaults follow the engine's load settings.",
    )
    fit.add_argument("target", metavar="ID|PATH", nargs="?")
    fit.add_argument("--ctx", type=int, default=None,
                     help="context length in tokens (default: the model's load plan, else 4096 at most the model's)")
    fit.add_argument(
        "--kv", default=None, choices=KV_CACHE_TYPES, help="KV cache type (default: the load plan's, else f16)"
    )
    fit.add_argument("--gpu-layers", type=int, default=None,
                     help="layers to offload (-1 = all; default: the load plan's, else automatic)")
    fit.add_argument(
        "--flash-attn",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="flash attention (default: the load plan's; always on for a quantized KV cache)",
    )
    fit.add_argument(
        "--swa-full", action="store_true", help="full-size sliding-window caches (llama-cpp-python's default)"
    )
    fit.add_argument("--profile", default=None, help='"this machine" (default), a preset or a saved profile')
    fit.add_argument("--list-profiles", action="store_true", help="list the hardware profiles and exit")
    fit.add_argument("--json", action="store_true", help="print one JSON object")
    fit.set_defaults(handler=_cmd_fit)


def _fit_spec(target: str) -> tuple[Any, LoadPlan | None]:
    """``(ModelSpec, saved load plan or None)`` of an inventory id or a path."""
    from slmdesk.formats.detect import read_spec
    from slmdesk.inventory.load_plans import LoadPlanStore

    path = Path(target).expanduser()
    plan = None
    if target.isdigit() and not path.exists():
        try:
            with open_inventory() as inventory:
                record = inventory.get_artifact(int(target))
                plan = LoadPlanStore(inventory).get(int(target)) if record is not None else None
        except UserError as error:
            raise UserError(f"Cannot open the inventory to find model {target}: {error.message}", error.hint) from error
        if record is None:
            raise UserError(f"There is no model with id {target} in the inventory.", "See the ids with `slmdesk list`.")
        path = Path(record.path)
    if not path.exists():
        raise UserError(f"{path} does not exist.", "Pass a GGUF file, an ONNX GenAI folder or an inventory id.")
    return read_spec(path.absolute()), plan


def plan_from_args(args: argparse.Namespace, saved: LoadPlan | None, context_length: int | None,
                   auto_gpu_layers: bool = False) -> LoadPlan:
    """The load plan a command works with: the model's saved plan (or the default for its
    training context), with ``--ctx``, ``--kv``, ``--flash-attn`` and ``--gpu-layers`` where
    given. ``auto_gpu_layers`` makes "automatic" the default GPU layers of an unsaved plan.

    Raises:
        UserError: an invalid value (a context below 1...).
    """
    plan = saved or LoadPlan.default_for(context_length)
    if saved is None and auto_gpu_layers:
        plan = replace(plan, n_gpu_layers=None)
    explicit = {name: value for name, value in (
        ("n_ctx", getattr(args, "ctx", None)), ("kv_type", getattr(args, "kv", None)),
        ("flash_attn", getattr(args, "flash_attn", None)), ("n_gpu_layers", getattr(args, "gpu_layers", None)),
    ) if value is not None}
    plan = replace(plan, **explicit)
    if getattr(args, "flash_attn", None) is False and plan.flash_attn_forced:
        raise UserError(f"A quantized V cache ({plan.kv_type}) needs flash attention.",
                        "Drop --no-flash-attn, or use --kv f16.")
    return plan


def _cmd_fit(args: argparse.Namespace) -> int:
    from slmdesk import paths
    from slmdesk.core import fit
    from slmdesk.core.profiles import PRESETS
    from slmdesk.core.units import format_bytes
    from slmdesk.engine.types import LoadSettings
    from slmdesk.hardware.profile import (
        THIS_MACHINE,
        load_user_profiles,
        resolve_profile,
    )

    app_paths = paths.resolve()
    try:
        if args.list_profiles:
            users = load_user_profiles(app_paths)
            rows = [(THIS_MACHINE, "probe this computer (default)")]
            rows += [
                (
                    key,
                    f"{p.name}: {format_bytes(p.ram_available_bytes)} of {format_bytes(p.ram_total_bytes)}"
                    " RAM available"
                    + "".join(f", {g.name} {format_bytes(g.vram_free_bytes)}" for g in p.gpus),
                )
                for key, p in PRESETS.items()
            ]
            rows += [(p.name, f"saved profile: {format_bytes(p.ram_available_bytes)} RAM available") for p in users]
            if args.json:
                print_json([{"name": n, "description": d} for n, d in rows])
            else:
                width = max(len(n) for n, _ in rows)
                print("\n".join(f"{n.ljust(width)}  {d}" for n, d in rows))
            return 0
        if not args.target:
            raise UserError(
                "Which model? Pass an inventory id or a model path.", "Example: slmdesk fit model.gguf --ctx 8192"
            )
        spec, saved = _fit_spec(args.target)
        plan = plan_from_args(args, saved, spec.context_length, auto_gpu_layers=True)
        if saved is not None and not args.json:
            print(f"Load plan from the Library: {saved.describe()}", file=sys.stderr)
        engine = LoadSettings()
        options = plan.fit_options(n_batch=engine.n_batch, n_ubatch=engine.n_ubatch, mmap=engine.use_mmap,
                                   swa_full=args.swa_full or engine.swa_full)
        profile = resolve_profile(args.profile, app_paths)
        result = fit.estimate(spec, options, profile)
        if args.target.strip().isdigit():  # an inventory artifact: keep the estimate beside it
            from slmdesk.inventory import fit_records

            with open_inventory() as inventory:
                profile_id = fit_records.save_hardware_profile(inventory, profile)
                fit_records.save_fit_estimate(inventory, int(args.target), profile_id, result)
    except UserError as error:
        return fail(error)
    if args.json:
        data = result.to_json_dict()
        data["model"] = str(spec.path)
        data["profile"] = profile.name
        print_json(data)
        return 0
    print(f"{spec.path.name} on {profile.name!r}: n_ctx {result.n_ctx}, KV {result.kv_type}, "
          f"flash attention {'on' if result.flash_attn else 'off'}")
    for device, parts in fit.breakdown(result):
        total = sum(size for _, size in parts)
        print(f"  {device}: {format_bytes(total)}")
        for label, size in parts:
            print(f"    {label:<17} {format_bytes(size):>10}")
    print(f"  RAM {fit.AT_LOAD_LABEL} (up to {fit.SHORT_PROMPT_TOKENS} tokens): "
          f"{format_bytes(result.total_host_at_load_bytes)}; {fit.CONTEXT_FULL_LABEL} ({result.n_ctx} tokens): "
          f"{format_bytes(result.total_host_context_full_bytes)}")
    print(f"  verdict: {fit.summary(result)}")
    if result.gpu_layers:
        print(f"  GPU layers: {result.gpu_layers} of {result.n_layer + 1} (llama.cpp counting, output layer included)")
    if result.tg_tokens_per_s_bound is not None:
        full = result.tg_tokens_per_s_bound_context_full
        print(f"  generation speed bound: {result.tg_tokens_per_s_bound:.0f} tokens/s "
              f"({format_bytes(result.bytes_per_token)} read per token)"
              + (f", {full:.0f} tokens/s {fit.CONTEXT_FULL_LABEL}" if full else ""))
    for note in result.notes:
        print(f"  note: {note}")
    return 0
