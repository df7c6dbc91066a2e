"""The Ollama bundle: a ``Modelfile`` built ``FROM`` the GGUF with the load plan and sampling
defaults as ``PARAMETER`` s, and the ``ollama create`` command.

Instructions and parameter names follow Ollama's Modelfile reference (``docs/modelfile.mdx``:
FROM, PARAMETER, TEMPLATE, SYSTEM, ADAPTER, LICENSE, MESSAGE, REQUIRES; the "Valid Parameters
and Values" table) and, for the load-time parameters the table leaves out but the API accepts
(``num_gpu``, ``num_thread``), the ``Runner`` options of ``api/types.go``. Flash attention and
the KV cache type are Ollama *server* settings (``OLLAMA_FLASH_ATTENTION``,
``OLLAMA_KV_CACHE_TYPE``), so the README says how to set them rather than the Modelfile.
"""

from __future__ import annotations

import shlex

from slmdesk.core.errors import UserError
from slmdesk.deploy.bundle import Bundle, BundleFile, DeployRequest

DEFAULT_PORT = 11434
"""Ollama's API port (``OLLAMA_HOST`` default ``127.0.0.1:11434``)."""

STOP_MARKERS = ("<|im_end|>", "<|eot_id|>", "<end_of_turn>", "<|end|>", "<|endoftext|>")
"""End-of-turn strings of common chat templates (ChatML, Llama 3, Gemma, Phi-3): those found in a
model's chat template become ``PARAMETER stop`` lines, like the Modelfiles Ollama itself ships."""


def _quoted(text: str) -> str:
    """A Modelfile argument: bare when it is one plain word, else in ``"..."`` (or ``\"\"\"...\"\"\"``
    for text with quotes or new lines, the multi-line form of the reference)."""
    if text and not any(c.isspace() or c in '"#\\' for c in text):
        return text
    if "\n" not in text and '"' not in text and "\\" not in text:
        return f'"{text}"'
    if '"""' in text:
        raise UserError('A system prompt or licence may not contain three double quotes (""") in a Modelfile.')
    return f'"""{text}"""'


def _quoted_always(text: str) -> str:
    """``"text"`` (as ``ollama show --modelfile`` writes stop strings), or the triple-quoted form
    when it holds a quote, backslash or new line."""
    quoted = _quoted(text)
    return quoted if quoted.startswith('"') else f'"{text}"'


def _number(value: float) -> str:
    return f"{value:g}"


def stop_strings(request: DeployRequest) -> list[str]:
    """``PARAMETER stop`` values: the sampling defaults' stop strings, then the end-of-turn
    markers of :data:`STOP_MARKERS` that the model's chat template uses; no duplicates."""
    template = request.spec.chat_template or ""
    found = [*request.sampling.stop, *(marker for marker in STOP_MARKERS if marker in template)]
    return list(dict.fromkeys(found))


def parameters(request: DeployRequest) -> list[tuple[str, str]]:
    """``(name, value)`` of every ``PARAMETER`` line, in the reference's order of the table:
    ``num_ctx`` (the plan's n_ctx), ``num_gpu`` (GPU layers, when the plan fixes them: -1 becomes
    ``n_layer + 1``; "automatic" is left to Ollama, which estimates like slmdesk), ``num_thread``
    (when the plan sets threads), ``repeat_penalty``, ``temperature``, ``seed`` (when set),
    ``stop`` (one line each), ``num_predict`` (max tokens), ``top_k``, ``top_p``, ``min_p``."""
    plan, sampling = request.plan, request.sampling
    rows: list[tuple[str, str]] = [("num_ctx", str(plan.n_ctx))]
    if plan.n_gpu_layers is not None:
        layers = (request.spec.n_layer or 998) + 1 if plan.n_gpu_layers < 0 else plan.n_gpu_layers
        rows.append(("num_gpu", str(layers)))
    if plan.n_threads:
        rows.append(("num_thread", str(plan.n_threads)))
    rows.append(("repeat_penalty", _number(sampling.repeat_penalty)))
    rows.append(("temperature", _number(sampling.temperature)))
    if sampling.seed is not None:
        rows.append(("seed", str(sampling.seed)))
    rows.extend(("stop", _quoted_always(stop)) for stop in stop_strings(request))
    rows.append(("num_predict", str(sampling.max_tokens)))
    rows.append(("top_k", str(sampling.top_k)))
    rows.append(("top_p", _number(sampling.top_p)))
    rows.append(("min_p", _number(sampling.min_p)))
    return rows


