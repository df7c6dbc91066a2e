"""Validators for exported deployment files, each from the format's own definition:

- Modelfile: a parser of the grammar in Ollama's Modelfile reference (``docs/modelfile.mdx``:
  ``# comment`` lines, ``INSTRUCTION arguments``, case-insensitive instructions, ``"..."`` and
  ``\"\"\"...\"\"\"`` (multi-line) arguments, the "Valid Parameters and Values" table with its value
  types) plus the load-time ``Runner`` options of ``api/types.go`` the API also accepts;
- Compose: the Compose specification's JSON schema as check-jsonschema ships it
  (``check_jsonschema/builtin_schemas/vendor/compose-spec.json``, Apache-2.0, from
  github.com/compose-spec/compose-spec ``schema/compose-spec.json``), no network;
- Kubernetes: kubernetes-validate's vendored schemas of one Kubernetes version, strict (unknown
  fields are errors), no network.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

import jsonschema

INSTRUCTIONS = ("FROM", "PARAMETER", "TEMPLATE", "SYSTEM", "ADAPTER", "LICENSE", "MESSAGE", "REQUIRES")

DOCUMENTED_PARAMETERS: dict[str, str] = {
    "num_ctx": "int", "repeat_last_n": "int", "repeat_penalty": "float", "temperature": "float",
    "seed": "int", "stop": "string", "num_predict": "int", "draft_num_predict": "int", "top_k": "int",
    "top_p": "float", "min_p": "float",
}
"""The reference's table: parameter -> value type."""

RUNNER_PARAMETERS: dict[str, str] = {
    "num_batch": "int", "num_gpu": "int", "main_gpu": "int", "num_thread": "int", "use_mmap": "bool",
}
"""``api/types.go`` ``Runner`` options (json names), accepted as PARAMETERs like the table's."""

KUBERNETES_VERSION = "1.33.0"
"""The Kubernetes version whose schemas the manifests must match (a recent supported release)."""


class ModelfileError(ValueError):
    """The text is not a valid Modelfile; the message names the line."""


@dataclass
class Modelfile:
    """A parsed Modelfile: instructions in order, ``(NAME, argument)``; parameters by name."""

    instructions: list[tuple[str, str]] = field(default_factory=list)
    parameters: dict[str, list[Any]] = field(default_factory=dict)

    def first(self, name: str) -> str | None:
        return next((arg for inst, arg in self.instructions if inst == name), None)


def _argument(text: str, start: int, line_no: int) -> tuple[str, int]:
    """The argument starting at ``text[start]`` (after the instruction), and where the line after it starts."""
    rest = text[start:]
    if rest.startswith('"""'):
        end = rest.find('"""', 3)
        if end < 0:
            raise ModelfileError(f"line {line_no}: unterminated \"\"\" argument")
        after = start + end + 3
        tail_end = text.find("\n", after)
        tail = text[after: tail_end if tail_end >= 0 else len(text)]
        if tail.strip():
            raise ModelfileError(f"line {line_no}: text after the closing \"\"\": {tail.strip()!r}")
        return rest[3:end], (tail_end + 1 if tail_end >= 0 else len(text))
    line_end = text.find("\n", start)
    line = text[start: line_end if line_end >= 0 else len(text)]
    nxt = line_end + 1 if line_end >= 0 else len(text)
    if line.startswith('"'):
        if len(line.rstrip()) < 2 or not line.rstrip().endswith('"'):
            raise ModelfileError(f"line {line_no}: unterminated \" argument")
        return line.rstrip()[1:-1], nxt
    return line.strip(), nxt


def _typed(name: str, kind: str, value: str, line_no: int) -> Any:
    try:
        if kind == "int":
            return int(value)
        if kind == "float":
            return float(value)
        if kind == "bool":
            if value.lower() not in ("true", "false"):
                raise ValueError(value)
            return value.lower() == "true"
    except ValueError as error:
        raise ModelfileError(f"line {line_no}: {name} takes a {kind}, not {value!r}") from error
    return value


def parse_modelfile(text: str) -> Modelfile:
    """Parse and check ``text``; raises :class:`ModelfileError` at the first problem."""
    result = Modelfile()
    position = 0
    while position < len(text):
        line_no = text.count("\n", 0, position) + 1
        line_end = text.find("\n", position)
        line = text[position: line_end if line_end >= 0 else len(text)]
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            position = line_end + 1 if line_end >= 0 else len(text)
            continue
        match = re.match(r"\s*(\S+)\s+", line)
        if match is None:
            raise ModelfileError(f"line {line_no}: an instruction without arguments: {stripped!r}")
        name = match.group(1).upper()
        if name not in INSTRUCTIONS:
            raise ModelfileError(f"line {line_no}: unknown instruction {match.group(1)!r}")
        argument, position = _argument(text, position + match.end(), line_no)
        if not argument.strip():
            raise ModelfileError(f"line {line_no}: {name} needs an argument")
        if name == "PARAMETER":
            parts = argument.split(None, 1)
            if len(parts) != 2:
                raise ModelfileError(f"line {line_no}: PARAMETER needs a name and a value")
            key, raw = parts[0].lower(), parts[1].strip()
            kind = DOCUMENTED_PARAMETERS.get(key) or RUNNER_PARAMETERS.get(key)
            if kind is None:
                raise ModelfileError(f"line {line_no}: unknown parameter {key!r}")
            if raw.startswith('"') and raw.endswith('"') and len(raw) >= 2:
                raw = raw[1:-1]
            result.parameters.setdefault(key, []).append(_typed(key, kind, raw, line_no))
            if key != "stop" and len(result.parameters[key]) > 1:
                raise ModelfileError(f"line {line_no}: {key} is set twice")
        elif name == "MESSAGE":
            role = argument.split(None, 1)[0]
            if role not in ("system", "user", "assistant"):
                raise ModelfileError(f"line {line_no}: MESSAGE role {role!r} is not system, user or assistant")
        result.instructions.append((name, argument))
    if result.first("FROM") is None:
        raise ModelfileError("a Modelfile needs a FROM instruction")
    return result


def compose_schema() -> dict[str, Any]:
    """The Compose specification schema that check-jsonschema vendors."""
    path = resources.files("check_jsonschema.builtin_schemas.vendor").joinpath("compose-spec.json")
    schema: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return schema


def compose_errors(document: Any) -> list[str]:
    """Messages of every way ``document`` breaks the Compose specification ([] when valid)."""
    schema = compose_schema()
    validator = jsonschema.validators.validator_for(schema)(schema)
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(document)]


def kubernetes_errors(manifest: dict[str, Any], version: str = KUBERNETES_VERSION) -> list[str]:
    """Messages of ``manifest``'s schema errors for Kubernetes ``version`` (strict), [] when valid."""
    import kubernetes_validate

    try:
        kubernetes_validate.validate(manifest, version, strict=True)
    except kubernetes_validate.ValidationError as error:
        return [f"{'/'.join(map(str, error.path))}: {error.message}"]
    return []
