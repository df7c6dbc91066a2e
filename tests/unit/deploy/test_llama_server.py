"""The llama-server command line, its systemd unit and the RPC layout files."""

from __future__ import annotations

import configparser
from dataclasses import replace

from slmdesk.core.units import GIB
from slmdesk.deploy import DeployRequest, HostMemory, llama_server


def _option(argv: list[str], flag: str) -> str:
    return argv[argv.index(flag) + 1]


def test_the_command_line_follows_the_load_plan(toy_request: DeployRequest) -> None:
    argv = llama_server.server_argv(toy_request, str(toy_request.spec.path))
    assert argv[0] == "llama-server"
    assert _option(argv, "-m") == str(toy_request.spec.path)
    assert _option(argv, "-c") == "1024"
    assert _option(argv, "-ngl") == "9"
    assert _option(argv, "-fa") == "on"  # forced by the q8_0 KV cache
    assert (_option(argv, "-ctk"), _option(argv, "-ctv")) == ("q8_0", "q8_0")
    assert _option(argv, "-t") == "4"
    assert _option(argv, "--port") == "8080"
    assert _option(argv, "--parallel") == "1"  # llama-server divides -c among its slots
    assert "--metrics" in argv
    assert not any("api-key" in part for part in argv)  # read from LLAMA_API_KEY, never shown in ps


def test_automatic_gpu_layers_need_the_estimate(toy_request: DeployRequest) -> None:
    auto = replace(toy_request, plan=replace(toy_request.plan, n_gpu_layers=None), port=9000)
    assert _option(llama_server.server_argv(auto, "m.gguf"), "-ngl") == "0"  # never "all" without an estimate
    estimated = replace(auto, estimated_gpu_layers=5)
    argv = llama_server.server_argv(estimated, "m.gguf")
    assert _option(argv, "-ngl") == "5"
    assert _option(argv, "--port") == "9000"


def test_the_systemd_unit_is_hardened(toy_request: DeployRequest) -> None:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # systemd keys are case-sensitive
    parser.read_string(llama_server.server_unit(toy_request))
    assert parser.sections() == ["Unit", "Service", "Install"]
    service = parser["Service"]
    for key, value in {"DynamicUser": "yes", "ProtectSystem": "strict", "NoNewPrivileges": "yes",
                       "Restart": "on-failure", "ProtectHome": "yes", "CapabilityBoundingSet": ""}.items():
        assert service[key] == value
    assert service["ExecStart"].startswith("/usr/local/bin/llama-server -m /srv/models/Toy-Chat-1M.gguf ")
    assert service["EnvironmentFile"] == f"/etc/llama-server/{toy_request.slug}.env"
    assert "PrivateDevices" not in service  # the GPU needs /dev/nvidia*
    cpu_only = replace(toy_request, plan=replace(toy_request.plan, n_gpu_layers=0))
    parser.read_string(llama_server.server_unit(cpu_only))
    assert parser["Service"]["PrivateDevices"] == "yes"
    assert parser["Install"]["WantedBy"] == "multi-user.target"


def test_the_bundle_has_a_script_a_unit_and_no_key(toy_request: DeployRequest) -> None:
    bundle = llama_server.build(toy_request)
    files = {f.path: f for f in bundle.files}
    assert set(files) == {"llama-server/run.sh", f"llama-server/llama-server-{toy_request.slug}.service",
                          "llama-server/llama-server.env.example"}
    assert files["llama-server/run.sh"].executable
    assert '${LLAMA_API_KEY:?' in files["llama-server/run.sh"].text
    assert "LLAMA_API_KEY=replace-with-a-long-random-key" in files["llama-server/llama-server.env.example"].text


def test_with_hosts_the_rpc_layout_is_written(toy_request: DeployRequest) -> None:
    hosts = (HostMemory("head", int(0.68 * GIB)), HostMemory("worker1", int(0.68 * GIB), 50060))
    bundle = llama_server.build(replace(toy_request, hosts=hosts))
    files = {f.path: f.text for f in bundle.files}
    run = files["llama-server/run.sh"]
    assert "--rpc 127.0.0.1:50052,worker1:50060" in run
    split = next(line for line in files["llama-server/rpc/split.txt"].splitlines() if line.startswith("--tensor-split"))
    counts = [int(n) for n in split.split()[1].split(",")]
    assert sum(counts) == 9 and len(counts) == 2
    assert f"--tensor-split {','.join(map(str, counts))}" in run
    assert "-ngl 9" in run
    assert "exec rpc-server -H 0.0.0.0 -p 50060 -c" in files["llama-server/rpc/run-rpc-worker1.sh"]
    assert "exec rpc-server -H 127.0.0.1 -p 50052 -c" in files["llama-server/rpc/run-rpc-head.sh"]
    assert "ExecStart=/usr/local/bin/rpc-server -H 0.0.0.0 -p 50060 -c" in files[
        "llama-server/rpc/rpc-server-worker1.service"]
    assert "no authentication" in bundle.readme
