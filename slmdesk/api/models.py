"""Which models the server offers, the names clients use for them, and the settings each loads with.

A served model is an inventory artifact that the engines can load
(:attr:`~slmdesk.inventory.records.ArtifactRecord.loadable`), or a file the user named on the
command line. Its API name is its file name without ``.gguf`` (the prefix for a split set, the
folder name for an ONNX model, ``name:tag`` for an Ollama model); a second artifact with the
same name gets ``@<inventory id>`` appended. Clients may also name a model by its inventory id.
The load settings come from the model's load plan, the one the Chat pane uses
(:class:`~slmdesk.inventory.load_plans.LoadPlanStore`).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from slmdesk.core.errors import UserError
from slmdesk.core.load_plan import LoadPlan
from slmdesk.engine.types import LoadSettings
from slmdesk.formats.split import parse_split_name
from slmdesk.inventory.load_plans import LoadPlanStore
from slmdesk.inventory.records import ArtifactRecord
from slmdesk.inventory.repository import Inventory

CACHE_S = 5.0
"""How long the inventory's model list is reused (seconds): a request then costs no database
query; a name not found triggers a fresh read, so a model added a moment ago is found."""


@dataclass(frozen=True)
class ServedModel:
    """One model the server offers.

    Attributes:
        id: the name clients send as ``model``.
        path: the GGUF file (first part of a split set) or the ONNX GenAI folder.
        format: ``"gguf"`` or ``"onnx"``.
        artifact_id: its inventory id, None for a file outside the inventory.
        context_length: the training context (tokens), None when unknown.
        created: when it was added to the inventory, seconds since the epoch (0 if unknown).
    """

    id: str
    path: Path
    format: str
    artifact_id: int | None = None
    context_length: int | None = None
    created: int = 0


SettingsFor = Callable[[ServedModel], LoadSettings]
"""``settings_for(model) -> LoadSettings``: how to load a served model (its load plan)."""


def base_name(path: Path, format: str) -> str:  # noqa: A002 - the artifact field's name
    """A model's API name before de-duplication: the file name without ``.gguf`` (a split
    set's prefix), or the folder name."""
    if format != "gguf":
        return path.name
    split = parse_split_name(path.name)
    if split is not None:
        return split.prefix
    return path.name[:-5] if path.name.lower().endswith(".gguf") else path.name


def record_name(record: ArtifactRecord) -> str:
    """The API name of an inventory artifact before de-duplication (Ollama models keep the
    ``name:tag`` users know them by: their blobs are named after their SHA-256)."""
    if record.source_kind == "ollama":
        name = record.source_detail.get("name")
        if isinstance(name, str) and name:
            return name
    return base_name(record.path, record.format)


def served_models(records: Sequence[ArtifactRecord]) -> list[ServedModel]:
    """The loadable artifacts among ``records`` as served models, with unique names (the
    artifact with the lowest id keeps the plain name, later ones get ``@<id>``)."""
    models: list[ServedModel] = []
    taken: set[str] = set()
    for record in sorted(records, key=lambda r: r.id):
        if not record.loadable:
            continue
        name = record_name(record)
        if name.lower() in taken or name.isdigit():
            name = f"{name}@{record.id}"
        taken.add(name.lower())
        created = int(record.added_at.timestamp()) if record.added_at is not None else 0
        models.append(ServedModel(name, record.path, record.format, record.id, record.context_length, created))
    return models


def model_for_path(path: Path, inventory: Inventory | None = None) -> ServedModel:
    """A served model for a file or folder the user named: its inventory record when it has
    one, else read from its header (format and training context).

    Raises:
        UserError: the path does not exist, or is neither a GGUF file nor an ONNX GenAI folder.
    """
    from slmdesk.formats.detect import read_spec

    path = path.expanduser().absolute()
    if not path.exists():
        raise UserError(f"{path} does not exist.", "Pass a GGUF file, an ONNX GenAI folder or an inventory id.")
    record = inventory.find_by_path(path) if inventory is not None else None
    if record is not None:
        return ServedModel(record_name(record), record.path, record.format, record.id, record.context_length,
                           int(record.added_at.timestamp()) if record.added_at else 0)
    spec = read_spec(path)
    if spec.format not in ("gguf", "onnx"):
        raise UserError(f"{path.name} is a {spec.format} model; the engines load GGUF files and ONNX GenAI folders.",
                        "Convert it first.")
    return ServedModel(base_name(path, spec.format), path, spec.format, None, spec.context_length,
                       int(path.stat().st_mtime))


