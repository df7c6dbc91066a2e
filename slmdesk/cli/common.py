"""What every command shares: errors, the inventory, JSON output."""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Iterator
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

from slmdesk.core.errors import UserError

if TYPE_CHECKING:
    from slmdesk.core.offline import OfflineState

_json_errors: ContextVar[bool] = ContextVar("slmdesk_cli_json_errors", default=False)
"""Whether the running command was given ``--json``: its errors then also go to stdout as
one JSON object (:func:`fail`). Set around the command by :func:`json_errors`."""


@contextlib.contextmanager
def json_errors(enabled: bool) -> Iterator[None]:
    """While the block runs, :func:`fail` and :func:`interrupted` also print their error as
    JSON on stdout when ``enabled`` (the command was given ``--json``)."""
    token = _json_errors.set(enabled)
    try:
        yield
    finally:
        _json_errors.reset(token)


def json_errors_wanted() -> bool:
    """Whether errors are also printed as JSON now (inside ``json_errors(True)``)."""
    return _json_errors.get()


def print_error_json(message: str, hint: str | None) -> None:
    """``{"error": message, "hint": hint or null}`` as one line on stdout."""
    print(json.dumps({"error": message, "hint": hint or None}, ensure_ascii=False), flush=True)


def fail(error: UserError) -> int:
    """Print ``error`` (and its hint) on stderr, and with ``--json`` also
    ``{"error": ..., "hint": ...}`` on stdout (:func:`json_errors`); return the exit status 1."""
    print(f"slmdesk: error: {error.message}", file=sys.stderr)
    if error.hint:
        print(error.hint, file=sys.stderr)
    if _json_errors.get():
        print_error_json(error.message, error.hint)
    return 1


def interrupted() -> int:
    """Report an interrupted command (Ctrl-C) like :func:`fail`; return the exit status 130."""
    print("\nslmdesk: interrupted", file=sys.stderr)
    if _json_errors.get():
        print_error_json("Interrupted.", None)
    return 130


def apply_user_settings(process: str | None = None) -> OfflineState:
    """Apply this user's settings that act on the whole process: offline mode (overridden on by
    ``--offline``/``SLMDESK_OFFLINE=1``) in the environment every child inherits, and the network
    guard that logs, and in offline mode blocks, every connection leaving this computer
    (:func:`slmdesk.core.offline.apply_network_policy`). ``process``: the command's name in the
    Network log (None keeps the name given before). Returns the offline state applied."""
    from slmdesk import paths
    from slmdesk.core.offline import apply_network_policy
    from slmdesk.core.settings import load_settings
    from slmdesk.hub.http import install_request_log

    app_paths = paths.resolve()
    state = apply_network_policy(load_settings(app_paths.settings_file).offline_mode, process=process,
                                 app_paths=app_paths)
    install_request_log()  # HTTP requests through huggingface_hub in the Network log, after the policy
    return state


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
