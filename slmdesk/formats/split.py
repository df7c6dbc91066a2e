"""Split GGUF sets (``name-00001-of-00003.gguf``...): found, checked and read as one artifact.

Naming follows llama.cpp ``llama_split_path`` (``src/llama.cpp``): ``"%s-%05d-of-%05d.gguf"``
with a 1-based part number. Every part is a GGUF file of its own; the first holds all the
metadata, the others at least ``split.no``, ``split.count`` and ``split.tensors.count``
(``tools/gguf-split/gguf-split.cpp``; gguf-py ``GGUFWriter`` with ``split_max_tensors`` writes
the same).
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from slmdesk.core.errors import UserError
from slmdesk.core.model_spec import ModelSpec
from slmdesk.formats.gguf import GGUFFormatError, GGUFHeader, read_header, spec_from_headers

SPLIT_NAME_RE = re.compile(r"^(?P<prefix>.+)-(?P<no>\d{5})-of-(?P<count>\d{5})\.gguf$", re.IGNORECASE)
"""Matches a split part's file name; ``no`` is 1-based."""


class SplitSetError(UserError):
    """A split GGUF set is incomplete or inconsistent; the message names the part."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(
            message,
            hint or "Download the missing parts again (all parts must be in the same folder).",
        )


@dataclass(frozen=True)
class SplitName:
    """A parsed part name: ``prefix``, 1-based part ``number`` and ``count`` of parts."""

    prefix: str
    number: int
    count: int

    def part_name(self, number: int) -> str:
        """File name of part ``number`` (1-based) of this set."""
        return split_part_name(self.prefix, number, self.count)


def parse_split_name(name: str) -> SplitName | None:
    """``"m-00002-of-00003.gguf" -> SplitName("m", 2, 3)``; None when ``name`` is not a part name
    (or has a part number of 0 or above the count)."""
    match = SPLIT_NAME_RE.match(name)
    if match is None:
        return None
    number, count = int(match["no"]), int(match["count"])
    if count < 1 or not 1 <= number <= count:
        return None
    return SplitName(match["prefix"], number, count)


def split_part_name(prefix: str, number: int, count: int) -> str:
    """``llama_split_path``: ``f"{prefix}-{number:05d}-of-{count:05d}.gguf"`` (1-based number)."""
    return f"{prefix}-{number:05d}-of-{count:05d}.gguf"


def is_split_part(path: Path) -> bool:
    """True when ``path``'s name follows the split-part pattern."""
    return parse_split_name(path.name) is not None


def _parts_present(path: Path) -> tuple[SplitName, set[str], list[str]]:
    """``(parsed name, .gguf names in the folder, expected part names)`` after checking that
    every part of ``path``'s set is present.

    Raises:
        SplitSetError: ``path`` is not a part name, or parts are missing (named, five at most).
        UserError: the folder cannot be listed.
    """
    name = parse_split_name(path.name)
    if name is None:
        raise SplitSetError(
            f"{path.name} is not named like a part of a split GGUF set (name-00001-of-00003.gguf).",
            "Rename the parts back to the names they were published with.",
        )
    folder = path.parent
    try:
        with os.scandir(folder) as entries:
            present = {entry.name for entry in entries if entry.name.lower().endswith(".gguf")}
    except OSError as error:
        raise UserError(f"Cannot list {folder}: {error.strerror}.") from error
    expected = [name.part_name(i) for i in range(1, name.count + 1)]
    missing = [part for part in expected if part not in present]
    if missing:
        listed = ", ".join(missing[:5]) + (f" and {len(missing) - 5} more" if len(missing) > 5 else "")
        verb = "is" if len(missing) == 1 else "are"
        raise SplitSetError(f"{listed} {verb} missing from the {name.count}-part set {path.name}.")
    return name, present, expected


def present_split_parts(path: Path) -> list[Path]:
    """All parts of the set ``path`` belongs to, in order, after checking that they are all
    present: what llama.cpp needs to load the set (it opens ``llama_split_path`` names from
    the first part, ``src/llama-model-loader.cpp``). Unlike :func:`split_set_paths`, stray
    parts of another download beside them are not an error.

    Raises:
        SplitSetError: ``path`` is not a part name, or a part is missing (the message names it).
        UserError: the folder cannot be listed.
    """
    _name, _present, expected = _parts_present(path)
    return [path.parent / part for part in expected]