class ModelCatalog:
    """The models a server offers: a fixed list, or every loadable artifact of the inventory.

    Args:
        inventory: read for the model list when ``fixed`` is empty (cached :data:`CACHE_S`).
        fixed: serve exactly these models (``slmdesk serve --model ...``).

    Thread-safe.
    """

    def __init__(self, inventory: Inventory | None = None, fixed: Sequence[ServedModel] = ()) -> None:
        self._inventory = inventory
        self._fixed = list(fixed)
        self._lock = threading.Lock()
        self._cached: list[ServedModel] | None = None
        self._read_at = 0.0

    @classmethod
    def from_refs(cls, inventory: Inventory | None, refs: Sequence[str]) -> ModelCatalog:
        """A catalog of the models named by ``refs`` (inventory ids or paths); with no refs,
        every loadable model of ``inventory``.

        Raises:
            UserError: an id that is not in the inventory or cannot be loaded, a path that
                does not exist or is not a model.
        """
        if not refs:
            return cls(inventory)
        chosen: list[ServedModel] = []
        everything = {m.artifact_id: m for m in served_models(inventory.list_artifacts())} if inventory else {}
        for ref in refs:
            path = Path(ref).expanduser()
            if ref.isdigit() and not path.exists():
                model = everything.get(int(ref))
                if model is None:
                    raise UserError(f"There is no loadable model with id {ref} in the inventory.",
                                    "See the ids with `slmdesk list`.")
            else:
                model = model_for_path(path, inventory)
            if model not in chosen:
                chosen.append(model)
        names = [m.id for m in chosen]
        unique = [m if names.count(m.id) == 1 else ServedModel(f"{m.id}@{i + 1}", m.path, m.format, m.artifact_id,
                                                                 m.context_length, m.created)
                  for i, m in enumerate(chosen)]
        return cls(inventory, unique)

    def models(self, refresh: bool = False) -> list[ServedModel]:
        """Every served model, in inventory order (``refresh`` re-reads the inventory)."""
        if self._fixed or self._inventory is None:
            return list(self._fixed)
        with self._lock:
            now = time.monotonic()
            if refresh or self._cached is None or now - self._read_at > CACHE_S:
                self._cached = served_models(self._inventory.list_artifacts(status="ok"))
                self._read_at = now
            return list(self._cached)

    def resolve(self, name: str) -> ServedModel | None:
        """The model a client means by ``name``: its API name, its inventory id, or its path;
        then the API name ignoring case. None when there is no such model."""
        for refresh in (False, True):
            found = self._match(self.models(refresh), name)
            if found is not None or self._fixed or self._inventory is None:
                return found
        return None

    @staticmethod
    def _match(models: Sequence[ServedModel], name: str) -> ServedModel | None:
        for model in models:
            if model.id == name:
                return model
        if name.isdigit():
            return next((m for m in models if m.artifact_id == int(name)), None)
        folded = name.lower()
        for model in models:
            if str(model.path) == name or model.id.lower() == folded:
                return model
        return None


def plan_settings(
    plans: LoadPlanStore | None,
    default_threads: int | None = None,
    gpu_layers: Callable[[ServedModel, LoadPlan], int | None] | None = None,
    **overrides: int,
) -> SettingsFor:
    """``settings_for(model)`` from load plans, as the Chat pane loads: the saved plan (else
    Settings' default context capped at the training context), its threads else
    ``default_threads`` (Settings' threads; None = physical cores), "automatic" GPU layers from ``gpu_layers(model,
    plan)`` (the fit estimator's count; CPU only without it). ``overrides`` replace
    :class:`LoadSettings` fields (``n_ctx``, ``n_threads``: ``slmdesk serve --ctx/--threads``).

    Raises (when called):
        UserError: an invalid combination (see :class:`LoadSettings`).
    """

    def settings_for(model: ServedModel) -> LoadSettings:
        if plans is not None:
            plan = plans.plan_for(model.artifact_id, model.context_length)
        else:
            plan = LoadPlan.default_for(model.context_length)
        estimate = gpu_layers(model, plan) if gpu_layers is not None and plan.n_gpu_layers is None else None
        values: dict[str, int | None] = {"n_threads": plan.n_threads or default_threads or None}
        values.update(overrides)
        return LoadSettings.from_plan(plan, estimate, **values)

    return settings_for
