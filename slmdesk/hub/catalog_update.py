"""Regenerate the model catalog from the Hugging Face Hub: real file sizes and LFS SHA-256 of each
quantization, architecture facts from ``config.json``, a new date (``python -m
slmdesk.hub.catalog_update [--out FILE]``; refused in offline mode)."""

from __future__ import annotations

import argparse
import datetime
import json
import re
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from slmdesk.core import offline
from slmdesk.core.errors import UserError
from slmdesk.hub.catalog import catalog_path, load_catalog

SPLIT_PART = re.compile(r"-(\d{5})-of-(\d{5})\.gguf$")
"""llama.cpp's split-set file names (``gguf-split``: ``-00001-of-00003.gguf``)."""

CONFIG_KEYS: dict[str, str] = {
    "num_hidden_layers": "n_layer",
    "hidden_size": "n_embd",
    "intermediate_size": "n_ff",
    "num_attention_heads": "n_head",
    "num_key_value_heads": "n_head_kv",
    "vocab_size": "n_vocab",
    "tie_word_embeddings": "tied_embeddings",
    "num_experts": "n_expert",
    "num_experts_per_tok": "n_expert_used",
    "moe_intermediate_size": "n_ff_expert",
}
"""``config.json`` key -> catalog ``arch`` key (Transformers' names; Gemma 3's multimodal configs
keep them under ``text_config``)."""


def quant_files(tree: Sequence[tuple[str, int, str | None]], quant: str, known: Sequence[str] = ()) -> list[
        tuple[str, int, str | None]]:
    """The files of quantization ``quant`` in a repository listing ``[(path, size, sha256)]``:
    the paths already ``known`` when they are all there; else every ``.gguf`` whose name holds
    ``quant`` between separators (not an ``mmproj`` file), split parts in order. Empty when none."""
    by_path = {path: (path, size, sha) for path, size, sha in tree}
    if known and all(path in by_path for path in known):
        return [by_path[path] for path in known]
    pattern = re.compile(rf"(^|[-._/]){re.escape(quant)}([-._]|$)", re.IGNORECASE)
    found = [entry for entry in tree if entry[0].endswith(".gguf") and "mmproj" not in entry[0].lower()
             and pattern.search(entry[0].rsplit("/", 1)[-1])]
    singles = [entry for entry in found if not SPLIT_PART.search(entry[0])]
    if singles:
        return [min(singles, key=lambda entry: len(entry[0]))]
    return sorted(found, key=lambda entry: entry[0])


def config_facts(config: dict[str, Any]) -> dict[str, Any]:
    """Catalog ``arch`` facts from a ``config.json`` (:data:`CONFIG_KEYS`, ``head_dim``, the
    sliding window)."""
    nested = config.get("text_config")
    text: dict[str, Any] = nested if isinstance(nested, dict) else config
    facts = {ours: text[theirs] for theirs, ours in CONFIG_KEYS.items() if text.get(theirs) is not None}
    head_dim = text.get("head_dim") or (
        text["hidden_size"] // text["num_attention_heads"] if text.get("hidden_size") and text.get(
            "num_attention_heads") else None)
    if head_dim:
        facts["head_dim_k"] = facts["head_dim_v"] = head_dim
    if text.get("sliding_window") and text.get("sliding_window_pattern"):
        facts["sliding_window"] = text["sliding_window"]
        facts["swa_pattern"] = text["sliding_window_pattern"]
    return facts


def regenerate(raw: dict[str, Any], api: Any, log: Callable[[str], None] = lambda _line: None,
               today: str | None = None) -> dict[str, Any]:
    """``raw`` (the catalog's JSON) with sizes and SHA-256 from the Hub, facts from each
    ``config.json`` and ``date`` set to ``today`` (default: today, UTC).

    ``api`` is a huggingface_hub ``HfApi`` (``list_repo_tree(repo, recursive=True)`` for sizes
    and LFS SHA-256, ``hf_hub_download`` for ``config.json``). A repository the Hub refuses
    (gated, missing) keeps its entries' facts as they are; ``log`` says which.
    """
    from huggingface_hub import hf_hub_download

    for model in raw["models"]:
        trees: dict[str, list[tuple[str, int, str | None]]] = {}
        for repo in model["gguf_repos"]:
            try:
                trees[repo] = [(f.path, int(f.size), f.lfs.sha256 if getattr(f, "lfs", None) else None)
                               for f in api.list_repo_tree(repo, recursive=True) if hasattr(f, "size")]
            except Exception as error:  # noqa: BLE001 - one refused repository must not stop the rest
                log(f"{model['id']}: cannot list {repo}: {type(error).__name__}: {error}")
        for quant in model["quants"]:
            for repo, tree in trees.items():
                known = [f["path"] for f in quant["files"] if f["repo_id"] == repo]
                files = quant_files(tree, quant["name"], known)
                if files:
                    quant["files"] = [{"repo_id": repo, "path": path, "size_bytes": size, "sha256": sha}
                                      for path, size, sha in files]
                    quant["size_source"] = "hub"
                    break
            else:
                log(f"{model['id']}: no {quant['name']} file found; its size stays {quant['size_source']}")
        config_repo = model["source"].removeprefix("https://huggingface.co/").removesuffix("/blob/main/config.json")
        try:
            path = hf_hub_download(config_repo, "config.json", endpoint=api.endpoint, token=api.token)
            model["arch"].update(config_facts(json.loads(Path(path).read_text(encoding="utf-8"))))
        except Exception as error:  # noqa: BLE001 - gated or missing: keep the facts written down
            log(f"{model['id']}: cannot read {config_repo}/config.json: {type(error).__name__}: {error}")
    raw["date"] = today or datetime.datetime.now(datetime.UTC).date().isoformat()
    return raw


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m slmdesk.hub.catalog_update [--out FILE]``: rewrite the catalog from the Hub
    (``HF_ENDPOINT`` when set). Exit status 1 with a message in offline mode or on a bad file."""
    parser = argparse.ArgumentParser(prog="python -m slmdesk.hub.catalog_update", description=__doc__)
    parser.add_argument("--catalog", type=Path, default=None, help="catalog to start from (default: the shipped one)")
    parser.add_argument("--out", type=Path, default=None, help="where to write (default: over --catalog)")
    args = parser.parse_args(argv)
    try:
        state = offline.current()
        if state.on:
            raise UserError(f"{state.describe()} The catalog cannot be regenerated without the Hugging Face Hub.",
                            state.how_to_turn_off())
        source = args.catalog or catalog_path()
        load_catalog(source)  # a readable starting point, or a clear error
        raw = json.loads(source.read_text(encoding="utf-8"))
        from huggingface_hub import HfApi

        updated = regenerate(raw, HfApi(), log=lambda line: print(line, file=sys.stderr))  # noqa: T201
        out = args.out or source
        tmp = out.with_name(out.name + ".tmp")
        tmp.write_text(json.dumps(updated, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        load_catalog(tmp)  # never replace a good catalog with one that does not load
        tmp.replace(out)
    except UserError as error:
        print(f"slmdesk: error: {error.message}", file=sys.stderr)  # noqa: T201
        if error.hint:
            print(error.hint, file=sys.stderr)  # noqa: T201
        return 1
    print(f"wrote {out}", file=sys.stderr)  # noqa: T201
    return 0


if __name__ == "__main__":
    sys.exit(main())
