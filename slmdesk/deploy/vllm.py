"""The vLLM bundles: a Docker Compose file and Kubernetes manifests for vLLM's OpenAI-compatible
server, sized from the model's header, with Prometheus and Grafana for its metrics.

vLLM serves a Hugging Face model (a repo id, or a local Hugging Face folder with Compose);
``vllm serve MODEL --max-model-len N --gpu-memory-utilization F`` in the ``vllm/vllm-openai``
image, the API key from ``VLLM_API_KEY`` (vLLM's ``--api-key`` default), ``/health`` for probes
and ``/metrics`` for Prometheus (vLLM's "OpenAI-Compatible Server" and "Production Metrics" docs).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from slmdesk.core.errors import UserError
from slmdesk.core.fit_llama import kv_cache_bytes_per_layer
from slmdesk.core.fit_report import FitOptions
from slmdesk.core.units import GIB, format_bytes
from slmdesk.deploy import monitoring
from slmdesk.deploy.bundle import Bundle, BundleFile, DeployRequest, to_yaml

DEFAULT_PORT = 8000
"""vLLM's default port."""
CONTAINER_PORT = 8000
UID = 1000
"""The non-root user the container runs as (any uid works: vLLM needs only its writable dirs)."""

VLLM_RUNTIME_BYTES = 2 * GIB
"""GPU memory vLLM uses beside weights and KV cache: the CUDA context, the activations of its
profiling run and CUDA graphs. A rule of thumb from vLLM's start-up log ("model weights took ...,
non_torch_memory ..., PyTorch activation peak memory ..., CUDA graph ...") on small models:
about 1-2 GiB; the larger figure is used."""

HOST_BASE_BYTES = 4 * GIB
"""Host memory of the vLLM server process without the model (Python, PyTorch, CUDA host
libraries, the tokenizer): a rule of thumb; weights pass through host memory once while loading,
so the request is this plus the weights."""

GPU_MEMORY_UTILIZATION = 0.90
"""vLLM's default ``--gpu-memory-utilization``: the share of the GPU it takes for weights,
activations and as much KV cache as fits (more concurrent requests)."""


@dataclass(frozen=True)
class VllmSizing:
    """What vLLM needs for a model, in bytes.

    Attributes:
        max_model_len: ``--max-model-len`` in tokens (the plan's context, at most the model's).
        weights_bytes: 16-bit weights (vLLM loads the Hugging Face weights, not the GGUF).
        kv_cache_bytes: one sequence's KV cache at ``max_model_len`` (16-bit).
        gpu_bytes: weights + KV cache + :data:`VLLM_RUNTIME_BYTES`: the least GPU memory to run.
        host_bytes: the container's memory request (:data:`HOST_BASE_BYTES` + weights).
        cache_bytes: the model cache volume (weights x 1.5 + 1 GiB: download and conversion room).
    """

    max_model_len: int
    weights_bytes: int
    kv_cache_bytes: int
    gpu_bytes: int
    host_bytes: int
    cache_bytes: int


def _gib_ceil(n: int) -> str:
    return f"{max(1, math.ceil(n / GIB))}Gi"


def sizing(request: DeployRequest) -> VllmSizing:
    """vLLM's needs for ``request``: 16-bit weights (an HF folder's own weights size; else 2 bytes
    per parameter of the header's count), the 16-bit KV cache of one full context from the
    fit estimator (:func:`~slmdesk.core.fit_llama.kv_cache_bytes_per_layer`), and the constants above.

    Raises:
        UserError: the header gives no parameter count or no attention shape.
    """
    spec = request.spec
    max_len = min(request.plan.n_ctx, spec.context_length or request.plan.n_ctx)
    if spec.format == "hf" and spec.weights_bytes:
        weights = spec.weights_bytes
    elif spec.n_params:
        weights = 2 * spec.n_params
    else:
        raise UserError(f"{spec.path.name} does not say how many parameters it has: cannot size vLLM for it.")
    try:
        kv = sum(kv_cache_bytes_per_layer(spec, FitOptions(n_ctx=max_len, kv_type="f16")))
    except (UserError, TypeError, ValueError) as error:
        raise UserError(f"Cannot size the KV cache of {spec.path.name}: {error}.") from error
    return VllmSizing(max_model_len=max_len, weights_bytes=weights, kv_cache_bytes=kv,
                      gpu_bytes=weights + kv + VLLM_RUNTIME_BYTES, host_bytes=HOST_BASE_BYTES + weights,
                      cache_bytes=int(weights * 1.5) + GIB)


