"""The portable llama.cpp build on this machine's CPU: the variant it chose, repacking, doctor."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from slmdesk.engine import EngineClient, LoadSettings, SamplingParams
from slmdesk.engine.cpu_dispatch import AMX_CPU_FLAGS, AMX_VARIANTS, ENV_CPU_VARIANT, ENV_REPACK
from slmdesk.hardware.cpu import cpu_model_and_features
from slmdesk.hardware.versions import llama_build_recipe

SETTINGS = LoadSettings(n_ctx=512, n_threads=1)
GREEDY = SamplingParams(temperature=0.0, max_tokens=16)
# Greedy SmolLM2 Q4_1 answers this with "Paris" on every CPU variant of the portable build (x64
# to zen4); "Which city is the capital of France?" does not (the x64, skylakex and zen4 kernels
# start "Le Grand Château..."): a near tie in the first token that summation order decides.
QUESTION = [{"role": "user", "content": "Name the capital city of France."}]
CPU_FEATURES = set(cpu_model_and_features()[1])


def _llama_lib() -> Path:
    import importlib.util

    spec = importlib.util.find_spec("llama_cpp")
    assert spec is not None and spec.submodule_search_locations
    return Path(next(iter(spec.submodule_search_locations))) / "lib"


def _variants() -> list[str]:
    names = [re.sub(r"^(lib)?ggml-cpu-|\.(so|dll|dylib)$", "", p.name) for p in _llama_lib().glob("*ggml-cpu-*")]
    return sorted(names)


@pytest.fixture
def engine() -> Iterator[EngineClient]:
    client = EngineClient()
    yield client
    client.close()


def test_the_installed_llama_cpp_is_the_portable_build() -> None:
    """One library per CPU level, not one -march=native library (packaging/llama_wheel.py)."""
    variants = _variants()
    assert len(variants) >= 2, f"only {variants} in {_llama_lib()}: llama-cpp-python was built for one CPU"
    if os.uname().machine in ("x86_64", "AMD64"):
        # x64 is the baseline every x86-64 CPU runs; sapphirerapids carries AMX.
        assert {"x64", "sse42", "haswell", "skylakex", "zen4", "sapphirerapids"} <= set(variants)
    recipe = llama_build_recipe()
    assert recipe is not None, "llama-cpp-python was not installed by packaging/llama_wheel.py"
    assert "-DGGML_NATIVE=OFF" in recipe["cmake_args"] and "-DGGML_BACKEND_DL=ON" in recipe["cmake_args"]
    assert recipe["llama_cpp_python"] == "0.3.36"


@pytest.mark.parametrize("model", ["smollm2_gguf", "gemma3_gguf"])
def test_a_generation_reports_the_cpu_variant_and_answers(
    model: str, request: pytest.FixtureRequest, engine: EngineClient
) -> None:
    path: Path = request.getfixturevalue(model)
    info = engine.load(path, SETTINGS)
    runtime = info.runtime
    assert runtime.build == "portable"
    assert runtime.cpu_variant in runtime.cpu_variants and runtime.cpu_variant in _variants()
    assert runtime.engine.startswith("llama.cpp 0c1e57098")
    if os.uname().machine == "x86_64":
        assert "SSE3" in runtime.cpu_features
        if "avx2" in CPU_FEATURES:
            assert "AVX2" in runtime.cpu_features  # the best variant, not the x64 baseline
    if AMX_CPU_FLAGS & CPU_FEATURES:
        assert runtime.cpu_variant not in AMX_VARIANTS
        assert any("20824" in note for note in runtime.notes)
    assert runtime.repack is True
    assert any(buffer.startswith("CPU") for buffer in runtime.buffer_types), runtime.buffer_types
    done = engine.chat(QUESTION, GREEDY)
    if model == "smollm2_gguf":
        assert "Paris" in done.text
    else:  # a base model: it continues the text, but it must produce some
        assert done.stats.completion_tokens >= 1
    # The runtime question without a model gives the same variant.
    assert engine.runtime("llama").cpu_variant == runtime.cpu_variant


@pytest.mark.skipif("avx2" not in CPU_FEATURES, reason="needs an AVX2 CPU to force the haswell variant")
def test_a_forced_variant_and_repack_off_are_used(smollm2_gguf: Path) -> None:
    with EngineClient(env={ENV_CPU_VARIANT: "haswell", ENV_REPACK: "0"}) as client:
        info = client.load(smollm2_gguf, SETTINGS)
        assert info.runtime.cpu_variant == "haswell"
        assert "AVX2" in info.runtime.cpu_features and "AVX512" not in info.runtime.cpu_features
        assert info.runtime.repack is False and "CPU_REPACK" not in info.runtime.buffer_types
        assert f"CPU variant haswell forced by {ENV_CPU_VARIANT}." in info.runtime.notes
        assert "Paris" in client.chat(QUESTION, GREEDY).text


def test_gemma_q4_k_weights_are_repacked_by_default(gemma3_gguf: Path, engine: EngineClient) -> None:
    # Q4_K tensors go to the CPU_REPACK buffer on AVX2 and newer (ggml-cpu/repack.cpp); with
    # repacking on, the load log names that buffer.
    if "avx2" not in CPU_FEATURES:
        pytest.skip("repacked Q4_K kernels need AVX2")
    info = engine.load(gemma3_gguf, SETTINGS)
    assert "CPU_REPACK" in info.runtime.buffer_types


def test_doctor_json_reports_the_variant_and_a_working_generation(smollm2_gguf: Path, tmp_path: Path) -> None:
    exe = Path(sys.executable).with_name("slmdesk")
    env = dict(os.environ, SLMDESK_HOME=str(tmp_path / "home"))
    result = subprocess.run([str(exe), "doctor", "--json"], capture_output=True, text=True, timeout=300, env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads(result.stdout)
    assert report["ok"] is True
    assert report["versions"]["llama-cpp-python"] == "0.3.36" and report["versions"]["llama.cpp"] == "0c1e57098"
    assert report["versions"]["onnxruntime-genai"] == "0.18.0"
    assert report["runtime"]["cpu_variant"] in _variants()
    assert report["runtime"]["build"] == "portable" and report["runtime"]["buffer_types"]
    assert "-DGGML_NATIVE=OFF" in report["llama_build"]["cmake_args"]
    checks = {check["name"]: check for check in report["checks"]}
    assert checks["generation"]["ok"] is True and "SmolLM2-135M-Instruct.Q4_1.gguf" in checks["generation"]["detail"]
    assert checks["data directory"]["ok"] is True and "free" in checks["data directory"]["detail"]
    assert checks["inventory"]["ok"] is None  # a new home: no inventory yet
    text = subprocess.run([str(exe), "doctor", "--no-engine"], capture_output=True, text=True, timeout=120, env=env)
    assert text.returncode == 0 and "llama-cpp-python" in text.stdout and "[skip] generation" in text.stdout
