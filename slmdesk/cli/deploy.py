"""``slmdesk export-deploy``: the files to serve a model with Ollama, llama-server, vLLM or Kubernetes."""

from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path
from typing import Any

from slmdesk.cli.common import fail, open_inventory, print_json
from slmdesk.core.errors import UserError

TARGET_CHOICES = ("ollama", "llama-server", "vllm-compose", "k8s", "all")


def add_commands(subparsers: Any) -> None:
    """``export-deploy``: write a deployment bundle for an inventory model or a model path."""
    command = subparsers.add_parser(
        "export-deploy",
        help="write the files to serve a model with Ollama, llama-server, vLLM (Compose) or Kubernetes",
        description="Write a folder of deployment files for a model (an inventory id or a path), with its "
        "load plan: an Ollama Modelfile; a llama-server command line and hardened systemd unit (with "
        "--hosts, the llama.cpp RPC layout split over several machines by the fit estimator); vLLM as a "
        "Docker Compose file or Kubernetes manifests with Prometheus and Grafana; and a README saying how "
        "to apply each. No real secret is ever written.",
    )
    command.add_argument("target_model", metavar="ID|PATH")
    command.add_argument("--target", action="append", choices=TARGET_CHOICES, required=True,
                         help="what to write (repeatable; 'all' for every target)")
    command.add_argument("--out", type=Path, default=None,
                         help="a new or empty folder (default: ./deploy-<model> in the current folder)")
    command.add_argument("--force", action="store_true", help="write into a folder that is not empty")
    command.add_argument("--hosts", default=None, metavar="NAME=GiB,...",
                         help="llama.cpp RPC layout over these machines, head first: name=free GiB (24, 512MiB) "
                         "or name=hardware profile (see `slmdesk fit --list-profiles`); name may end in :port")
    command.add_argument("--port", type=int, default=None,
                         help="the port the server listens on (default: 11434 Ollama, 8080 llama-server, 8000 vLLM)")
    command.add_argument("--hf-repo", default=None,
                         help="the Hugging Face repo vLLM serves (needed for a GGUF: vLLM loads the original weights)")
    command.add_argument("--system", default=None, help="a system prompt for the Ollama Modelfile")
    command.add_argument("--profile", default=None,
                         help="target hardware profile that resolves 'automatic' GPU layers (default: CPU only)")
    command.add_argument("--json", action="store_true", help="print {folder, files} as one JSON object")
    command.set_defaults(handler=_cmd_export)


def _request(args: argparse.Namespace) -> Any:
    from slmdesk.deploy import request_for_path, request_for_record

    choices: dict[str, Any] = {"port": args.port, "hf_repo": args.hf_repo, "system_prompt": args.system}
    if args.hosts:
        choices["hosts"] = _hosts(args.hosts)
    path = Path(args.target_model).expanduser()
    if args.target_model.isdigit() and not path.exists():
        with open_inventory() as inventory:
            record = inventory.get_artifact(int(args.target_model))
            if record is None:
                raise UserError(f"There is no model with id {args.target_model} in the inventory.",
                                "See the ids with `slmdesk list`.")
            return request_for_record(inventory, record, **choices)
    if not path.exists():
        raise UserError(f"{path} does not exist.", "Pass a GGUF file, a model folder or an inventory id.")
    return request_for_path(path, **choices)


def _hosts(text: str) -> Any:
    from slmdesk import paths
    from slmdesk.core.profiles import PRESETS
    from slmdesk.deploy import parse_hosts
    from slmdesk.hardware.profile import load_user_profiles

    profiles = dict(PRESETS)
    profiles.update({p.name: p for p in load_user_profiles(paths.resolve())})
    return parse_hosts(text, profiles)


def _with_profile_layers(request: Any, profile_name: str) -> Any:
    """The request with "automatic" GPU layers resolved by the fit estimate on ``profile_name``."""
    from slmdesk import paths
    from slmdesk.core.fit import estimate
    from slmdesk.hardware.profile import resolve_profile

    if request.plan.n_gpu_layers is not None:
        return request
    profile = resolve_profile(profile_name, paths.resolve(), measure_bandwidth=False)
    result = estimate(request.spec, request.plan.fit_options(), profile)
    return replace(request, estimated_gpu_layers=result.gpu_layers)


def _cmd_export(args: argparse.Namespace) -> int:
    from slmdesk.deploy import TARGETS, export

    try:
        targets = list(TARGETS) if "all" in args.target else list(dict.fromkeys(args.target))
        request = _request(args)
        if args.profile:
            request = _with_profile_layers(request, args.profile)
        folder = (args.out or Path.cwd() / f"deploy-{request.slug}").expanduser().absolute()
        written = export(request, targets, folder, force=args.force)
    except UserError as error:
        return fail(error)
    files = [str(path.relative_to(folder)) for path in written]
    if args.json:
        print_json({"folder": str(folder), "targets": targets, "files": files})
        return 0
    print(f"Deployment files for {request.name} in {folder}:")
    for name in files:
        print(f"  {name}")
    print(f"Read {folder / 'README.md'} for how to apply them.")
    return 0
