"""One display name for a model, the same in every pane and command.

The parts are those of the GGUF naming convention (``docs/gguf.md``, "GGUF Naming
Convention": ``<BaseName><SizeLabel><FineTune><Version><Encoding><Type><Shard>.gguf``) and of
the ``general.basename`` / ``general.size_label`` / ``general.finetune`` / ``general.version``
keys that ``convert_hf_to_gguf.py`` writes (gguf-py ``metadata.py``). Publishers fill them
unevenly, so the rule combines the header with the file name:

1. **Base**: ``general.basename``, cut at the size label when the converter put the whole
   model id in it (Unsloth writes ``Llama-3.2-1B-Instruct``); else the file name's part
   before its size label; else ``general.name``; else the file stem. Each word takes the
   file name's spelling when the file has the same word (``smollm2`` -> ``SmolLM2``); an
   all-lowercase base is capitalised (``gemma-3`` -> ``Gemma 3``).
2. **Size**: ``general.size_label``, else the size label in the file name or ``general.name``
   (``270m`` -> ``270M``), else the parameter count (``135M``; not below a million, where
   it names a toy rather than a model).
3. **Fine-tune**: the file name's words after its size label when its base is the header's
   base (the publisher named the file by the convention; SmolLM2's header says
   ``8k-lc100k-mix1-ep2`` where the file says ``Instruct``); else the header's
   ``general.finetune`` and version. Words already in the base are not repeated.

The quantization is not part of the name: panes show it beside the name.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from pathlib import Path

from slmdesk.core.model_spec import ModelSpec
from slmdesk.core.units import format_params

_SPLIT_SUFFIX_RE = re.compile(r"-\d{5}-of-\d{5}$", re.IGNORECASE)
_SIZE_RE = re.compile(r"^(?:\d+x)?\d+(?:\.\d+)?[MBT]$", re.IGNORECASE)
"""A size label: ``135M``, ``0.5B``, ``8x7B`` (the convention's ``<expert_count>x<count><scale>``).
Thousands (``K``) are left out: in names they are context lengths (``4k``, ``8k``)."""
_VERSION_RE = re.compile(r"^v\d", re.IGNORECASE)
_QUANT_RE = re.compile(
    r"^(?:I?Q\d+(?:_[A-Z0-9]+)*|TQ\d+_\d+|MXFP4(?:_MOE)?|B?F16|F32|F64|BF16)$", re.IGNORECASE
)
"""A quantization/encoding token (``Q4_K_M``, ``IQ2_XS``, ``TQ1_0``, ``BF16``): ends the name."""
_WORD_SPLIT_RE = re.compile(r"[-\s]+|\.(?!\d)")
"""Words of a name: hyphens and spaces separate, a dot only when no digit follows (``3.2``
and ``v0.2`` stay whole; ``Instruct.Q4_1`` splits)."""


def _words(text: str | None) -> list[str]:
    return [word for word in _WORD_SPLIT_RE.split(text or "") if word]


def _is_size(word: str) -> bool:
    return bool(_SIZE_RE.match(word))


def _size_text(word: str) -> str:
    """``270m`` -> ``270M``: the scale letter upper-case, as model cards write it."""
    return word[:-1] + word[-1].upper() if _is_size(word) else word


def _file_words(path: Path) -> list[str]:
    """The file or folder name's words up to its quantization (``.gguf`` and a split
    suffix ``-00001-of-00003`` removed)."""
    stem = path.name.removesuffix(".gguf").removesuffix(".GGUF") if path.suffix.lower() == ".gguf" else path.name
    stem = _SPLIT_SUFFIX_RE.sub("", stem)
    words: list[str] = []
    for word in _words(stem):
        if _QUANT_RE.match(word):
            break
        words.append(word)
    return words


def _cut_at_size(words: Sequence[str], size_label: str | None) -> tuple[list[str], str | None, list[str]]:
    """Split words at the size label (the given one, else the first size-like word):
    ``(before, size word or None, after)``."""
    wanted = size_label.lower() if size_label else None
    for index, word in enumerate(words):
        if (wanted is not None and word.lower() == wanted) or (wanted is None and _is_size(word)):
            return list(words[:index]), word, list(words[index + 1 :])
    return list(words), None, []


def _same(a: Iterable[str], b: Iterable[str]) -> bool:
    return [w.lower() for w in a] == [w.lower() for w in b]


def _spelled_like(words: Sequence[str], model: Sequence[str]) -> list[str]:
    """Each word in the spelling ``model`` uses for it, when ``model`` has it."""
    spelling = {w.lower(): w for w in model}
    return [spelling.get(w.lower(), w) for w in words]


def _capitalised(words: Sequence[str]) -> list[str]:
    """All-lowercase words get a capital (``gemma`` -> ``Gemma``; two letters or fewer are
    initialisms: ``it`` -> ``IT``); words with any capital are kept as written."""
    out = []
    for word in words:
        if word.islower() and word[:1].isalpha() and not _VERSION_RE.match(word):
            out.append(word.upper() if len(word) <= 2 else word[0].upper() + word[1:])
        else:
            out.append(word)
    return out


def display_name(
    path: Path,
    *,
    general_name: str | None = None,
    basename: str | None = None,
    size_label: str | None = None,
    finetune: str | None = None,
    version: str | None = None,
    n_params: int | None = None,
) -> str:
    """The model's display name by the rule in the module docstring.

    Args:
        path: the GGUF file (a split set's first part) or the model folder.
        general_name, basename, size_label, finetune, version: the ``general.*`` header keys,
            None when absent.
        n_params: parameter count, the size of last resort.

    Returns:
        "Base Size Fine-tune" with empty parts left out, e.g. ``"SmolLM2 135M Instruct"``,
        ``"Llama 3.2 1B Instruct"``, ``"Gemma 3 270M"``; never empty (the file name at worst).
    """
    file_words = _file_words(path)
    file_base, file_size, file_tail = _cut_at_size(file_words, None)
    if file_size is None:
        file_base, file_tail = [], []

    size = size_label.strip() if size_label and size_label.strip() else None
    extra: list[str] = []
    if basename and basename.strip():
        base, found_size, extra = _cut_at_size(_words(basename), size)
        if found_size is None and size is None:
            base, found_size, extra = _cut_at_size(_words(basename), None)
        size = size or found_size
    elif file_base:
        base = file_base
    else:
        base, found_size, extra = _cut_at_size(_words(general_name), size)
        size = size or found_size
        if not base:
            base = file_words or [path.stem]
    if not base:  # Pythia writes only "1.4B" as its name
        base = file_base or [w for w in file_words if not _is_size(w)] or [path.stem]
    counted = format_params(n_params) if n_params and n_params >= 1_000_000 else ""
    size = size or file_size or (_cut_at_size(_words(general_name), None)[1]) or counted or None

    if file_base and _same(base, file_base) and file_tail:
        tail = file_tail
    else:
        tail = extra + _words(finetune) + _words(version)
    known = {w.lower() for w in base} | ({size.lower()} if size else set())
    unique_tail: list[str] = []
    for word in tail:
        if word.lower() not in known:
            known.add(word.lower())
            unique_tail.append(word)

    base = _spelled_like(base, file_words)
    if all(w.islower() or not w[:1].isalpha() for w in base):
        base = _capitalised(base)
    tail_words = _spelled_like(unique_tail, file_words)
    parts = [*base, _size_text(size) if size else "", *_capitalised(tail_words)]
    return " ".join(part for part in parts if part) or path.name


def spec_display_name(spec: ModelSpec) -> str:
    """:func:`display_name` of a read artifact, from its header's ``general.*`` keys."""
    metadata = dict(spec.metadata)
    return display_name(
        spec.path,
        general_name=spec.name,
        basename=metadata.get("general.basename"),
        size_label=spec.size_label or metadata.get("general.size_label"),
        finetune=metadata.get("general.finetune"),
        version=metadata.get("general.version"),
        n_params=spec.n_params,
    )
