"""What every command shares: errors, the inventory, JSON output."""

from __future__ import annotations

import json
import sys
from typing import Any

from slmdesk.core.errors import UserError


def fail(error: UserError) -> int:
    """Print ``error`` (and its hint) on stderr; return the exit status 1."""
    print(f"slmdesk: error: {error.message}", file=sys.stderr)
    if error.hint:
        print(error.hint, file=sys.stderr)
    return 1


def apply_user_settings() -> None:
    """Apply this user's settings that act on the whole process: offline mode (no request to
    the Hugging Face Hub from this command or the processes it starts,
    :func:`slmdesk.core.settings.apply_offline_mode`)."""
    from slmdesk import paths
    from slmdesk.core.settings import apply_offline_mode, load_settings

    apply_offline_mode(load_settings(paths.resolve().settings_file).offline_mode)


def open_inventory() -> Any:
    """The inventory of this user (``paths.resolve().database``), migrated; the load settings
    of older versions are imported once. Applies the user's settings first
    (:func:`apply_user_settings`): every command that works on the user's models passes here."""
    from slmdesk import paths
    from slmdesk.inventory.load_plans import import_legacy_file
    from slmdesk.inventory.repository import open_inventory as open_database

    apply_user_settings()
    app_paths = paths.resolve()
    inventory = open_database(app_paths.database)
    import_legacy_file(inventory, app_paths.load_defaults_file)
    return inventory


def print_json(value: Any) -> None:
    """``value`` as indented JSON on stdout."""
    print(json.dumps(value, indent=2, ensure_ascii=False))


def estimated_gpu_layers(path: Any, plan: Any) -> int | None:
    """For a plan with "automatic" GPU layers, the count the fit estimator chooses for this
    machine (``FitEstimate.gpu_layers``); None for a fixed count, or when the estimate cannot
    be made (the plan then loads on the CPU: ``LoadPlan.gpu_layers_for``)."""
    if plan.n_gpu_layers is not None:
        return None
    from slmdesk import paths
    from slmdesk.core.fit import estimate
    from slmdesk.formats.detect import read_spec
    from slmdesk.hardware.profile import probe

    try:
        result = estimate(read_spec(path), plan.fit_options(), probe(paths.resolve(), measure_bandwidth=False))
    except UserError:
        return None
    layers: int = result.gpu_layers
    return layers
