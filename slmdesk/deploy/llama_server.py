"""The llama.cpp bundle: a ``llama-server`` command line and a hardened systemd unit, and for a
model spread over several machines the RPC layout (``rpc-server`` on each, ``--rpc`` and
``--tensor-split`` on the head).

Flags are those of llama.cpp's ``tools/server/README.md`` (``-m``, ``-c``, ``-ngl``, ``-fa
on|off``, ``-ctk``/``-ctv``, ``-t``, ``--host``, ``--port``, ``--parallel``, ``--metrics``,
``--rpc``, ``--tensor-split``; the API key from the ``LLAMA_API_KEY`` environment variable, which
``--api-key`` reads) and ``tools/rpc/README.md`` (``rpc-server -H host -p port -c``).
"""

from __future__ import annotations

import shlex
from pathlib import PurePosixPath

from slmdesk.core.load_plan import LoadPlan
from slmdesk.deploy.bundle import Bundle, BundleFile, DeployRequest
from slmdesk.deploy.rpc_split import RpcSplit, split_layers

DEFAULT_PORT = 8080
"""llama-server's default port."""

LLAMA_SERVER_BIN = "/usr/local/bin/llama-server"
RPC_SERVER_BIN = "/usr/local/bin/rpc-server"
"""Where the units expect the binaries (``cmake --install`` puts them there; edit if not)."""

MODELS_DIR = PurePosixPath("/srv/models")
"""Where the systemd unit reads the model: a system folder the service's dynamic user can read
(a file under a home folder usually cannot be); the README says how to copy it there."""


def gpu_layers(request: DeployRequest, split: RpcSplit | None = None) -> int:
    """``-ngl``: every layer for an RPC layout; else the plan's count, its "automatic" resolved by
    the fit estimate (:meth:`LoadPlan.gpu_layers_for`, never "all" without an estimate), -1 as
    ``n_layer + 1``."""
    if split is not None:
        return split.gpu_layers
    layers = request.plan.gpu_layers_for(request.estimated_gpu_layers)
    return (request.spec.n_layer or 998) + 1 if layers < 0 else layers


def server_argv(request: DeployRequest, model: str, host: str = "0.0.0.0",
                split: RpcSplit | None = None) -> list[str]:
    """``llama-server`` and its arguments for ``request`` reading the GGUF at ``model``.

    One slot (``--parallel 1``): llama-server divides ``-c`` among its slots, and the plan's
    context is per conversation. ``--metrics`` turns on the Prometheus endpoint. The API key is
    not an argument (it would show in ``ps``): llama-server reads ``LLAMA_API_KEY``.
    """
    plan: LoadPlan = request.plan
    sampling = request.sampling
    argv = [
        "llama-server", "-m", model, "-c", str(plan.n_ctx), "-ngl", str(gpu_layers(request, split)),
        "-fa", "on" if plan.flash_attn_on else "off",
    ]
    if plan.kv_type != "f16":
        argv += ["-ctk", plan.kv_type, "-ctv", plan.kv_type]
    if plan.n_threads:
        argv += ["-t", str(plan.n_threads)]
    argv += ["--host", host, "--port", str(request.port or DEFAULT_PORT), "--parallel", "1", "--metrics"]
    argv += ["--temp", f"{sampling.temperature:g}", "--top-k", str(sampling.top_k), "--top-p", f"{sampling.top_p:g}",
             "--min-p", f"{sampling.min_p:g}", "--repeat-penalty", f"{sampling.repeat_penalty:g}",
             "-n", str(sampling.max_tokens)]
    if split is not None:
        argv += ["--rpc", ",".join(rpc_endpoints(split)), "--tensor-split", split.tensor_split]
    return argv


def rpc_endpoints(split: RpcSplit) -> list[str]:
    """``host:port`` of each ``rpc-server`` in ``--rpc`` order; the head's own on loopback."""
    return [f"127.0.0.1:{share.host.port}" if index == 0 else f"{share.host.name}:{share.host.port}"
            for index, share in enumerate(split.shares)]


def _shell(argv: list[str]) -> str:
    """``argv`` quoted for ``sh``, one option and its value per line."""
    lines: list[list[str]] = []
    for part in argv:
        if not lines or part.startswith("-"):
            lines.append([])
        lines[-1].append(shlex.quote(part))
    return " \\\n    ".join(" ".join(line) for line in lines)


