"""From an inventory artifact (or a model path) to a :class:`~slmdesk.deploy.bundle.DeployRequest`:
its header, its saved load plan, its licence and where it came from."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from slmdesk.core.errors import UserError
from slmdesk.core.load_plan import LoadPlan
from slmdesk.deploy.bundle import DeployRequest, HostMemory
from slmdesk.formats.detect import read_spec
from slmdesk.formats.naming import spec_display_name
from slmdesk.inventory.load_plans import LoadPlanStore
from slmdesk.inventory.records import ArtifactRecord
from slmdesk.inventory.repository import Inventory


def hf_repo_of(record: ArtifactRecord, model_repo: str | None = None) -> str | None:
    """The Hugging Face repo a Hugging Face folder came from (the cache's ``repo_id``, or the
    model's ``source_repo``); None for GGUF and ONNX artifacts, whose repos hold no weights vLLM
    serves as they are."""
    if record.format != "hf":
        return None
    repo = record.source_detail.get("repo_id") or model_repo
    return str(repo) if repo else None


def request_for_record(inventory: Inventory, record: ArtifactRecord, plans: LoadPlanStore | None = None,
                       **choices: Any) -> DeployRequest:
    """The request for an inventory artifact: its header (read now), its saved load plan (else the
    default for its training context), its model's licence, its Ollama name when it lives in
    Ollama's store; ``choices`` set the other :class:`DeployRequest` fields (``port``, ``hosts``,
    ``hf_repo``, ``system_prompt``...; ``hf_repo=None`` keeps the one slmdesk knows).

    Raises:
        UserError: the artifact is missing or unreadable.
    """
    if record.status in ("missing", "incomplete"):
        raise UserError(f"{record.display_name} is {record.status}: its files are not all where they were.",
                        "Rescan the library, or export another model.")
    spec = _read(record.path)
    store = plans or LoadPlanStore(inventory)
    plan = store.plan_for(record.id, spec.context_length)
    model = inventory.get_model(record.model_id) if record.model_id is not None else None
    ollama_name = record.source_detail.get("name") if record.source_kind == "ollama" else None
    defaults: dict[str, Any] = {
        "license": model.license if model is not None else None,
        "ollama_from": str(ollama_name) if ollama_name else None,
    }
    if choices.get("hf_repo") is None:
        choices["hf_repo"] = hf_repo_of(record, model.source_repo if model is not None else None)
    return DeployRequest(name=record.display_name, spec=spec, plan=plan, **{**defaults, **choices})


def request_for_path(path: Path, plan: LoadPlan | None = None, **choices: Any) -> DeployRequest:
    """The request for a model file or folder outside the inventory, with ``plan`` (default:
    :meth:`LoadPlan.default_for` its training context).

    Raises:
        UserError: not a model slmdesk can read.
    """
    spec = _read(path.expanduser().absolute())
    name = spec_display_name(spec)
    if spec.quantization and spec.quantization not in name:
        name = f"{name} ({spec.quantization})"
    return DeployRequest(name=name, spec=spec, plan=plan or LoadPlan.default_for(spec.context_length), **choices)


def _read(path: Path) -> Any:
    try:
        return read_spec(path)
    except UserError:
        raise
    except Exception as error:
        raise UserError(f"Cannot read {path}: {error}.", "Pass a GGUF file, a model folder or an inventory id.") \
            from error


__all__ = ["HostMemory", "hf_repo_of", "request_for_path", "request_for_record"]
