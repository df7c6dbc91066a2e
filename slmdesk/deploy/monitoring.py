"""Prometheus scrape configurations and a Grafana dashboard for vLLM's metrics.

Metric names are vLLM's (``docs/design/metrics.md``, served on ``/metrics`` with the ``vllm:``
prefix): ``vllm:num_requests_running`` / ``vllm:num_requests_waiting`` (gauges),
``vllm:kv_cache_usage_perc`` (gauge, 0-1; ``vllm:gpu_cache_usage_perc`` before the V1 engine),
``vllm:prompt_tokens_total`` / ``vllm:generation_tokens_total`` (counters),
``vllm:time_to_first_token_seconds`` and ``vllm:e2e_request_latency_seconds`` (histograms).
"""

from __future__ import annotations

import json
from typing import Any

from slmdesk.deploy.bundle import to_yaml

METRICS = (
    "vllm:num_requests_running",
    "vllm:num_requests_waiting",
    "vllm:kv_cache_usage_perc",
    "vllm:gpu_cache_usage_perc",
    "vllm:prompt_tokens_total",
    "vllm:generation_tokens_total",
    "vllm:time_to_first_token_seconds",
    "vllm:e2e_request_latency_seconds",
)
"""Every vLLM metric the dashboard reads."""


def prometheus_static(job: str, target: str) -> str:
    """A ``prometheus.yml`` scraping ``target`` ("vllm:8000") every 15 s on ``/metrics``."""
    document = {
        "global": {"scrape_interval": "15s", "evaluation_interval": "15s"},
        "scrape_configs": [{"job_name": job, "metrics_path": "/metrics", "static_configs": [{"targets": [target]}]}],
    }
    return to_yaml(document, "Prometheus configuration: scrapes vLLM's /metrics (no API key needed for it).")


def prometheus_kubernetes(job: str, instance: str) -> str:
    """A scrape job for a Prometheus running in the cluster: pods found through the Kubernetes
    API, kept when annotated ``prometheus.io/scrape: "true"`` and labelled
    ``app.kubernetes.io/instance: <instance>``; the port from ``prometheus.io/port``."""
    label = "__meta_kubernetes_pod_label_app_kubernetes_io_instance"
    document = {
        "scrape_configs": [{
            "job_name": job,
            "metrics_path": "/metrics",
            "kubernetes_sd_configs": [{"role": "pod"}],
            "relabel_configs": [
                {"source_labels": ["__meta_kubernetes_pod_annotation_prometheus_io_scrape"], "action": "keep",
                 "regex": "true"},
                {"source_labels": [label], "action": "keep", "regex": instance},
                {"source_labels": ["__address__", "__meta_kubernetes_pod_annotation_prometheus_io_port"],
                 "action": "replace", "regex": "([^:]+)(?::\\d+)?;(\\d+)", "replacement": "$1:$2",
                 "target_label": "__address__"},
                {"source_labels": ["__meta_kubernetes_namespace"], "target_label": "namespace"},
                {"source_labels": ["__meta_kubernetes_pod_name"], "target_label": "pod"},
            ],
        }],
    }
    return to_yaml(document, "Add this job to the scrape_configs of the Prometheus in your cluster\n"
                             "(with the Prometheus Operator, use a PodMonitor selecting the same label instead).")


def _panel(panel_id: int, title: str, unit: str, exprs: list[tuple[str, str]], x: int, y: int) -> dict[str, Any]:
    return {
        "id": panel_id,
        "type": "timeseries",
        "title": title,
        "datasource": {"type": "prometheus", "uid": "${datasource}"},
        "gridPos": {"h": 8, "w": 12, "x": x, "y": y},
        "fieldConfig": {"defaults": {"unit": unit}, "overrides": []},
        "options": {"legend": {"displayMode": "list", "placement": "bottom", "showLegend": True},
                    "tooltip": {"mode": "multi", "sort": "none"}},
        "targets": [{"refId": chr(ord("A") + index), "expr": expr, "legendFormat": legend,
                     "datasource": {"type": "prometheus", "uid": "${datasource}"}}
                    for index, (expr, legend) in enumerate(exprs)],
    }


def _quantile(q: float, metric: str) -> str:
    return f'histogram_quantile({q}, sum by (le) (rate({metric}_bucket{{model_name=~"$model"}}[5m])))'


def grafana_dashboard(title: str) -> str:
    """A Grafana dashboard (JSON) of vLLM's metrics: requests running and waiting, KV cache
    usage, prompt and generation tokens/s, time to first token and end-to-end latency (p50, p95).
    A ``datasource`` variable picks the Prometheus; a ``model`` variable the served model."""
    sel = '{model_name=~"$model"}'
    panels = [
        _panel(1, "Requests", "short", [(f"sum(vllm:num_requests_running{sel})", "running"),
                                        (f"sum(vllm:num_requests_waiting{sel})", "waiting")], 0, 0),
        _panel(2, "KV cache usage", "percentunit",
               [(f"max(vllm:kv_cache_usage_perc{sel}) or max(vllm:gpu_cache_usage_perc{sel})", "used")], 12, 0),
        _panel(3, "Tokens per second", "short",
               [(f"sum(rate(vllm:prompt_tokens_total{sel}[1m]))", "prompt (pp)"),
                (f"sum(rate(vllm:generation_tokens_total{sel}[1m]))", "generation (tg)")], 0, 8),
        _panel(4, "Time to first token", "s",
               [(_quantile(0.5, "vllm:time_to_first_token_seconds"), "p50"),
                (_quantile(0.95, "vllm:time_to_first_token_seconds"), "p95")], 12, 8),
        _panel(5, "End-to-end request latency", "s",
               [(_quantile(0.5, "vllm:e2e_request_latency_seconds"), "p50"),
                (_quantile(0.95, "vllm:e2e_request_latency_seconds"), "p95")], 0, 16),
    ]
    dashboard = {
        "title": title,
        "uid": None,
        "tags": ["vllm", "slmdesk"],
        "timezone": "browser",
        "schemaVersion": 39,
        "version": 1,
        "refresh": "30s",
        "time": {"from": "now-1h", "to": "now"},
        "templating": {"list": [
            {"name": "datasource", "label": "Prometheus", "type": "datasource", "query": "prometheus",
             "current": {}, "hide": 0},
            {"name": "model", "label": "Model", "type": "query",
             "datasource": {"type": "prometheus", "uid": "${datasource}"},
             "query": {"query": "label_values(vllm:num_requests_running, model_name)", "refId": "model"},
             "definition": "label_values(vllm:num_requests_running, model_name)",
             "includeAll": True, "multi": True, "allValue": ".*", "refresh": 2, "current": {}, "hide": 0},
        ]},
        "panels": panels,
    }
    return json.dumps(dashboard, indent=2) + "\n"


def grafana_provisioning(prometheus_url: str) -> tuple[str, str]:
    """``(datasource, dashboard provider)`` provisioning files for a Grafana container: the
    Prometheus at ``prometheus_url`` and the dashboards in ``/var/lib/grafana/dashboards``."""
    datasource = to_yaml({"apiVersion": 1, "datasources": [
        {"name": "Prometheus", "type": "prometheus", "uid": "prometheus", "access": "proxy",
         "url": prometheus_url, "isDefault": True}]}, "Grafana data source: the Prometheus of this bundle.")
    provider = to_yaml({"apiVersion": 1, "providers": [
        {"name": "slmdesk", "type": "file", "disableDeletion": False,
         "options": {"path": "/var/lib/grafana/dashboards"}}]}, "Grafana dashboards: the JSON files in dashboards/.")
    return datasource, provider
