"""Deployment bundles: the files to serve a model elsewhere, sized by the fit estimator.

Targets (:data:`TARGETS`): ``ollama`` (a Modelfile), ``llama-server`` (command line, systemd unit,
llama.cpp RPC layout over several machines), ``vllm-compose`` (Docker Compose, Prometheus,
Grafana) and ``k8s`` (Kubernetes manifests, Prometheus scrape job, Grafana dashboard)::

    request = request_for_path(Path("model.gguf"), port=8080)
    written = export(request, ["ollama", "llama-server"], Path("deploy-smollm2"))

No Qt here (an import-linter contract checks it); the Library runs :func:`export` in a job.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from slmdesk.core.errors import UserError
from slmdesk.deploy import llama_server, ollama, vllm
from slmdesk.deploy.bundle import TARGETS, Bundle, BundleFile, DeployRequest, HostMemory, slugify, write_bundle
from slmdesk.deploy.rpc_split import RpcSplit, parse_hosts, split_layers
from slmdesk.deploy.source import request_for_path, request_for_record

_BUILDERS: dict[str, Callable[[DeployRequest], Bundle]] = {
    "ollama": ollama.build,
    "llama-server": llama_server.build,
    "vllm-compose": vllm.build_compose,
    "k8s": vllm.build_kubernetes,
}


def build(request: DeployRequest, targets: Sequence[str]) -> list[Bundle]:
    """The bundles of ``targets`` (each once, in :data:`TARGETS` order).

    Raises:
        UserError: an unknown target, no target, or a target that cannot serve this model (the
            message says why and what to do).
    """
    unknown = [t for t in targets if t not in _BUILDERS]
    if unknown or not targets:
        raise UserError(f"Unknown deployment target {', '.join(unknown) or '(none)'}.",
                        f"Use one or more of: {', '.join(TARGETS)}.")
    return [_BUILDERS[target](request) for target in TARGETS if target in targets]


def readme(request: DeployRequest, bundles: Sequence[Bundle]) -> str:
    """``README.md``: the model, its load plan, then each target's section (what each file is and
    how to apply it), and the rule for secrets."""
    spec = request.spec
    head = [
        f"# Deployment files for {request.name}",
        "",
        "Written by slmdesk's \"Export deployment\" (`slmdesk export-deploy`).",
        "",
        f"- Model: `{spec.path}` ({spec.format}{', ' + spec.quantization if spec.quantization else ''})",
        f"- Load plan: {request.plan.describe()}",
    ]
    if request.license:
        head.append(f"- Licence: {request.license}")
    head += [
        "",
        "No file here holds a real secret: API keys are placeholders (`replace-with-...`) or read from the",
        "environment. Generate one with `openssl rand -hex 32` and set it as each section says.",
        "",
    ]
    sections = [bundle.readme + "\nFiles: " + ", ".join(f"`{f.path}`" for f in bundle.files) + ".\n"
                for bundle in bundles]
    return "\n".join(head) + "\n" + "\n".join(sections)


def export(request: DeployRequest, targets: Sequence[str], folder: Path, force: bool = False) -> list[Path]:
    """Build the bundles of ``targets`` and write them with a README into ``folder``; returns the
    files written (README first). Everything is built before anything is written, so a refusal
    (a model that fits no host set, a missing repo) leaves no half-written folder.

    Raises:
        UserError: as :func:`build` and :func:`~slmdesk.deploy.bundle.write_bundle`.
    """
    bundles = build(request, targets)
    return write_bundle(folder, bundles, readme(request, bundles), force=force)


__all__ = [
    "TARGETS",
    "Bundle",
    "BundleFile",
    "DeployRequest",
    "HostMemory",
    "RpcSplit",
    "build",
    "export",
    "parse_hosts",
    "readme",
    "request_for_path",
    "request_for_record",
    "slugify",
    "split_layers",
    "write_bundle",
]