def model_reference(request: DeployRequest, allow_local: bool) -> tuple[str, bool]:
    """``(what vllm serve loads, whether it is a local folder)``: the Hugging Face repo id, or
    the artifact's own Hugging Face folder when ``allow_local``.

    Raises:
        UserError: neither is available (a GGUF or ONNX artifact with no repo given).
    """
    if request.hf_repo:
        return request.hf_repo, False
    if allow_local and request.spec.format == "hf":
        return str(request.spec.path), True
    where = "Compose" if allow_local else "Kubernetes"
    raise UserError(f"vLLM on {where} needs the Hugging Face model of {request.name}: slmdesk does not know its repo.",
                    "Pass the repo id (--hf-repo HuggingFaceTB/SmolLM2-135M-Instruct)"
                    + (", or export a Hugging Face folder artifact." if allow_local else "."))


def serve_args(request: DeployRequest, model: str, size: VllmSizing) -> list[str]:
    """Arguments of ``vllm serve`` (after the command)."""
    return [model, "--served-model-name", request.slug, "--host", "0.0.0.0", "--port", str(CONTAINER_PORT),
            "--max-model-len", str(size.max_model_len), "--gpu-memory-utilization", f"{GPU_MEMORY_UTILIZATION:.2f}"]


def _size_comment(request: DeployRequest, size: VllmSizing) -> str:
    return (f"Sized by slmdesk for {request.name}: weights {format_bytes(size.weights_bytes)} (16-bit), "
            f"KV cache {format_bytes(size.kv_cache_bytes)} at --max-model-len {size.max_model_len},\n"
            f"at least {format_bytes(size.gpu_bytes)} of GPU memory; vLLM takes "
            f"{GPU_MEMORY_UTILIZATION:.0%} of the GPU and fills the rest with KV cache.")


# --- Compose ----------------------------------------------------------------------------------


def compose_document(request: DeployRequest) -> dict[str, Any]:
    """The Compose file as a dict (Compose specification): the ``vllm`` service (non-root,
    read-only root file system with tmpfs for its writable dirs, no capabilities, one NVIDIA
    GPU, a health check on ``/health``), a one-shot service that gives the cache volume to the
    non-root user, and Prometheus and Grafana under the ``monitoring`` profile."""
    size = sizing(request)
    model, local = model_reference(request, allow_local=True)
    port = request.port or DEFAULT_PORT
    volumes: list[Any] = ["model-cache:/models"]
    if local:
        volumes.append({"type": "bind", "source": model, "target": "/model", "read_only": True})
        model = "/model"
    health = "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/health', timeout=5)"
    vllm: dict[str, Any] = {
        "image": request.vllm_image,
        "entrypoint": ["vllm", "serve"],
        "command": serve_args(request, model, size),
        "user": f"{UID}:{UID}",
        "read_only": True,
        "tmpfs": ["/tmp:mode=1777", f"/home/vllm:uid={UID},gid={UID},mode=0700"],
        "shm_size": "2gb",
        "cap_drop": ["ALL"],
        "security_opt": ["no-new-privileges:true"],
        "environment": {
            "HOME": "/home/vllm",
            "HF_HOME": "/models/huggingface",
            "VLLM_API_KEY": "${VLLM_API_KEY:?set VLLM_API_KEY in .env or the environment}",
        },
        "ports": [f"{port}:{CONTAINER_PORT}"],
        "volumes": volumes,
        "depends_on": {"cache-permissions": {"condition": "service_completed_successfully"}},
        "healthcheck": {"test": ["CMD", "python3", "-c", health], "interval": "30s", "timeout": "10s",
                        "retries": 3, "start_period": "15m"},
        "deploy": {"resources": {
            "limits": {"memory": f"{math.ceil(size.host_bytes / GIB)}g"},
            "reservations": {"devices": [{"driver": "nvidia", "count": 1, "capabilities": ["gpu"]}]},
        }},
        "restart": "unless-stopped",
    }
    return {
        "name": f"slmdesk-{request.slug}"[:60].rstrip("-"),
        "services": {
            "cache-permissions": {
                "image": "busybox:1.36",
                "command": ["chown", "-R", f"{UID}:{UID}", "/models"],
                "volumes": ["model-cache:/models"],
                "network_mode": "none",
                "restart": "no",
            },
            "vllm": vllm,
            "prometheus": {
                "image": "prom/prometheus:v2.55.1",
                "profiles": ["monitoring"],
                "volumes": ["./prometheus.yml:/etc/prometheus/prometheus.yml:ro"],
                "ports": ["127.0.0.1:9090:9090"],
                "read_only": True,
                "user": "65534:65534",
                "tmpfs": ["/prometheus:uid=65534,gid=65534"],
                "restart": "unless-stopped",
            },
            "grafana": {
                "image": "grafana/grafana:11.3.0",
                "profiles": ["monitoring"],
                "volumes": ["./grafana/provisioning:/etc/grafana/provisioning:ro",
                            "./grafana/dashboards:/var/lib/grafana/dashboards:ro"],
                "environment": {"GF_SECURITY_ADMIN_PASSWORD": "${GRAFANA_ADMIN_PASSWORD:?set GRAFANA_ADMIN_PASSWORD}"},
                "ports": ["127.0.0.1:3000:3000"],
                "depends_on": ["prometheus"],
                "restart": "unless-stopped",
            },
        },
        "volumes": {"model-cache": {}},
    }