def _hardening(uses_gpu: bool) -> list[str]:
    """systemd sandboxing for a network service that only reads its model (``systemd.exec(5)``);
    GPU access needs ``/dev/nvidia*`` (no PrivateDevices) and CUDA's JIT writable+executable memory."""
    lines = [
        "DynamicUser=yes",
        "NoNewPrivileges=yes",
        "ProtectSystem=strict",
        "ProtectHome=yes",
        "PrivateTmp=yes",
        "ProtectKernelTunables=yes",
        "ProtectKernelModules=yes",
        "ProtectKernelLogs=yes",
        "ProtectControlGroups=yes",
        "ProtectClock=yes",
        "ProtectHostname=yes",
        "RestrictNamespaces=yes",
        "RestrictRealtime=yes",
        "RestrictSUIDSGID=yes",
        "LockPersonality=yes",
        "RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX",
        "SystemCallArchitectures=native",
        "CapabilityBoundingSet=",
        "AmbientCapabilities=",
        "UMask=0077",
    ]
    if not uses_gpu:
        lines += ["PrivateDevices=yes", "MemoryDenyWriteExecute=yes"]
    return lines


def server_unit(request: DeployRequest, split: RpcSplit | None = None) -> str:
    """The ``llama-server-<slug>.service`` unit: hardened (a dynamic user, read-only system,
    no new privileges, no capabilities), restarted on failure, the API key from an environment
    file only root can read."""
    model = str(MODELS_DIR / request.spec.path.name)
    argv = server_argv(request, model, split=split)
    argv[0] = LLAMA_SERVER_BIN
    uses_gpu = gpu_layers(request, split) > 0 and split is None
    lines = [
        "[Unit]",
        f"Description=llama-server: {request.name} (exported by slmdesk)",
        "Documentation=https://github.com/ggml-org/llama.cpp/tree/master/tools/server",
        "After=network-online.target",
        "Wants=network-online.target",
        "",
        "[Service]",
        "Type=exec",
        f"EnvironmentFile=/etc/llama-server/{request.slug}.env",
        f"ExecStart={' '.join(argv)}",
        "Restart=on-failure",
        "RestartSec=5",
        f"ReadOnlyPaths={MODELS_DIR}",
        *_hardening(uses_gpu),
        "",
        "[Install]",
        "WantedBy=multi-user.target",
    ]
    return "\n".join(lines) + "\n"


def rpc_unit(request: DeployRequest, bind: str, port: int) -> str:
    """A hardened ``rpc-server`` unit listening on ``bind:port``, with its tensor cache (``-c``)
    in the service's cache directory."""
    lines = [
        "[Unit]",
        f"Description=llama.cpp rpc-server for {request.name} (exported by slmdesk)",
        "Documentation=https://github.com/ggml-org/llama.cpp/tree/master/tools/rpc",
        "After=network-online.target",
        "Wants=network-online.target",
        "",
        "[Service]",
        "Type=exec",
        "CacheDirectory=llama-rpc",
        "Environment=LLAMA_CACHE=/var/cache/llama-rpc",
        f"ExecStart={RPC_SERVER_BIN} -H {bind} -p {port} -c",
        "Restart=on-failure",
        "RestartSec=5",
        *_hardening(uses_gpu=True),
        "",
        "[Install]",
        "WantedBy=multi-user.target",
    ]
    return "\n".join(lines) + "\n"


