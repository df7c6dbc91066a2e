"""The engine process: reads protocol requests on stdin, runs a backend, writes events to stdout.

Started by :class:`slmdesk.engine.client.EngineClient` as ``slmdesk engine-host`` (see
:func:`slmdesk.engine.process.host_command`). Two threads: a reader thread parses stdin and
handles ``cancel`` at once (it sets the running generation's event, checked between tokens);
every other request is queued for the main thread, which owns the backend. Native code may
print to file descriptor 1, so the protocol gets a private duplicate of it and fd 1 is pointed
at stderr before any backend is imported. The process dies with its client: a parent-death
signal on Linux (:func:`die_with_parent`), and a hard exit soon after stdin closes everywhere
(a load or a long prompt cannot be interrupted, and an orphan must not keep its memory).
"""

from __future__ import annotations

import contextlib
import logging
import os
import queue
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any, BinaryIO, Protocol

from slmdesk.core.errors import UserError
from slmdesk.engine import protocol
from slmdesk.engine.backend_base import GenerationControl
from slmdesk.engine.memory import current_rss_bytes, peak_rss_bytes
from slmdesk.engine.templates import TemplateError, TemplateSecurityError
from slmdesk.engine.types import (
    ContextOverflowError,
    EmbeddingResult,
    EngineError,
    EngineStats,
    GenerationStats,
    InvalidRequestError,
    LoadInfo,
    LoadSettings,
    Message,
    NotLoadedError,
    RuntimeInfo,
    SamplingParams,
    from_dict,
    to_dict,
)

log = logging.getLogger(__name__)

INPUT_CLOSED_GRACE_S = 1.0
"""After stdin closes (the client closed the pipe or died), the engine gets this long to stop
what it is doing and exit cleanly; then it exits hard. A load or a long prompt's prefill is
not interruptible, and an orphaned engine must not hold its memory for their duration."""

_PR_SET_PDEATHSIG = 1
"""``prctl(2)`` option (``<linux/prctl.h>``): the signal this process gets when its parent
thread ends."""


def die_with_parent(parent_pid: int | None) -> bool:
    """Make this process end at once when its parent dies; exits now if it already has.

    Linux: ``prctl(PR_SET_PDEATHSIG, SIGKILL)``, then a check that the parent is still
    ``parent_pid`` (the client may have died between our start and the ``prctl`` call; then
    we were already re-parented and no signal would come). prctl(2) ties the signal to the
    parent *thread*, so the client starts the engine from a thread that lives as long as the
    engine does (:meth:`slmdesk.engine.client.EngineClient.start`). Elsewhere nothing is armed
    here: the host exits when its stdin closes (:data:`INPUT_CLOSED_GRACE_S`).

    Returns True when the parent-death signal is armed.
    """
    armed = False
    if sys.platform.startswith("linux"):
        import ctypes
        import signal

        try:
            libc = ctypes.CDLL(None, use_errno=True)
            armed = libc.prctl(_PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0) == 0
        except (OSError, AttributeError):
            armed = False
    if parent_pid is not None and os.getppid() != parent_pid and not _alive(parent_pid):
        os._exit(1)  # the client is gone: nobody will ever read our answers
    return armed