def build_compose(request: DeployRequest) -> Bundle:
    """The ``vllm-compose/`` files: ``compose.yaml``, ``.env.example``, ``prometheus.yml``,
    Grafana provisioning and dashboard; and their README section.

    Raises:
        UserError: no Hugging Face model to serve, or no size (:func:`sizing`).
    """
    size = sizing(request)
    document = compose_document(request)
    datasource, provider = monitoring.grafana_provisioning("http://prometheus:9090")
    port = request.port or DEFAULT_PORT
    files = (
        BundleFile("vllm-compose/compose.yaml", to_yaml(document, _size_comment(request, size))),
        BundleFile("vllm-compose/env.example",
                   "# Copy to .env beside compose.yaml and put real secrets here (never commit .env).\n"
                   "VLLM_API_KEY=replace-with-a-long-random-key\n"
                   "GRAFANA_ADMIN_PASSWORD=replace-with-a-password\n"),
        BundleFile("vllm-compose/prometheus.yml", monitoring.prometheus_static("vllm", f"vllm:{CONTAINER_PORT}")),
        BundleFile("vllm-compose/grafana/provisioning/datasources/prometheus.yaml", datasource),
        BundleFile("vllm-compose/grafana/provisioning/dashboards/slmdesk.yaml", provider),
        BundleFile("vllm-compose/grafana/dashboards/vllm.json", monitoring.grafana_dashboard(f"vLLM: {request.name}")),
    )
    readme = (
        "## vLLM with Docker Compose (`vllm-compose/`)\n\n"
        "- `compose.yaml`: vLLM's OpenAI-compatible server (`vllm/vllm-openai`) on one NVIDIA GPU, non-root, "
        "read-only root file system, no capabilities, a health check on `/health`; the model cache in the "
        "`model-cache` volume; Prometheus and Grafana under the `monitoring` profile.\n"
        "- `env.example`: the secrets Compose reads from `.env`.\n"
        "- `prometheus.yml`, `grafana/`: the scrape configuration and the vLLM dashboard (requests, KV cache, "
        "tokens/s, time to first token, latency).\n\n"
        f"Needs: {format_bytes(size.gpu_bytes)} of GPU memory at least, the NVIDIA Container Toolkit.\n\n"
        "```sh\ncd vllm-compose\ncp env.example .env && chmod 600 .env\n"
        "sed -i \"s/^VLLM_API_KEY=.*/VLLM_API_KEY=$(openssl rand -hex 32)/\" .env\n"
        "sed -i \"s/^GRAFANA_ADMIN_PASSWORD=.*/GRAFANA_ADMIN_PASSWORD=$(openssl rand -hex 16)/\" .env\n"
        "docker compose up -d            # add --profile monitoring for Prometheus and Grafana\n"
        f"curl -H \"Authorization: Bearer $(grep VLLM_API_KEY .env | cut -d= -f2)\" "
        f"http://127.0.0.1:{port}/v1/models\n```\n"
    )
    return Bundle("vllm-compose", files, readme)


# --- Kubernetes -------------------------------------------------------------------------------


def _labels(request: DeployRequest) -> dict[str, str]:
    return {"app.kubernetes.io/name": "vllm", "app.kubernetes.io/instance": request.slug,
            "app.kubernetes.io/part-of": "slmdesk-export"}