def build(request: DeployRequest) -> Bundle:
    """The llama.cpp files under ``llama-server/``: ``run.sh`` (the command line, to try it as
    yourself), ``llama-server-<slug>.service``, ``llama-server.env.example``; with hosts, the RPC
    layout too (``rpc/rpc-server-<host>.service`` and ``rpc/run-rpc-<host>.sh`` per machine,
    ``rpc/split.txt``). Its README section.

    Raises:
        UserError: the model does not fit the hosts (:func:`~slmdesk.deploy.rpc_split.split_layers`).
    """
    split = None
    if request.hosts:
        options = request.plan.fit_options(n_gpu_layers=None)
        split = split_layers(request.spec, options, request.hosts)
    argv = server_argv(request, str(request.spec.path), split=split)
    slug = request.slug
    run = (
        "#!/bin/sh\n"
        f"# llama-server for {request.name}; load plan: {request.plan.describe()}.\n"
        "# The API key comes from LLAMA_API_KEY (llama-server reads it; it never appears in `ps`).\n"
        "set -eu\n"
        ': "${LLAMA_API_KEY:?set LLAMA_API_KEY first, for example: export LLAMA_API_KEY=$(openssl rand -hex 32)}"\n'
        f"exec {_shell(argv)}\n"
    )
    unit_name = f"llama-server-{slug}.service"
    files = [
        BundleFile("llama-server/run.sh", run, executable=True),
        BundleFile(f"llama-server/{unit_name}", server_unit(request, split)),
        BundleFile("llama-server/llama-server.env.example",
                   "# Copy to /etc/llama-server/<name>.env (mode 0600, owned by root) and put a real key here.\n"
                   "LLAMA_API_KEY=replace-with-a-long-random-key\n"),
    ]
    port = request.port or DEFAULT_PORT
    readme = [
        "## llama.cpp server (`llama-server/`)\n",
        ("- `run.sh`: the `llama-server` command line with the load plan (context, GPU layers, flash attention, "
        "KV cache type, threads) and sampling defaults; `--metrics` serves Prometheus metrics on `/metrics`."),
        (f"- `{unit_name}`: a systemd unit for it, hardened (`DynamicUser`, `ProtectSystem=strict`, "
        "`NoNewPrivileges`, no capabilities), `Restart=on-failure`."),
        "- `llama-server.env.example`: the environment file the unit reads the API key from.\n",
        (f"Try it: `export LLAMA_API_KEY=$(openssl rand -hex 32); sh llama-server/run.sh`, then "
        f"`curl -H \"Authorization: Bearer $LLAMA_API_KEY\" http://127.0.0.1:{port}/v1/models`.\n"),
        "Install the service:\n",
        "```sh",
        f"sudo install -D -m 0644 {shlex.quote(str(request.spec.path))} {MODELS_DIR / request.spec.path.name}",
        f"sudo install -D -m 0600 llama-server/llama-server.env.example /etc/llama-server/{slug}.env",
        f"sudo editor /etc/llama-server/{slug}.env   # a real key: openssl rand -hex 32",
        f"sudo install -m 0644 llama-server/{unit_name} /etc/systemd/system/",
        f"sudo systemctl daemon-reload && sudo systemctl enable --now {unit_name}",
        "```\n",
        (f"The unit expects `{LLAMA_SERVER_BIN}`; edit `ExecStart=` if yours is elsewhere. It listens on "
        f"0.0.0.0:{port}: keep a firewall in front of it, the API key is its only protection.\n"),
    ]
    if split is not None:
        files += _rpc_files(request, split)
        readme += _rpc_readme(request, split)
    return Bundle("llama-server", tuple(files), "\n".join(readme) + "\n")


def _rpc_files(request: DeployRequest, split: RpcSplit) -> list[BundleFile]:
    files: list[BundleFile] = []
    for index, share in enumerate(split.shares):
        host = share.host
        bind = "127.0.0.1" if index == 0 else "0.0.0.0"
        role = "head" if index == 0 else "worker"
        files.append(BundleFile(f"llama-server/rpc/rpc-server-{host.name}.service", rpc_unit(request, bind, host.port)))
        files.append(BundleFile(
            f"llama-server/rpc/run-rpc-{host.name}.sh",
            "#!/bin/sh\n"
            f"# rpc-server on {host.name} ({role}): holds {share.layers} of {split.n_layer + 1} layers.\n"
            "# rpc-server has no authentication: bind it to a private network only.\n"
            f"exec rpc-server -H {bind} -p {host.port} -c\n",
            executable=True,
        ))
    lines = [f"# RPC split of {request.name} at n_ctx {request.plan.n_ctx}, KV {request.plan.kv_type}",
             "# host: layers (share), predicted memory of usable memory (free memory less 10 %)",
             *split.describe(),
             f"--rpc {','.join(rpc_endpoints(split))}",
             f"--tensor-split {split.tensor_split}"]
    files.append(BundleFile("llama-server/rpc/split.txt", "\n".join(lines) + "\n"))
    return files


def _rpc_readme(request: DeployRequest, split: RpcSplit) -> list[str]:
    head = split.shares[0].host.name
    rows = "\n".join(
        f"| {s.host.name} | {s.host.source} | {s.layers} | {s.first_layer}–{s.first_layer + s.layers - 1} |"
        for s in split.shares
    )
    return [
        "### Across several machines (llama.cpp RPC)\n",
        (f"The model is split over {len(split.shares)} machines by the fit estimator (per-layer weights and KV cache, "
        "compute buffers, 10 % margin); `rpc/split.txt` has the figures.\n"),
        "| host | memory from | layers | layer range |",
        "|---|---|---|---|",
        rows + "\n",
        ("1. On every worker, build llama.cpp with `-DGGML_RPC=ON` and start `rpc/run-rpc-<host>.sh` "
        "(or install its `rpc-server-<host>.service` like the server's unit)."),
        (f"2. On the head ({head}), start its own `rpc-server` (loopback only), then `llama-server/run.sh`: "
        f"it passes `--rpc {','.join(rpc_endpoints(split))} --tensor-split {split.tensor_split}` and `-ngl "
        f"{split.gpu_layers}` (every layer on the RPC devices, in `--rpc` order)."),
        ("3. `rpc-server` has no authentication and is a proof of concept upstream: open its port only to the head "
        "(e.g. `ufw allow from HEAD_IP to any port 50052 proto tcp`).\n"),
    ]