def split_set_paths(path: Path) -> list[Path]:
    """All parts of the set ``path`` belongs to, in order, after checking they are all present
    and that no stray part of the same name with another count or number lies beside them.

    Raises:
        SplitSetError: ``path`` is not a part name, a part is missing, or an extra part exists.
    """
    name, present, expected = _parts_present(path)
    extra = sorted(
        other
        for other in present
        if (parsed := parse_split_name(other)) is not None
        and parsed.prefix == name.prefix
        and other not in expected
    )
    if extra:
        raise SplitSetError(
            f"{extra[0]} does not belong to the {name.count}-part set {expected[0]}.",
            "Remove the stray part or the parts of the older download.",
        )
    return [path.parent / part for part in expected]


def read_split_set(path: Path) -> ModelSpec:
    """Read every part's header and return one :class:`ModelSpec` for the whole set.

    ``path`` may be any part; the spec's ``path`` is the first part, ``files`` lists all
    parts, ``file_bytes``, ``weights_bytes``, ``n_params`` and the per-layer bytes are summed
    over parts. Each part must declare ``split.count`` equal to the count in its name and
    ``split.no`` equal to its own (0-based) index, and any part naming an architecture must
    name the first part's.

    Raises:
        SplitSetError: a part is missing, extra or inconsistent with the others.
        GGUFFormatError: a part is not a readable GGUF file.
        UserError: a part cannot be read.
    """
    parts = split_set_paths(path)
    headers: list[GGUFHeader] = []
    for index, part in enumerate(parts):
        header = read_header(part)
        _check_part(part, header, index, len(parts))  # a bad part is named before the next is read
        headers.append(header)
    return spec_from_split_headers(parts, headers)


def spec_from_split_headers(parts: Sequence[Path], headers: Sequence[GGUFHeader]) -> ModelSpec:
    """One :class:`ModelSpec` for a whole split set from every part's parsed header, in part
    order: the checks of :func:`read_split_set` (split keys, one architecture, the declared
    tensor count), then :func:`~slmdesk.formats.gguf.spec_from_headers` with ``parts[0]`` as the
    spec's path. ``parts`` only name the parts (local files, or the pseudo-paths of a remote
    read, :mod:`slmdesk.hub.remote_gguf`); nothing is opened.

    Raises:
        SplitSetError: a part is inconsistent with its name or the others.
        GGUFFormatError: a required key is missing or malformed.
    """
    parts = list(parts)
    for index, (part, header) in enumerate(zip(parts, headers, strict=True)):
        _check_part(part, header, index, len(parts))
    arch = headers[0].value("general.architecture")
    for part, header in zip(parts[1:], headers[1:], strict=True):
        other = header.value("general.architecture")
        if other is not None and other != arch:
            raise SplitSetError(
                f"{part.name} is a {other} model but {parts[0].name} is a {arch} model.",
                "The parts come from different models; download the set again.",
            )
    total = headers[0].value("split.tensors.count")
    found = sum(len(h.tensors) for h in headers)
    if isinstance(total, int) and total != found:
        raise SplitSetError(
            f"The parts of {parts[0].name} hold {found} tensors but the set declares {total}.",
        )
    return spec_from_headers(parts[0], tuple(parts), tuple(headers))


def _check_part(part: Path, header: GGUFHeader, index: int, count: int) -> None:
    declared_count = header.value("split.count")
    declared_no = header.value("split.no")
    if count == 1 and declared_count is None:
        return  # "-00001-of-00001" written without split keys: a plain file.
    if not isinstance(declared_count, int) or not isinstance(declared_no, int):
        raise SplitSetError(
            f"{part.name} is named as part {index + 1} of {count} but has no split.count/split.no keys.",
            "It is not a gguf-split part; rename it or download the set again.",
        )
    if declared_count != count:
        raise SplitSetError(
            f"{part.name} declares split.count {declared_count}, but its name says {count} parts."
        )
    if declared_no != index:
        raise SplitSetError(
            f"{part.name} declares itself part {declared_no + 1} (split.no {declared_no}), "
            f"but its name says part {index + 1}."
        )


__all__ = [
    "SPLIT_NAME_RE",
    "GGUFFormatError",
    "SplitName",
    "SplitSetError",
    "is_split_part",
    "parse_split_name",
    "present_split_parts",
    "read_split_set",
    "spec_from_split_headers",
    "split_part_name",
    "split_set_paths",
]
