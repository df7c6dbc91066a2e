"""Where other tools keep models, per OS, and how their store layouts are recognised."""

from __future__ import annotations

from pathlib import Path

import pytest

from slmdesk.inventory.stores import (
    StoreLocation,
    default_store_locations,
    detect_store_kind,
    ollama_name,
)


def make(*folders: Path) -> None:
    for folder in folders:
        folder.mkdir(parents=True)


def test_linux_defaults_under_a_fake_home(tmp_path: Path) -> None:
    home = tmp_path / "home"
    make(
        home / ".cache/huggingface/hub",
        home / ".lmstudio/models",
        home / ".cache/lm-studio/models",
        home / ".local/share/nomic.ai/GPT4All",
        home / ".ollama/models",
    )
    assert default_store_locations(home, environ={}, system="Linux") == [
        StoreLocation(home / ".cache/huggingface/hub", "hf_cache"),
        StoreLocation(home / ".lmstudio/models", "lmstudio"),
        StoreLocation(home / ".cache/lm-studio/models", "lmstudio"),
        StoreLocation(home / ".local/share/nomic.ai/GPT4All", "gpt4all"),
        StoreLocation(home / ".ollama/models", "ollama"),
    ]


def test_only_existing_folders_are_returned(tmp_path: Path) -> None:
    home = tmp_path / "home"
    make(home / ".ollama/models")
    assert default_store_locations(home, environ={}, system="Linux") == [
        StoreLocation(home / ".ollama/models", "ollama")
    ]
    assert default_store_locations(tmp_path / "nobody", environ={}, system="Linux") == []


def test_macos_and_windows_gpt4all_folders(tmp_path: Path) -> None:
    home = tmp_path / "home"
    mac = home / "Library/Application Support/nomic.ai/GPT4All"
    local = tmp_path / "AppData/Local"
    make(mac, local / "nomic.ai/GPT4All", home / "AppData/Local/nomic.ai/GPT4All")
    assert default_store_locations(home, environ={}, system="Darwin") == [StoreLocation(mac, "gpt4all")]
    assert default_store_locations(home, environ={"LOCALAPPDATA": str(local)}, system="Windows") == [
        StoreLocation(local / "nomic.ai/GPT4All", "gpt4all")
    ]
    assert default_store_locations(home, environ={}, system="Windows") == [
        StoreLocation(home / "AppData/Local/nomic.ai/GPT4All", "gpt4all")
    ]


def test_environment_overrides_win(tmp_path: Path) -> None:
    home = tmp_path / "home"
    ollama = tmp_path / "big-disk/ollama"
    hf_home = tmp_path / "hf"
    make(ollama, hf_home / "hub", home / ".ollama/models", home / ".cache/huggingface/hub")
    found = default_store_locations(
        home, environ={"OLLAMA_MODELS": str(ollama), "HF_HOME": str(hf_home)}, system="Linux"
    )
    assert found == [StoreLocation(hf_home / "hub", "hf_cache"), StoreLocation(ollama, "ollama")]
    hub_cache = tmp_path / "hub-cache"
    make(hub_cache)
    found = default_store_locations(
        home, environ={"HF_HUB_CACHE": str(hub_cache), "HF_HOME": str(hf_home)}, system="Linux"
    )
    assert found[0] == StoreLocation(hub_cache, "hf_cache")


@pytest.mark.parametrize(
    ("relative", "name"),
    [
        (("registry.ollama.ai", "library", "llama3.2", "latest"), "llama3.2:latest"),
        (("registry.ollama.ai", "jmorgan", "smol", "q4"), "jmorgan/smol:q4"),
        (("hf.co", "bartowski", "SmolLM2-GGUF", "Q4_K_M"), "hf.co/bartowski/SmolLM2-GGUF:Q4_K_M"),
    ],
)
def test_ollama_names_drop_the_default_host_and_library_namespace(
    relative: tuple[str, ...], name: str
) -> None:
    assert ollama_name(relative) == name


def test_store_kind_detection(tmp_path: Path) -> None:
    ollama = tmp_path / "ollama"
    make(ollama / "manifests", ollama / "blobs")
    hf = tmp_path / "hub"
    make(hf / "models--org--name/snapshots")
    plain = tmp_path / "plain"
    make(plain / "sub")
    assert [detect_store_kind(p) for p in (ollama, hf, plain)] == ["ollama", "hf_cache", "folder"]