def _alive(pid: int) -> bool:
    """Whether process ``pid`` exists (a started-through launcher sits between us and the
    client, so a different parent alone does not mean the client died)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # exists, owned by someone else
    return True


def _exit_after_grace() -> None:
    """Called when stdin closes: exit hard unless the host has exited by itself within
    :data:`INPUT_CLOSED_GRACE_S`."""

    def exit_hard() -> None:
        time.sleep(INPUT_CLOSED_GRACE_S)
        os._exit(0)

    threading.Thread(target=exit_hard, name="engine-orphan-exit", daemon=True).start()


class Backend(Protocol):
    """What the host needs from a backend (``LlamaBackend``, ``OnnxBackend``)."""

    name: str

    @property
    def loaded(self) -> str: ...

    def load(self, path: str, settings: LoadSettings) -> LoadInfo: ...

    def unload(self) -> None: ...

    def count_tokens(self, messages: list[Message]) -> int: ...

    def generate(
        self,
        messages: list[Message],
        params: SamplingParams,
        control: GenerationControl,
        on_prompt: Any,
        on_prefill: Any,
        on_text: Any,
        started: float,
        prompt_text: str | None = None,
    ) -> tuple[str, GenerationStats]: ...


def choose_backend(path: str, backend: str = "auto") -> str:
    """``"llama"`` for a GGUF file, ``"onnx"`` for a folder with ``genai_config.json``.

    Raises:
        EngineError: an unknown backend name, or a path that is neither.
    """
    if backend in ("llama", "onnx"):
        return backend
    if backend != "auto":
        raise EngineError(f"Unknown backend {backend!r}.", "Use auto, llama or onnx.")
    target = Path(path)
    if target.is_dir():
        if (target / "genai_config.json").is_file():
            return "onnx"
        raise EngineError(
            f"{target} is a folder without genai_config.json.", "Pick a GGUF file or an ONNX GenAI folder."
        )
    return "llama"


def _error_kind(error: BaseException) -> str:
    if isinstance(error, TemplateSecurityError):
        return "template_security"
    if isinstance(error, TemplateError):
        return "template"
    if isinstance(error, ContextOverflowError):
        return "context"
    if isinstance(error, NotLoadedError):
        return "not_loaded"
    if isinstance(error, InvalidRequestError):
        return "invalid_request"
    if isinstance(error, EngineError):
        return "engine"
    if isinstance(error, UserError):
        return "user"
    return "internal"


def _llama_backend() -> Backend:
    from slmdesk.engine.backend_llama import LlamaBackend

    return LlamaBackend()


def _onnx_backend() -> Backend:
    from slmdesk.engine.backend_onnx import OnnxBackend

    return OnnxBackend()


DEFAULT_BACKENDS: dict[str, Callable[[], Backend]] = {"llama": _llama_backend, "onnx": _onnx_backend}
"""Backend factories by name; each imports its inference library only when called."""


class EngineHost:
    """The request loop. ``run()`` returns the process exit code.

    Args:
        reader, writer: the protocol streams (stdin and a duplicate of stdout in the process).
        backends: backend factories by name (default :data:`DEFAULT_BACKENDS`; tests inject
            fakes).
        on_input_closed: called by the reader thread when ``reader`` ends (the client closed
            the pipe or died), after the running request was cancelled; the process entry
            point exits hard from there when the main thread stays busy.
    """

    def __init__(
        self,
        reader: BinaryIO,
        writer: BinaryIO,
        backends: Mapping[str, Callable[[], Backend]] | None = None,
        on_input_closed: Callable[[], None] | None = None,
    ) -> None:
        self._on_input_closed = on_input_closed
        self._factories = dict(backends or DEFAULT_BACKENDS)
        self._reader = reader
        self._writer = writer
        self._write_lock = threading.Lock()
        self._requests: queue.Queue[dict[str, Any] | None] = queue.Queue()
        self._control: GenerationControl | None = None
        self._control_id: int | None = None
        self._control_lock = threading.Lock()
        self._pending_cancels: set[int] = set()
        self._backend: Backend | None = None
        self._backend_kind = ""
        self._idle: dict[str, Backend] = {}
        """Backends created for a ``runtime`` question, reused by the next load of that kind."""

    # -- I/O ---------------------------------------------------------------------------

    def send(self, message: dict[str, Any]) -> None:
        """Write one message (thread-safe)."""
        data = protocol.encode(message)
        with self._write_lock:
            self._writer.write(data)
            self._writer.flush()

    def _read_loop(self) -> None:
        for line in iter(self._reader.readline, b""):
            try:
                message = protocol.decode(line)
            except protocol.ProtocolError as error:
                log.warning("ignoring a malformed request: %s", error)
                continue
            if message.get("op") == "cancel":
                self._cancel(message.get("target"))
                continue
            self._requests.put(message)
        # stdin closed: the client is gone; stop whatever runs and exit.
        self._cancel(None)
        self._requests.put(None)
        if self._on_input_closed is not None:
            self._on_input_closed()

    def _cancel(self, target: int | None) -> None:
        """Cancel request ``target`` only (whatever runs when None): at once if it runs, else
        remembered and applied the moment it starts, so a queued request ends before its
        prompt is processed (a cancel can overtake its queued generate request). Another
        request running meanwhile is left alone."""
        with self._control_lock:
            if self._control is not None and (target is None or target == self._control_id):
                self._control.cancel()
            elif target is not None:
                self._pending_cancels.add(target)

    # -- loop ----------------------------------------------------------------------------

    def run(self) -> int:
        """Serve requests until ``shutdown`` or the end of stdin."""
        threading.Thread(target=self._read_loop, name="engine-stdin", daemon=True).start()
        self.send({"id": 0, "ev": "hello", "protocol": protocol.PROTOCOL_VERSION, "pid": os.getpid()})
        while True:
            message = self._requests.get()
            if message is None:
                self._unload()
                return 0
            rid = message["id"]
            op = message.get("op")
            try:
                if op == "shutdown":
                    self._unload()
                    self.send({"id": rid, "ev": "bye"})
                    return 0
                handler = getattr(self, f"_op_{op}", None)
                if handler is None:
                    raise EngineError(f"Unknown request {op!r}.")
                handler(rid, message)
            except Exception as error:  # noqa: BLE001 - every failure becomes an error reply
                kind = _error_kind(error)
                if kind == "internal":
                    traceback.print_exc(file=sys.stderr)
                message_text = getattr(error, "message", None) or f"{type(error).__name__}: {error}"
                self.send(
                    {
                        "id": rid,
                        "ev": "error",
                        "kind": kind,
                        "message": message_text,
                        "hint": getattr(error, "hint", ""),
                    }
                )

    # -- requests ------------------------------------------------------------------------

    def _require(self) -> Backend:
        if self._backend is None or not self._backend.loaded:
            raise NotLoadedError("No model is loaded.", "Load a model first.")
        return self._backend

    def _unload(self) -> None:
        if self._backend is not None:
            self._backend.unload()
            self._backend = None
            self._backend_kind = ""

    def _op_load(self, rid: int, message: dict[str, Any]) -> None:
        path = str(message["path"])
        settings = from_dict(LoadSettings, message.get("settings") or {})
        kind = choose_backend(path, message.get("backend", "auto"))
        self._unload()
        backend = self._idle.pop(kind, None) or self._factories[kind]()
        try:
            info = backend.load(path, settings)
        except BaseException:
            backend.unload()  # e.g. loaded, then refused for a malicious chat template
            raise
        self._backend = backend
        self._backend_kind = kind
        self.send({"id": rid, "ev": "loaded", "info": to_dict(info)})

    def _op_unload(self, rid: int, _message: dict[str, Any]) -> None:
        self._unload()
        self.send({"id": rid, "ev": "unloaded"})

    def _op_stats(self, rid: int, _message: dict[str, Any]) -> None:
        backend = self._backend
        stats = EngineStats(
            pid=os.getpid(),
            rss_bytes=current_rss_bytes(),
            peak_rss_bytes=peak_rss_bytes(),
            loaded=backend.loaded if backend else "",
            backend=backend.name if backend and backend.loaded else "",
        )
        self.send({"id": rid, "ev": "stats", "stats": to_dict(stats)})

    def _op_runtime(self, rid: int, message: dict[str, Any]) -> None:
        """What a backend runs on (:class:`RuntimeInfo`); the loaded backend answers for itself,
        another is created for the question (which loads its library) and kept for later."""
        kind = str(message.get("backend") or "llama")
        if kind not in self._factories:
            raise EngineError(f"Unknown backend {kind!r}.", "Use llama or onnx.")
        backend = self._backend if self._backend is not None and self._backend_kind == kind else None
        if backend is None:
            backend = self._idle.get(kind) or self._factories[kind]()
            self._idle[kind] = backend
        runtime = getattr(backend, "runtime", None) or RuntimeInfo(engine=backend.name)
        self.send({"id": rid, "ev": "runtime", "runtime": to_dict(runtime)})

    @contextlib.contextmanager
    def _controlled(self, rid: int) -> Iterator[GenerationControl]:
        """The cancel control of request ``rid`` while it runs (a cancel that arrived before
        it started applies at once)."""
        control = GenerationControl()
        with self._control_lock:
            self._control_id = rid
            self._control = control
            if rid in self._pending_cancels:
                self._pending_cancels.discard(rid)
                control.cancel()
        try:
            yield control
        finally:
            with self._control_lock:
                self._control = None
                self._control_id = None

    def _op_count_tokens(self, rid: int, message: dict[str, Any]) -> None:
        count = self._require().count_tokens(list(message["messages"]))
        self.send({"id": rid, "ev": "count", "prompt_tokens": count})

    def _op_generate(self, rid: int, message: dict[str, Any]) -> None:
        started = time.perf_counter()
        backend = self._require()
        params = from_dict(SamplingParams, message.get("params") or {})
        send = self.send
        with self._controlled(rid) as control:
            text, stats = backend.generate(
                list(message["messages"]),
                params,
                control,
                on_prompt=lambda n, dropped: send(
                    {"id": rid, "ev": "prompt", "prompt_tokens": n, "dropped_messages": list(dropped)}
                ),
                on_prefill=lambda done, total: send({"id": rid, "ev": "prefill", "done": done, "total": total}),
                on_text=lambda text: send({"id": rid, "ev": "token", "text": text}),
                started=started,
                prompt_text=message.get("prompt"),
            )
        self.send({"id": rid, "ev": "done", "text": text, "stats": to_dict(stats)})

    def _op_embed(self, rid: int, message: dict[str, Any]) -> None:
        """Embeddings of ``inputs`` (the backend's ``embed`` method, llama.cpp only);
        cancellable like ``generate``.

        Raises:
            InvalidRequestError: the backend cannot embed (ONNX), or an input is empty or not
                text or token ids.
        """
        backend = self._require()
        embed = getattr(backend, "embed", None)
        if embed is None:
            raise InvalidRequestError(f"The {backend.name} backend cannot compute embeddings.",
                                      "Embeddings need a GGUF model (llama.cpp).")
        inputs = message.get("inputs")
        if not isinstance(inputs, list) or not inputs:
            raise InvalidRequestError("An embed request needs a non-empty list of inputs.")
        send = self.send
        with self._controlled(rid) as control:
            result: EmbeddingResult = embed(
                inputs, control, lambda done, total: send({"id": rid, "ev": "embed_progress", "done": done,
                                                           "total": total}),
            )
        self.send({"id": rid, "ev": "embeddings", "result": to_dict(result)})

    def _op_bench(self, rid: int, message: dict[str, Any]) -> None:
        """llama-bench's pp/tg tests on the loaded model (the backend's ``bench`` method);
        cancellable like ``generate``."""
        from slmdesk.engine.bench_base import BenchCancelled
        from slmdesk.engine.types import BenchReport, BenchRequest

        backend = self._require()
        bench = getattr(backend, "bench", None)
        if bench is None:
            raise EngineError(f"The {backend.name} backend cannot run benchmarks.")
        request = from_dict(BenchRequest, message.get("request") or {})
        send = self.send
        with self._controlled(rid) as control:
            try:
                report: BenchReport = bench(
                    request,
                    control,
                    lambda done, total, text: send(
                        {"id": rid, "ev": "bench_progress", "done": done, "total": total, "message": text}
                    ),
                )
            except BenchCancelled:
                report = BenchReport(backend.name, "", 0, 0, 0, 0, request.flash_attn, cancelled=True)
        self.send({"id": rid, "ev": "bench", "report": to_dict(report)})


def main() -> int:
    """Entry point of ``slmdesk engine-host``: serve the protocol on stdin/stdout, and die with
    the client (:func:`die_with_parent`; hard exit :data:`INPUT_CLOSED_GRACE_S` after stdin
    closes). The network guard is on before any backend loads: started as ``slmdesk engine-host``
    the command line installed it with the user's offline mode; started any other way, it is
    installed here with the offline mode the parent passed down (``SLMDESK_OFFLINE``)."""
    from slmdesk.core import netguard, offline

    if netguard.current() is None:
        offline.apply_network_policy(False, process="slmdesk engine-host")
    parent = os.environ.get(protocol.PARENT_ENV, "")
    die_with_parent(int(parent) if parent.isdigit() else None)
    sys.stdout.flush()
    protocol_fd = os.dup(1)
    os.dup2(2, 1)  # stray native printf output goes to the log, never into the protocol
    sys.stdout = sys.stderr
    writer = os.fdopen(protocol_fd, "wb", buffering=0)
    reader = sys.stdin.buffer
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr, format="engine: %(levelname)s %(name)s: %(message)s")
    return EngineHost(reader, writer, on_input_closed=_exit_after_grace).run()
