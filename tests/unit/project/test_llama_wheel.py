"""packaging/llama_wheel.py: the portable recipe, its cache key, and reuse of a built wheel."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

import pytest

SCRIPT = Path(__file__).resolve().parents[3] / "packaging" / "llama_wheel.py"


@pytest.fixture
def llama_wheel(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> ModuleType:
    monkeypatch.setenv("SLMDESK_WHEEL_CACHE", str(tmp_path / "wheels"))
    monkeypatch.delenv("SLMDESK_LLAMA_CMAKE_ARGS", raising=False)
    spec = importlib.util.spec_from_file_location("llama_wheel_under_test", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_recipe_is_portable_and_pinned(llama_wheel: ModuleType) -> None:
    recipe = llama_wheel.recipe()
    assert recipe["llama_cpp_python"] == "0.3.36"  # the pin in pyproject.toml
    args = recipe["cmake_args"]
    assert "-DGGML_NATIVE=OFF" in args and "-DGGML_BACKEND_DL=ON" in args and "-DGGML_CPU_ALL_VARIANTS=ON" in args
    assert "-DCMAKE_INSTALL_BINDIR=llama_cpp/lib" in args  # variants beside libggml, not in site-packages/bin
    assert recipe["system"] == sys.platform


def test_changed_cmake_args_get_a_new_cache_folder(llama_wheel: ModuleType, monkeypatch: pytest.MonkeyPatch) -> None:
    plain = llama_wheel.recipe()
    monkeypatch.setenv("SLMDESK_LLAMA_CMAKE_ARGS", "-DGGML_CUDA=ON")
    cuda = llama_wheel.recipe()
    assert cuda["cmake_args"][-1] == "-DGGML_CUDA=ON"
    assert llama_wheel.recipe_key(plain) != llama_wheel.recipe_key(cuda)
    assert llama_wheel.wheel_dir(plain) != llama_wheel.wheel_dir(cuda)
    monkeypatch.delenv("SLMDESK_LLAMA_CMAKE_ARGS")
    assert llama_wheel.recipe_key(llama_wheel.recipe()) == llama_wheel.recipe_key(plain)  # deterministic


def test_a_cached_wheel_is_reused_only_when_complete(llama_wheel: ModuleType) -> None:
    recipe = llama_wheel.recipe()
    folder = llama_wheel.wheel_dir(recipe)
    folder.mkdir(parents=True)
    wheel = folder / "llama_cpp_python-0.3.36-py3-none-linux_x86_64.whl"
    wheel.write_bytes(b"not really a wheel")
    assert llama_wheel.cached_wheel(recipe) is None  # an interrupted build left no recipe.json
    (folder / "recipe.json").write_text(json.dumps(recipe))
    assert llama_wheel.cached_wheel(recipe) == wheel
    assert llama_wheel.build(recipe) == wheel  # nothing is compiled when the cache has it
