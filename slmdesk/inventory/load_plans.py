"""Load plans in the inventory (table ``load_plan``, migration 0005) and the in-memory store the
panes, the CLI and the server share.

:class:`LoadPlanStore` is the one place a plan is read or saved in a process: the Fit panel
saves through it, Chat and Benchmark read from it (no file between two widgets). It reads every
plan once (a few hundred bytes per model) and writes through to the database; a plan goes with
its artifact (``ON DELETE CASCADE``).
"""

from __future__ import annotations

import json
import logging
import threading
from pathlib import Path

from sqlalchemy import select

from slmdesk.core.errors import UserError
from slmdesk.core.load_plan import LoadPlan
from slmdesk.inventory.orm import Artifact, utcnow
from slmdesk.inventory.orm import LoadPlan as LoadPlanRow
from slmdesk.inventory.repository import Inventory

log = logging.getLogger(__name__)


def _plan(row: LoadPlanRow) -> LoadPlan:
    return LoadPlan(n_ctx=row.n_ctx, kv_type=row.kv_type, flash_attn=row.flash_attn,
                    n_gpu_layers=row.n_gpu_layers, n_threads=row.n_threads, profile=row.profile)


def read_plans(inventory: Inventory) -> dict[int, LoadPlan]:
    """Every stored plan by artifact id (a damaged row is skipped and logged)."""
    plans: dict[int, LoadPlan] = {}
    with inventory.session() as session:
        for row in session.scalars(select(LoadPlanRow)):
            try:
                plans[row.artifact_id] = _plan(row)
            except UserError as error:
                log.warning("load plan of artifact %s ignored: %s", row.artifact_id, error.message)
    return plans


def write_plan(inventory: Inventory, artifact_id: int, plan: LoadPlan) -> None:
    """Insert or replace ``artifact_id``'s plan.

    Raises:
        UserError: the artifact is not in the inventory (removed meanwhile).
    """
    with inventory.write_session() as session:
        if session.get(Artifact, artifact_id) is None:
            raise UserError(f"Model {artifact_id} is no longer in the inventory; its load settings were not saved.")
        row = session.get(LoadPlanRow, artifact_id) or LoadPlanRow(artifact_id=artifact_id)
        row.n_ctx, row.kv_type, row.flash_attn = plan.n_ctx, plan.kv_type, plan.flash_attn
        row.n_gpu_layers, row.n_threads, row.profile = plan.n_gpu_layers, plan.n_threads, plan.profile
        row.updated_at = utcnow()
        session.add(row)


class LoadPlanStore:
    """The plans of one inventory, cached in memory, written through. Thread-safe.

    Args:
        inventory: the open inventory.
        default_n_ctx: the context of a model without a plan (Settings' default context).
    """

    def __init__(self, inventory: Inventory, default_n_ctx: int | None = None) -> None:
        self._inventory = inventory
        self._lock = threading.Lock()
        self._plans: dict[int, LoadPlan] | None = None
        self.default_n_ctx = default_n_ctx

    def _all(self) -> dict[int, LoadPlan]:
        if self._plans is None:
            self._plans = read_plans(self._inventory)
        return self._plans

    def get(self, artifact_id: int) -> LoadPlan | None:
        """The plan the user saved for ``artifact_id``, None when there is none."""
        with self._lock:
            return self._all().get(artifact_id)

    def plan_for(self, artifact_id: int | None, context_length: int | None) -> LoadPlan:
        """The saved plan, else :meth:`LoadPlan.default_for` the model's training context."""
        saved = self.get(artifact_id) if artifact_id is not None else None
        if saved is not None:
            return saved
        if self.default_n_ctx:
            return LoadPlan.default_for(context_length, self.default_n_ctx)
        return LoadPlan.default_for(context_length)

    def save(self, artifact_id: int, plan: LoadPlan) -> None:
        """Store ``plan`` for ``artifact_id`` (database first, then the cache).

        Raises:
            UserError: the artifact was removed meanwhile.
        """
        write_plan(self._inventory, artifact_id, plan)
        with self._lock:
            self._all()[artifact_id] = plan

    def forget(self, artifact_id: int) -> None:
        """Drop the cached plan of a removed artifact (the database row went with it)."""
        with self._lock:
            if self._plans is not None:
                self._plans.pop(artifact_id, None)

    def reload(self) -> None:
        """Read the plans again at the next access (after another process changed them)."""
        with self._lock:
            self._plans = None


def import_legacy_file(inventory: Inventory, path: Path) -> int:
    """Import the load settings that slmdesk kept in ``load_defaults.json`` before migration
    0005 (``{"<artifact id>": {"n_ctx", "kv_type", "flash_attn", "n_gpu_layers", "profile"}}``),
    once: the file is renamed to ``load_defaults.json.imported`` afterwards. Entries of removed
    artifacts, and damaged entries, are skipped (logged). Returns the number imported; 0 when
    there is no file. Never raises for a bad file: the user's models stay usable with defaults.
    """
    if not path.is_file():
        return 0
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        log.warning("load defaults: cannot import %s (%s)", path, error)
        return 0
    imported = 0
    for key, value in (raw.items() if isinstance(raw, dict) else ()):
        try:
            write_plan(inventory, int(key), LoadPlan.from_json(dict(value)))
            imported += 1
        except (UserError, TypeError, ValueError) as error:
            log.warning("load defaults: entry %r not imported (%s)", key, error)
    try:
        path.rename(path.with_name(path.name + ".imported"))
    except OSError as error:
        log.warning("load defaults: %s imported but not renamed (%s)", path, error)
    return imported