def modelfile(request: DeployRequest) -> str:
    """The ``Modelfile`` text: a comment header, ``FROM`` (the GGUF's absolute path, or
    ``request.ollama_from``), the ``PARAMETER`` lines, ``SYSTEM`` when a system prompt is set,
    ``LICENSE`` when the licence is known. No ``TEMPLATE``: Ollama takes the chat template from
    the GGUF's ``tokenizer.chat_template``.

    Raises:
        UserError: the artifact is not a single GGUF file (Ollama imports GGUF files, and split
            sets only as their merged file).
    """
    spec = request.spec
    if request.ollama_from is None and (spec.format != "gguf" or len(spec.files) > 1):
        what = "a split GGUF set" if spec.format == "gguf" else f"a {spec.format} model"
        raise UserError(f"{spec.path.name} is {what}: the Ollama export needs one GGUF file.",
                        "Merge the split set with llama-gguf-split --merge, or export a GGUF artifact.")
    source = request.ollama_from or str(spec.path)
    lines = [
        f"# Modelfile for {request.name}, written by slmdesk.",
        f"# Load plan: {request.plan.describe()}.",
        f"# Build it with: ollama create {request.slug} -f Modelfile",
        f"FROM {_quoted(source)}",
        "",
    ]
    lines += [f"PARAMETER {name} {value}" for name, value in parameters(request)]
    if request.system_prompt and request.system_prompt.strip():
        lines += ["", f"SYSTEM {_quoted(request.system_prompt.strip())}"]
    if request.license:
        lines += ["", f"LICENSE {_quoted(request.license)}"]
    return "\n".join(lines) + "\n"


def server_environment(request: DeployRequest) -> dict[str, str]:
    """Ollama server variables the plan needs: ``OLLAMA_FLASH_ATTENTION=1`` with flash attention
    on, ``OLLAMA_KV_CACHE_TYPE`` for a quantized KV cache (Ollama's FAQ: it needs flash attention),
    ``OLLAMA_HOST`` for a port other than 11434."""
    env: dict[str, str] = {}
    if request.plan.flash_attn_on:
        env["OLLAMA_FLASH_ATTENTION"] = "1"
    if request.plan.kv_type != "f16":
        env["OLLAMA_KV_CACHE_TYPE"] = request.plan.kv_type
    if request.port is not None and request.port != DEFAULT_PORT:
        env["OLLAMA_HOST"] = f"127.0.0.1:{request.port}"
    return env


def build(request: DeployRequest) -> Bundle:
    """The Ollama files (``ollama/Modelfile``, ``ollama/create.sh``) and their README section.

    Raises:
        UserError: as :func:`modelfile`.
    """
    text = modelfile(request)
    env = server_environment(request)
    exports = "".join(f"export {key}={shlex.quote(value)}\n" for key, value in env.items())
    script = (
        "#!/bin/sh\n"
        f"# Creates the Ollama model {request.slug} from the Modelfile beside this script.\n"
        "set -eu\n"
        'cd "$(dirname "$0")"\n'
        f"{exports}"
        f"ollama create {request.slug} -f Modelfile\n"
        f"echo 'Run it with: ollama run {request.slug}'\n"
    )
    server_note = ""
    if env:
        settings = " ".join(f"`{key}={value}`" for key, value in env.items())
        server_note = (f"\nThe load plan needs these settings of the Ollama *server* (not the Modelfile): {settings}. "
                       "Set them where `ollama serve` starts (for the systemd service: "
                       "`sudo systemctl edit ollama`, then `Environment=...` lines).\n")
    readme = (
        "## Ollama (`ollama/`)\n\n"
        "- `Modelfile`: `FROM` the GGUF file, the load plan and sampling defaults as `PARAMETER` lines "
        "(`num_ctx`, `num_gpu`, `num_thread`, `temperature`, `top_p`, `stop`...), the system prompt if set.\n"
        "- `create.sh`: runs `ollama create` (Ollama copies the GGUF into its own store).\n\n"
        f"Apply: `sh ollama/create.sh`, then `ollama run {request.slug}`.\n{server_note}"
    )
    return Bundle("ollama", (BundleFile("ollama/Modelfile", text), BundleFile("ollama/create.sh", script, True)),
                  readme)
