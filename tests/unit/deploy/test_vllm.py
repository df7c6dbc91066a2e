"""vLLM's Compose file and Kubernetes manifests against their schemas, and their monitoring."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from typing import Any

import pytest
import yaml

from slmdesk.core.errors import UserError
from slmdesk.core.units import GIB
from slmdesk.deploy import DeployRequest, monitoring, vllm
from slmdesk.deploy.bundle import to_yaml
from tests.unit.deploy.validators import compose_errors, kubernetes_errors


def _files(request: DeployRequest, build: Any) -> dict[str, str]:
    return {f.path: f.text for f in build(request).files}


def test_the_manifests_validate_against_the_kubernetes_schemas(toy_request: DeployRequest) -> None:
    files = _files(toy_request, vllm.build_kubernetes)
    manifests = {path: yaml.safe_load(text) for path, text in files.items() if path.startswith("k8s/")}
    kinds = sorted(m["kind"] for m in manifests.values())
    assert kinds == ["Deployment", "HorizontalPodAutoscaler", "NetworkPolicy", "PersistentVolumeClaim", "Secret",
                     "Service"]
    for path, manifest in manifests.items():
        for version in ("1.29.0", "1.33.0"):
            assert kubernetes_errors(manifest, version) == [], path


def test_the_schema_check_catches_a_broken_manifest(toy_request: DeployRequest) -> None:
    deployment = dict(vllm.kubernetes_manifests(toy_request)[2][1])
    deployment["spec"] = {**deployment["spec"], "replica": 2}
    assert kubernetes_errors(deployment)


def test_the_deployment_is_sized_probed_and_locked_down(toy_request: DeployRequest) -> None:
    manifests = {name: document for name, document, _ in vllm.kubernetes_manifests(toy_request)}
    pod = manifests["deployment.yaml"]["spec"]["template"]["spec"]
    container = pod["containers"][0]
    size = vllm.sizing(toy_request)
    assert container["args"][:1] == ["example-org/Toy-Chat"]
    assert container["args"][container["args"].index("--max-model-len") + 1] == "1024"
    assert container["resources"]["limits"]["nvidia.com/gpu"] == "1"
    assert container["resources"]["requests"]["memory"] == f"{-(-size.host_bytes // GIB)}Gi"
    for probe in ("readinessProbe", "livenessProbe", "startupProbe"):
        assert container[probe]["httpGet"]["path"] == "/health"
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert container["securityContext"]["capabilities"] == {"drop": ["ALL"]}
    assert container["securityContext"]["allowPrivilegeEscalation"] is False
    mounts = {m["mountPath"] for m in container["volumeMounts"]}
    assert {"/tmp", "/home/vllm", "/models", "/dev/shm"} <= mounts  # vLLM's writable dirs
    key = next(e for e in container["env"] if e["name"] == "VLLM_API_KEY")
    assert key["valueFrom"]["secretKeyRef"]["name"] == manifests["secret.yaml"]["metadata"]["name"]
    assert manifests["secret.yaml"]["stringData"]["api-key"].startswith("replace-with-")
    assert manifests["hpa.yaml"]["apiVersion"] == "autoscaling/v2"
    assert manifests["networkpolicy.yaml"]["spec"]["policyTypes"] == ["Ingress", "Egress"]


def test_the_hpa_comment_shows_a_queue_metric(toy_request: DeployRequest) -> None:
    hpa = _files(toy_request, vllm.build_kubernetes)["k8s/hpa.yaml"]
    assert "vllm:num_requests_waiting" in hpa
    assert yaml.safe_load(hpa)["spec"]["metrics"][0]["resource"]["name"] == "cpu"


def test_the_compose_file_validates_against_the_compose_specification(toy_request: DeployRequest) -> None:
    files = _files(toy_request, vllm.build_compose)
    document = yaml.safe_load(files["vllm-compose/compose.yaml"])
    assert compose_errors(document) == []
    service = document["services"]["vllm"]
    assert service["entrypoint"] == ["vllm", "serve"]
    assert service["command"][0] == "example-org/Toy-Chat"
    assert service["read_only"] is True and service["cap_drop"] == ["ALL"]
    assert service["user"] == "1000:1000"
    assert service["environment"]["VLLM_API_KEY"].startswith("${VLLM_API_KEY:?")
    assert "8000:8000" in service["ports"]
    assert service["deploy"]["resources"]["reservations"]["devices"][0]["capabilities"] == ["gpu"]
    assert yaml.safe_load(files["vllm-compose/prometheus.yml"])["scrape_configs"][0]["static_configs"] == [
        {"targets": ["vllm:8000"]}]


def test_the_schema_check_catches_a_broken_compose_file(toy_request: DeployRequest) -> None:
    document = vllm.compose_document(toy_request)
    document["services"]["vllm"]["restart_policy"] = "always"
    assert any("restart_policy" in error for error in compose_errors(document))


def test_a_local_hugging_face_folder_is_mounted_in_compose_only(toy_request: DeployRequest) -> None:
    folder = replace(toy_request, hf_repo=None, spec=replace(toy_request.spec, format="hf"))
    document = vllm.compose_document(folder)
    assert compose_errors(document) == []
    assert document["services"]["vllm"]["command"][0] == "/model"
    with pytest.raises(UserError, match="needs the Hugging Face model"):
        vllm.kubernetes_manifests(folder)
    with pytest.raises(UserError, match="--hf-repo"):
        vllm.compose_document(replace(toy_request, hf_repo=None))


def test_the_dashboard_reads_vllms_metrics(toy_request: DeployRequest) -> None:
    files = _files(toy_request, vllm.build_compose)
    dashboard = json.loads(files["vllm-compose/grafana/dashboards/vllm.json"])
    exprs = " ".join(t["expr"] for panel in dashboard["panels"] for t in panel["targets"])
    used = set(re.findall(r"vllm:[a-z0-9_]+", exprs))
    used = {name.removesuffix("_bucket") for name in used}
    assert used == set(monitoring.METRICS)
    assert {"vllm:num_requests_running", "vllm:time_to_first_token_seconds", "vllm:e2e_request_latency_seconds",
            "vllm:generation_tokens_total"} <= used
    scrape = yaml.safe_load(_files(toy_request, vllm.build_kubernetes)["k8s-monitoring/prometheus-scrape.yml"])
    assert scrape["scrape_configs"][0]["kubernetes_sd_configs"] == [{"role": "pod"}]


@pytest.mark.parametrize("value", ["on", "0777", "a: b", "# not a comment", "yes", "1e3", "naïve – text", "two\nlines",
                                   "", "null", 3, 2.5, True, None, [], {}])
def test_yaml_text_reads_back_as_written(value: Any) -> None:
    document = {"key": value, "list": [value, {"nested": value}], "on": value}
    assert yaml.safe_load(to_yaml(document, "a comment")) == document