def kubernetes_manifests(request: DeployRequest) -> list[tuple[str, dict[str, Any], str]]:
    """``(file name, manifest, comment)`` of every Kubernetes object: Secret (a placeholder API
    key), PersistentVolumeClaim (the model cache), Deployment, Service, HorizontalPodAutoscaler
    (autoscaling/v2), NetworkPolicy.

    Raises:
        UserError: no Hugging Face repo (a cluster cannot read this computer's folders), or no size.
    """
    size = sizing(request)
    model, _ = model_reference(request, allow_local=False)
    slug = request.slug
    labels = _labels(request)
    selector = {"app.kubernetes.io/name": "vllm", "app.kubernetes.io/instance": slug}
    secret_name = f"{slug}-api-key"
    secret = {
        "apiVersion": "v1", "kind": "Secret",
        "metadata": {"name": secret_name, "labels": labels},
        "type": "Opaque",
        "stringData": {"api-key": "replace-with-a-long-random-key"},
    }
    pvc = {
        "apiVersion": "v1", "kind": "PersistentVolumeClaim",
        "metadata": {"name": f"{slug}-model-cache", "labels": labels},
        "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": _gib_ceil(size.cache_bytes)}}},
    }
    probe = {"httpGet": {"path": "/health", "port": "http"}}
    memory = _gib_ceil(size.host_bytes)
    container = {
        "name": "vllm",
        "image": request.vllm_image,
        "imagePullPolicy": "IfNotPresent",
        "command": ["vllm", "serve"],
        "args": serve_args(request, model, size),
        "env": [
            {"name": "HOME", "value": "/home/vllm"},
            {"name": "HF_HOME", "value": "/models/huggingface"},
            {"name": "VLLM_API_KEY", "valueFrom": {"secretKeyRef": {"name": secret_name, "key": "api-key"}}},
        ],
        "ports": [{"name": "http", "containerPort": CONTAINER_PORT, "protocol": "TCP"}],
        "resources": {
            "requests": {"cpu": "2", "memory": memory, "nvidia.com/gpu": "1"},
            "limits": {"memory": memory, "nvidia.com/gpu": "1"},
        },
        # Downloading the model on first start can take long: the startup probe allows 20 minutes.
        "startupProbe": {**probe, "periodSeconds": 10, "failureThreshold": 120},
        "readinessProbe": {**probe, "periodSeconds": 10, "timeoutSeconds": 5, "failureThreshold": 3},
        "livenessProbe": {**probe, "periodSeconds": 30, "timeoutSeconds": 10, "failureThreshold": 3},
        "securityContext": {
            "runAsNonRoot": True,
            "allowPrivilegeEscalation": False,
            "readOnlyRootFilesystem": True,
            "capabilities": {"drop": ["ALL"]},
        },
        "volumeMounts": [
            {"name": "model-cache", "mountPath": "/models"},
            {"name": "tmp", "mountPath": "/tmp"},
            {"name": "home", "mountPath": "/home/vllm"},
            {"name": "shm", "mountPath": "/dev/shm"},
        ],
    }
    deployment = {
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": slug, "labels": labels},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": selector},
            # One GPU per pod: replace pods one at a time instead of asking for an extra GPU.
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 0, "maxUnavailable": 1}},
            "template": {
                "metadata": {"labels": labels, "annotations": {
                    "prometheus.io/scrape": "true", "prometheus.io/port": str(CONTAINER_PORT),
                    "prometheus.io/path": "/metrics"}},
                "spec": {
                    "automountServiceAccountToken": False,
                    "securityContext": {"runAsNonRoot": True, "runAsUser": UID, "runAsGroup": UID, "fsGroup": UID,
                                        "seccompProfile": {"type": "RuntimeDefault"}},
                    "containers": [container],
                    "tolerations": [{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}],
                    "volumes": [
                        {"name": "model-cache", "persistentVolumeClaim": {"claimName": f"{slug}-model-cache"}},
                        {"name": "tmp", "emptyDir": {}},
                        {"name": "home", "emptyDir": {}},
                        {"name": "shm", "emptyDir": {"medium": "Memory", "sizeLimit": "2Gi"}},
                    ],
                },
            },
        },
    }
    service = {
        "apiVersion": "v1", "kind": "Service",
        "metadata": {"name": slug, "labels": labels},
        "spec": {"type": "ClusterIP", "selector": selector,
                 "ports": [{"name": "http", "port": request.port or DEFAULT_PORT, "targetPort": "http",
                            "protocol": "TCP"}]},
    }
    hpa = {
        "apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": slug, "labels": labels},
        "spec": {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": slug},
            "minReplicas": 1, "maxReplicas": 3,
            "metrics": [{"type": "Resource", "resource": {
                "name": "cpu", "target": {"type": "Utilization", "averageUtilization": 80}}}],
        },
    }
    hpa_comment = (
        "Scales on CPU, which every cluster reports. Queued requests are the better signal for an LLM\n"
        "server: with the Prometheus Adapter exposing vllm:num_requests_waiting as a pods metric, use\n"
        "  metrics:\n"
        "    - type: Pods\n"
        "      pods:\n"
        "        metric: {name: vllm_num_requests_waiting}\n"
        "        target: {type: AverageValue, averageValue: \"5\"}\n"
        "Each replica needs its own GPU; the model-cache claim is ReadWriteOnce, so replicas share it only on\n"
        "one node: use a ReadWriteMany storage class to spread them."
    )
    client_label = f"{slug}-client"
    policy = {
        "apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
        "metadata": {"name": slug, "labels": labels},
        "spec": {
            "podSelector": {"matchLabels": selector},
            "policyTypes": ["Ingress", "Egress"],
            "ingress": [{
                "from": [
                    {"podSelector": {"matchLabels": {client_label: "true"}}},
                    {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "monitoring"}}},
                ],
                "ports": [{"protocol": "TCP", "port": CONTAINER_PORT}],
            }],
            "egress": [
                {"ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}]},
                {"ports": [{"protocol": "TCP", "port": 443}]},
            ],
        },
    }
    comment = _size_comment(request, size)
    return [
        ("secret.yaml", secret, ("The API key clients send as 'Authorization: Bearer KEY'. A placeholder: set a real\n"
                                "key before applying (see README.md), never commit one.")),
        ("pvc.yaml", pvc, "The Hugging Face cache (HF_HOME): the model is downloaded once and kept."),
        ("deployment.yaml", deployment, comment),
        ("service.yaml", service, f"Inside the cluster: http://{slug}:{request.port or DEFAULT_PORT}/v1"),
        ("hpa.yaml", hpa, hpa_comment),
        ("networkpolicy.yaml", policy,
         (f"Only pods labelled {client_label}=true and the 'monitoring' namespace reach the server. Egress: DNS, and\n"
         "HTTPS to download the model from the Hugging Face Hub: once the cache is filled you may drop the 443 rule\n"
         "and set HF_HUB_OFFLINE=1.")),
    ]


