"""The quantization child process (``slmdesk quantize-child SPEC_JSON``): ``llama_model_quantize``
with its log parsed into per-tensor progress, then a load check of the output.

``llama_model_quantize`` has no progress callback and no cancel (field notes 0.4, 2.1): progress
comes from its ``"[  12/ 291] blk.0.attn_q.weight - [...], type = f16, "`` log lines (caught with
``llama_log_set``), and cancel is the parent terminating this process. Events go to the parent
as JSON lines on the standard output this process started with; native code's own prints are
sent to stderr (fd 1 is pointed at fd 2), so they cannot corrupt the stream.

Events: ``{"event": "tensor", "i": 12, "n": 291, "name": "blk.0.attn_q.weight"}``,
``{"event": "quantized", "seconds": 0.71}``, ``{"event": "loaded", "seconds": 0.05}``,
``{"event": "error", "message": "..."}``. The exit status is 0 only after ``loaded``.
"""

from __future__ import annotations

import ctypes
import json
import os
import re
import sys
import time
from collections import deque
from pathlib import Path
from typing import IO, Any

TENSOR_LINE = re.compile(r"^\[\s*(\d+)/\s*(\d+)\]\s+(\S+)")
"""``llama_model_quantize_impl``'s per-tensor log line (``src/llama-quant.cpp``,
``"[%4d/%4d] %-36s - [%s], type = %6s, "``)."""

_ERROR_HINTS = ("error", "failed", "requires", "cannot", "invalid", "missing", "disabled")


class _Log:
    """Collects llama.cpp's log fragments into lines; reports each tensor line once."""

    def __init__(self, out: IO[str]) -> None:
        self.out = out
        self.pending = ""
        self.lines: deque[str] = deque(maxlen=60)
        self.reported = 0

    def feed(self, text: str) -> None:
        self.pending += text
        *complete, self.pending = self.pending.split("\n")
        for line in complete:
            if line.strip():
                self.lines.append(line.strip())
            self._tensor(line)
        self._tensor(self.pending)

    def _tensor(self, line: str) -> None:
        match = TENSOR_LINE.match(line)
        if match and int(match.group(1)) > self.reported:
            self.reported = int(match.group(1))
            send(self.out, event="tensor", i=self.reported, n=int(match.group(2)), name=match.group(3))

    def reason(self) -> str:
        """The most telling line of the log: an error, else the last line."""
        lines = [*self.lines, self.pending.strip()] if self.pending.strip() else list(self.lines)
        for line in reversed(lines):
            if "failed to quantize" in line:
                return line.split("failed to quantize:", 1)[-1].strip()
        for line in reversed(lines):
            if any(word in line.lower() for word in _ERROR_HINTS) and not TENSOR_LINE.match(line):
                return line
        return lines[-1] if lines else "llama_model_quantize returned an error"


def send(out: IO[str], **event: Any) -> None:
    """One JSON event line to the parent."""
    out.write(json.dumps(event) + "\n")
    out.flush()


def _protocol_stream() -> IO[str]:
    """This process's original stdout, for events; fd 1 then points at stderr."""
    sys.stdout.flush()
    stream = os.fdopen(os.dup(1), "w", encoding="utf-8", buffering=1)
    os.dup2(2, 1)
    return stream


def main(spec_json: str) -> int:
    """Quantize as ``spec_json`` says: ``{"source", "out", "ftype", "nthread", "allow_requantize",
    "imatrix" (path or null), "verify_load"}``. Returns the exit status (0: written and loaded)."""
    out = _protocol_stream()
    spec = json.loads(spec_json)
    try:
        from slmdesk.engine.llama_runtime import ensure_backends

        ensure_backends()  # the allowed CPU variant (never the AMX one), before llama.cpp searches
        import llama_cpp
    except Exception as error:  # noqa: BLE001 - any failure here is reported to the parent as one line
        send(out, event="error", message=f"llama.cpp cannot be loaded: {error}")
        return 3
    log = _Log(out)

    def on_log(_level: int, text: bytes | None, _user: ctypes.c_void_p) -> None:
        if text:
            log.feed(text.decode("utf-8", "replace"))

    callback = llama_cpp.llama_log_callback(on_log)
    llama_cpp.llama_log_set(callback, ctypes.c_void_p(0))
    params = llama_cpp.llama_model_quantize_default_params()
    params.ftype = int(spec["ftype"])
    params.nthread = int(spec.get("nthread") or 0)
    params.allow_requantize = bool(spec.get("allow_requantize"))
    keepalive: Any = None
    if spec.get("imatrix"):
        try:
            from slmdesk.quantize.imatrix import imatrix_for_quantize  # type: ignore[import-not-found,unused-ignore]

            array, keepalive = imatrix_for_quantize(Path(spec["imatrix"]))
        except Exception as error:  # noqa: BLE001 - a bad file or a bug: either way the parent shows it
            send(out, event="error", message=f"Cannot read the importance matrix {spec['imatrix']}: {error}")
            return 4
        params.imatrix = ctypes.cast(array, ctypes.POINTER(llama_cpp.llama_model_imatrix_data))
    started = time.monotonic()
    rc = llama_cpp.llama_model_quantize(spec["source"].encode(), spec["out"].encode(), ctypes.byref(params))
    del keepalive
    if rc != 0:
        send(out, event="error", message=log.reason())
        return 1
    send(out, event="quantized", seconds=round(time.monotonic() - started, 3))
    if spec.get("verify_load", True):
        started = time.monotonic()
        model_params = llama_cpp.llama_model_default_params()
        model_params.n_gpu_layers = 0
        model_params.use_extra_bufts = False  # no repack: a load check, not a run (field notes 2.8)
        model = llama_cpp.llama_model_load_from_file(spec["out"].encode(), model_params)
        if not model:
            send(out, event="error", message=f"the quantized file does not load: {log.reason()}")
            return 2
        llama_cpp.llama_model_free(model)
        send(out, event="loaded", seconds=round(time.monotonic() - started, 3))
    return 0
