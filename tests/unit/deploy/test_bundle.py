"""The shared writer: safe names, new folders only, README, executable scripts."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from slmdesk.core.errors import UserError
from slmdesk.deploy import TARGETS, Bundle, BundleFile, DeployRequest, export, slugify, write_bundle
from slmdesk.deploy.bundle import check_relative_path


@pytest.mark.parametrize(("name", "slug"), [
    ("SmolLM2 135M Instruct (Q4_1)", "smollm2-135m-instruct-q4-1"),
    ("135M model", "model-135m-model"),
    ("Ünïcode — name", "n-code-name"),
    ("", "model"),
    ("x" * 80, "x" * 40),
])
def test_slugs_are_dns_labels(name: str, slug: str) -> None:
    assert slugify(name) == slug


@pytest.mark.parametrize("path", ["/etc/passwd", "../up.txt", "a/../b", ".hidden", "-rf", "sp ace.txt", "",
                                  "a//b/c;rm"])
def test_unsafe_file_names_are_refused(path: str) -> None:
    with pytest.raises(UserError):
        check_relative_path(path)


def test_a_non_empty_folder_is_refused_unless_forced(tmp_path: Path) -> None:
    (tmp_path / "keep.txt").write_text("mine")
    bundle = Bundle("x", (BundleFile("x/run.sh", "#!/bin/sh\n", executable=True),), "## x\n")
    with pytest.raises(UserError, match="is not empty"):
        write_bundle(tmp_path, [bundle], "# R\n")
    written = write_bundle(tmp_path, [bundle], "# R\n", force=True)
    assert written == [tmp_path / "README.md", tmp_path / "x" / "run.sh"]
    assert (tmp_path / "keep.txt").read_text() == "mine"
    assert os.stat(tmp_path / "x" / "run.sh").st_mode & stat.S_IXUSR
    with pytest.raises(UserError, match="is a file"):
        write_bundle(tmp_path / "keep.txt", [bundle], "# R\n")


def test_export_writes_every_target_and_a_readme_naming_each_file(toy_request: DeployRequest, tmp_path: Path) -> None:
    folder = tmp_path / "out"
    written = export(toy_request, list(TARGETS), folder)
    names = {p.relative_to(folder).as_posix() for p in written}
    assert {"README.md", "ollama/Modelfile", "llama-server/run.sh", "vllm-compose/compose.yaml",
            "k8s/deployment.yaml"} <= names
    readme = (folder / "README.md").read_text(encoding="utf-8")
    for heading in ("## Ollama", "## llama.cpp server", "## vLLM with Docker Compose", "## vLLM on Kubernetes"):
        assert heading in readme
    for name in names - {"README.md"}:
        assert f"`{name}`" in readme


def test_a_refusal_writes_nothing(toy_request: DeployRequest, tmp_path: Path) -> None:
    from dataclasses import replace

    folder = tmp_path / "out"
    with pytest.raises(UserError, match="Hugging Face model"):
        export(replace(toy_request, hf_repo=None), ["ollama", "k8s"], folder)
    assert not folder.exists()
    with pytest.raises(UserError, match="Unknown deployment target"):
        export(toy_request, ["docker-swarm"], folder)