def build_kubernetes(request: DeployRequest) -> Bundle:
    """The ``k8s/`` manifests, the ``k8s-monitoring/`` scrape job and dashboard, and their README section.

    Raises:
        UserError: as :func:`kubernetes_manifests`.
    """
    manifests = kubernetes_manifests(request)
    size = sizing(request)
    slug = request.slug
    files = [BundleFile(f"k8s/{name}", to_yaml(document, comment)) for name, document, comment in manifests]
    files += [
        BundleFile("k8s-monitoring/prometheus-scrape.yml", monitoring.prometheus_kubernetes("vllm", slug)),
        BundleFile("k8s-monitoring/grafana-vllm-dashboard.json", monitoring.grafana_dashboard(f"vLLM: {request.name}")),
    ]
    readme = (
        "## vLLM on Kubernetes (`k8s/`, `k8s-monitoring/`)\n\n"
        "- `k8s/secret.yaml`: the API key (a placeholder: replace it first).\n"
        f"- `k8s/pvc.yaml`: {_gib_ceil(size.cache_bytes)} for the model cache.\n"
        f"- `k8s/deployment.yaml`: vLLM with `--max-model-len {size.max_model_len}`, requests of "
        f"{_gib_ceil(size.host_bytes)} memory and one `nvidia.com/gpu` (the model needs at least "
        f"{format_bytes(size.gpu_bytes)} of GPU memory), probes on `/health`, non-root, read-only root "
        "file system (emptyDir for /tmp, the home folder and /dev/shm), no capabilities, seccomp RuntimeDefault.\n"
        "- `k8s/service.yaml`, `k8s/hpa.yaml` (autoscaling/v2 on CPU; the file's comment shows a queue-length metric), "
        "`k8s/networkpolicy.yaml`.\n"
        "- `k8s-monitoring/`: a Prometheus scrape job and the Grafana dashboard (import it in Grafana).\n\n"
        "```sh\nkubectl create namespace llm\n"
        f"kubectl -n llm create secret generic {slug}-api-key --from-literal=api-key=\"$(openssl rand -hex 32)\" "
        "--dry-run=client -o yaml | kubectl apply -f -\n"
        "kubectl -n llm apply -f k8s/pvc.yaml -f k8s/deployment.yaml -f k8s/service.yaml -f k8s/hpa.yaml "
        "-f k8s/networkpolicy.yaml\n"
        f"kubectl -n llm rollout status deployment/{slug}\n```\n\n"
        "(`kubectl apply -f k8s/` applies the placeholder secret too: create the real one after it, as above.)\n"
    )
    return Bundle("k8s", tuple(files), readme)
