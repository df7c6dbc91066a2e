"""The client side of the engine: starts the engine process and talks to it. Plain Python, no Qt.

Used by ``jobs/`` (the Chat pane), the CLI, the benchmark and the API server (which may share
the Chat pane's client). One client owns at most one engine process. Requests are serialized
(one at a time, first come first served: a second caller waits its turn); ``cancel()`` is the
exception: it never waits, so a GUI thread can stop a reply that a worker thread is iterating.
A caller that shares the client reserves its request's id first
(:meth:`EngineClient.new_request_id`) and cancels by that id, which stops its own request and
nobody else's. When the engine process dies, the pending call raises :class:`EngineCrashed`
naming what it was doing and how it ended; ``start()`` + ``load()`` (or just ``load()``)
bring it back.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import queue
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Generator, Iterator, Sequence
from pathlib import Path
from typing import IO, Any

from slmdesk.core.errors import Cancelled, UserError
from slmdesk.engine import protocol
from slmdesk.engine.load_errors import crash_hint
from slmdesk.engine.process import FairLock, Timeouts, describe_exit, host_command, spawn
from slmdesk.engine.templates import TemplateError, TemplateSecurityError
from slmdesk.engine.types import (
    BenchProgress,
    BenchReport,
    BenchRequest,
    ContextOverflowError,
    Done,
    EmbeddingResult,
    EngineCrashed,
    EngineError,
    EngineStats,
    EngineTimeout,
    Event,
    GenerationStats,
    InvalidRequestError,
    LoadInfo,
    LoadSettings,
    Message,
    ModelChangedError,
    NotLoadedError,
    Prefill,
    PromptReady,
    RuntimeInfo,
    SamplingParams,
    Token,
    from_dict,
    to_dict,
)

_ERRORS: dict[str, type[UserError]] = {
    "template_security": TemplateSecurityError,
    "template": TemplateError,
    "context": ContextOverflowError,
    "not_loaded": NotLoadedError,
    "invalid_request": InvalidRequestError,
    "engine": EngineError,
    "user": UserError,
    "internal": EngineError,
}

_EOF = object()


class EngineClient:
    """A handle on one engine process.

    Args:
        command: the argv that starts the host (default :func:`host_command`).
        env: extra environment variables for the engine process.
        log_path: a file that receives the engine's stderr (llama.cpp's log), appended to.
        timeouts: see :class:`Timeouts`.
        stderr_lines: how many stderr lines to keep for crash reports.

    Thread safety: one thread iterates :meth:`generate` while another may call
    :meth:`cancel`; all other calls are serialized in the order they were made (:class:`FairLock`;
    a call made while a reply streams waits up to ``timeouts.request_s``, then raises
    :class:`EngineError`). Several users may share one client (the Chat pane and the API
    server): each reserves its request's id with :meth:`new_request_id`, passes it as
    ``request_id`` and cancels with ``cancel(request_id)``; passing ``model`` makes a request
    fail with :class:`ModelChangedError` instead of running on a model another user loaded.
    """

    def __init__(
        self,
        command: Sequence[str] | None = None,
        env: dict[str, str] | None = None,
        log_path: Path | None = None,
        timeouts: Timeouts = Timeouts(),
        stderr_lines: int = 200,
    ) -> None:
        self._command = list(command) if command else host_command()
        self._env = dict(env or {})
        self._log_path = log_path
        self.timeouts = timeouts
        self._stderr: deque[str] = deque(maxlen=stderr_lines)
        self._process: subprocess.Popen[bytes] | None = None
        self._inbox: queue.Queue[Any] = queue.Queue()
        self._threads: list[threading.Thread] = []
        self._write_lock = threading.Lock()
        self._request_lock = FairLock()
        self._ids = itertools.count(1)
        self._state_lock = threading.Lock()
        self._generating: int | None = None
        self._reserved: set[int] = set()
        """Ids handed out by :meth:`new_request_id` whose request has not been sent yet."""
        self._cancel_on_send: set[int] = set()
        """Reserved ids cancelled before their request was sent."""
        self._model_name = ""
        self.pid: int | None = None
        self.load_info: LoadInfo | None = None

    # -- process lifecycle ---------------------------------------------------------------

    @property
    def running(self) -> bool:
        """True while the engine process is alive."""
        return self._process is not None and self._process.poll() is None

    def start(self) -> None:
        """Start the engine process and wait for it to be ready (no-op if it runs).

        The engine dies with this process: it arms a parent-death signal on Linux
        (:func:`slmdesk.engine.host.die_with_parent`; started from a thread that lives as long
        as the engine, :func:`slmdesk.engine.process.spawn`, so any thread may call this) and
        exits soon after its stdin closes everywhere.

        Raises:
            EngineError: the process cannot be started.
            EngineCrashed: it exited during start-up.
            EngineTimeout: it did not greet within ``timeouts.start_s``.
        """
        if self.running:
            return
        self._reap()
        env = dict(os.environ)
        env.update(self._env)
        env["ORT_DISABLE_TELEMETRY"] = "1"  # onnxruntime(-genai): off before anything loads
        if not getattr(sys, "frozen", False):
            package_root = str(Path(__file__).resolve().parents[2])
            env["PYTHONPATH"] = os.pathsep.join(p for p in (package_root, env.get("PYTHONPATH", "")) if p)
        kwargs: dict[str, Any] = {}
        if sys.platform == "win32":
            kwargs["creationflags"] = subprocess.CREATE_NEW_PROCESS_GROUP | subprocess.CREATE_NO_WINDOW
        else:
            kwargs["start_new_session"] = True  # Ctrl-C in a terminal reaches the parent only
        env[protocol.PARENT_ENV] = str(os.getpid())  # the engine exits at once if we are already gone
        self._stderr.clear()
        self._inbox = queue.Queue()
        try:
            process, parent_thread = spawn(
                self._command,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                env=env,
                bufsize=0,
                **kwargs,
            )
        except OSError as error:
            raise EngineError(f"Cannot start the engine process: {error}.") from error
        self._process = process
        self.pid = process.pid
        assert process.stdout is not None and process.stderr is not None
        self._threads = [
            threading.Thread(
                target=self._read_stdout, args=(process.stdout, self._inbox), name="engine-out", daemon=True
            ),
            threading.Thread(target=self._read_stderr, args=(process.stderr,), name="engine-err", daemon=True),
        ]
        for thread in self._threads:
            thread.start()
        if parent_thread is not None:
            self._threads.append(parent_thread)
        self._wait(0, self.timeouts.start_s, "starting")

    def close(self, timeout_s: float = 5.0) -> None:
        """Stop the engine: ask it to exit, then terminate, then kill. Safe to call twice."""
        process = self._process
        if process is None:
            return
        if process.poll() is None:
            with contextlib.suppress(OSError, ValueError):
                self._write({"id": next(self._ids), "op": "shutdown"})
                assert process.stdin is not None
                process.stdin.close()
            try:
                process.wait(timeout_s)
            except subprocess.TimeoutExpired:
                process.terminate()
                try:
                    process.wait(timeout_s)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
        self._reap()

    def __enter__(self) -> EngineClient:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def _reap(self) -> None:
        process = self._process
        if process is None:
            return
        for stream in (process.stdin, process.stdout, process.stderr):
            with contextlib.suppress(OSError, ValueError):
                if stream is not None:
                    stream.close()
        for thread in self._threads:
            thread.join(2.0)
        self._threads = []
        self._process = None
        self.load_info = None

    def stderr_tail(self, lines: int = 20) -> str:
        """The engine's last ``lines`` stderr lines (llama.cpp's log)."""
        return "\n".join(list(self._stderr)[-lines:])

    # -- reader threads ------------------------------------------------------------------

    def _read_stdout(self, stream: IO[bytes], inbox: queue.Queue[Any]) -> None:
        try:
            for line in iter(stream.readline, b""):
                try:
                    inbox.put(protocol.decode(line))
                except protocol.ProtocolError as error:
                    self._stderr.append(f"[slmdesk] {error}")
        except (OSError, ValueError):
            pass
        inbox.put(_EOF)

    def _read_stderr(self, stream: IO[bytes]) -> None:
        log = None
        if self._log_path is not None:
            with contextlib.suppress(OSError):
                self._log_path.parent.mkdir(parents=True, exist_ok=True)
                log = self._log_path.open("a", encoding="utf-8")
        try:
            for raw in iter(stream.readline, b""):
                line = raw.decode("utf-8", errors="replace").rstrip("\n")
                self._stderr.append(line)
                if log is not None:
                    log.write(line + "\n")
                    log.flush()
        except (OSError, ValueError):
            pass
        finally:
            if log is not None:
                log.close()

    # -- plumbing ----------------------------------------------------------------------

    def _write(self, message: dict[str, Any]) -> None:
        process = self._process
        if process is None or process.stdin is None:
            raise BrokenPipeError("engine not running")
        data = protocol.encode(message)
        with self._write_lock:
            process.stdin.write(data)
            process.stdin.flush()

    def _activity(self, what: str, preposition: str = "") -> str:
        """``"generating a reply with model.gguf"``, or just the verb when no model is known."""
        if not self._model_name:
            return what
        return f"{what} {preposition} {self._model_name}" if preposition else f"{what} {self._model_name}"

    def _crashed(self, activity: str) -> EngineCrashed:
        """Build the error for a dead engine (waits briefly for its exit status and log)."""
        process = self._process
        returncode = None
        if process is not None:
            try:
                returncode = process.wait(5.0)
            except subprocess.TimeoutExpired:
                process.kill()
                returncode = process.wait()
        for thread in self._threads:
            thread.join(2.0)
        tail = self.stderr_tail(8)
        self._reap()
        hint = "Load the model again to continue; the conversation is kept."
        memory = crash_hint(tail)
        if memory:
            hint = f"{memory} {hint}"
        if tail:
            hint = f"{hint}\nLast engine messages:\n{tail}"
        return EngineCrashed(
            f"The engine stopped while {activity}: {describe_exit(returncode)}.",
            hint,
            returncode=returncode,
            stderr_tail=tail,
        )

    def _timed_out(self, activity: str, timeout_s: float) -> EngineTimeout:
        process = self._process
        if process is not None and process.poll() is None:
            process.kill()
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(5.0)
        tail = self.stderr_tail(8)
        self._reap()
        hint = (
            "It was stopped. Load the model again (with a smaller context or fewer GPU layers if it keeps happening)."
        )
        if tail:
            hint = f"{hint}\nLast engine messages:\n{tail}"
        return EngineTimeout(f"The engine did not answer for {timeout_s:g} s while {activity}.", hint)

    def _wait(self, rid: int, timeout_s: float, activity: str) -> dict[str, Any]:
        """The next message for request ``rid``; stale messages of earlier requests are skipped.

        Raises:
            EngineCrashed, EngineTimeout, and the mapped error of an ``error`` reply.
        """
        deadline = time.monotonic() + timeout_s
        while True:
            remaining = deadline - time.monotonic()
            try:
                message = self._inbox.get(timeout=max(0.0, remaining))
            except queue.Empty:
                raise self._timed_out(activity, timeout_s) from None
            if message is _EOF:
                raise self._crashed(activity)
            if message.get("id") != rid:
                continue
            if message.get("ev") == "error":
                error_type = _ERRORS.get(message.get("kind", ""), EngineError)
                raise error_type(message.get("message", "The engine reported an error."), message.get("hint", ""))
            reply: dict[str, Any] = message
            return reply

    @contextlib.contextmanager
    def _exclusive(self) -> Iterator[None]:
        """Hold the request lock; a caller that would wait longer than ``timeouts.request_s``
        (a reply is streaming) gets an error instead of freezing."""
        if not self._request_lock.acquire(timeout=self.timeouts.request_s):
            raise EngineError(
                "The engine is busy with another request (a reply is being generated).",
                "Wait for the reply to finish, or stop it.",
            )
        try:
            yield
        finally:
            self._request_lock.release()

    def _require_running(self, activity: str, not_running: UserError) -> None:
        """Raise ``EngineCrashed`` if the engine died, ``not_running`` if it never started."""
        if not self.running:
            if self._process is not None:
                raise self._crashed(activity)
            raise not_running

    def _send(self, op: str, activity: str, rid: int | None = None, cancellable: bool = False,
              **fields: Any) -> int:
        """Write one request (call with the request lock held) as ``rid`` (a reserved id, else
        a new one); return its id. A ``cancellable`` request becomes the one :meth:`cancel`
        stops; a cancel that came for ``rid`` before it was sent follows it at once."""
        rid = next(self._ids) if rid is None else rid
        failed = False
        with self._state_lock:  # a cancel naming rid comes before or after both steps, never between
            self._reserved.discard(rid)
            cancel_now = rid in self._cancel_on_send
            self._cancel_on_send.discard(rid)
            try:
                self._write({"id": rid, "op": op, **fields})
                if cancel_now:
                    self._write({"id": next(self._ids), "op": "cancel", "target": rid})
            except (OSError, ValueError):
                failed = True
            if cancellable and not failed:
                self._generating = rid
        if failed:
            raise self._crashed(activity)
        return rid

    def _forget(self, rid: int | None) -> None:
        """Drop a reserved id whose request ended (or will never be sent)."""
        if rid is None:
            return
        with self._state_lock:
            self._reserved.discard(rid)
            self._cancel_on_send.discard(rid)
            if self._generating == rid:
                self._generating = None

    def _check_model(self, model: str | os.PathLike[str] | None) -> None:
        """Raise :class:`ModelChangedError` unless ``model`` (None: any) is the loaded model;
        called with the request lock held, so no load can come between the check and the
        request."""
        if model is None:
            return
        info = self.load_info
        if info is None or Path(info.path) != Path(model).expanduser().absolute():
            name = Path(model).name
            raise ModelChangedError(
                f"{name} is no longer loaded in this engine.",
                "Another user of the engine (the Chat pane) loaded another model or unloaded it.",
            )

    def new_request_id(self) -> int:
        """Reserve the id of a request about to be made (pass it as ``request_id``), so that
        :meth:`cancel` can name it even before it is sent (while it waits for the engine)."""
        with self._state_lock:
            rid = next(self._ids)
            self._reserved.add(rid)
        return rid

    def _request(self, op: str, activity: str, timeout_s: float, *, model: str | os.PathLike[str] | None = None,
                 **fields: Any) -> dict[str, Any]:
        """Send one request and wait for its reply (``model``: see :meth:`_check_model`)."""
        self._require_running(activity, EngineError("The engine is not running.", "Load a model first."))
        with self._exclusive():
            self._check_model(model)
            rid = self._send(op, activity, **fields)
            return self._wait(rid, timeout_s, activity)

    # -- API -------------------------------------------------------------------------------

    def load(
        self, path: str | os.PathLike[str], settings: LoadSettings = LoadSettings(), backend: str = "auto"
    ) -> LoadInfo:
        """Load a GGUF file (llama.cpp) or an ONNX GenAI folder; starts the engine if needed.

        A loaded model is replaced. Returns what the engine measured and found.

        Raises:
            EngineError: the file cannot be loaded (corrupt, truncated, unsupported).
            TemplateSecurityError: the model's chat template reaches for Python internals.
            EngineCrashed: the engine died while loading (native abort, out of memory).
            EngineTimeout: the load took longer than ``timeouts.load_s``.
        """
        target = Path(path).expanduser().absolute()
        self.start()
        activity = f"loading {target.name}"
        self._require_running(activity, EngineError("The engine is not running.", "Load a model first."))
        with self._exclusive():  # load_info changes under the lock: a request naming its model sees it
            self.load_info = None  # the host unloads first; a failed load leaves nothing loaded
            self._model_name = target.name
            rid = self._send("load", activity, path=str(target), settings=to_dict(settings), backend=backend)
            reply = self._wait(rid, self.timeouts.load_s, activity)
            info: LoadInfo = from_dict(LoadInfo, reply["info"])
            self.load_info = info
        return info

    def generate(self, messages: Sequence[Message], params: SamplingParams = SamplingParams(), *,
                 request_id: int | None = None, model: str | os.PathLike[str] | None = None) -> Iterator[Event]:
        """Stream one reply: :class:`PromptReady`, then :class:`Prefill` (long prompts only),
        :class:`Token` events, then :class:`Done`.

        Nothing is sent until iteration starts. Stopping the iteration early (``break``,
        ``close()``) cancels the reply and waits for the engine to finish it. ``request_id``:
        an id from :meth:`new_request_id` (for ``cancel(request_id)``); ``model``: the model
        file the reply must come from.

        Raises (during iteration):
            ModelChangedError (``model`` is not the loaded model), NotLoadedError,
            TemplateError, ContextOverflowError, EngineError, EngineCrashed, EngineTimeout.
        """
        payload = [{"role": m["role"], "content": m["content"]} for m in messages]
        return self._stream(self._activity("generating a reply", "with"), params, request_id, model,
                            messages=payload)

    def complete(self, prompt: str, params: SamplingParams = SamplingParams(), *,
                 request_id: int | None = None, model: str | os.PathLike[str] | None = None) -> Iterator[Event]:
        """Stream the model's continuation of ``prompt`` (completion mode: no chat template,
        the text as written; a text longer than the context keeps its end). Arguments, events
        and errors as :meth:`generate` (``PromptReady.dropped_messages`` is ``(0,)`` when the
        beginning was cut)."""
        return self._stream(self._activity("continuing the text", "with"), params, request_id, model,
                            messages=[], prompt=prompt)

    def _stream(self, activity: str, params: SamplingParams, request_id: int | None,
                model: str | os.PathLike[str] | None, **fields: Any) -> Iterator[Event]:
        """The ``generate`` request and its events (see :meth:`generate`)."""
        try:
            self._require_running(activity, NotLoadedError("No model is loaded.", "Load a model first."))
            with self._exclusive():
                self._check_model(model)
                yield from self._events(activity, params, request_id, **fields)
        finally:
            self._forget(request_id)

    def _events(self, activity: str, params: SamplingParams, request_id: int | None,
                **fields: Any) -> Iterator[Event]:
        """Send the ``generate`` request and yield its events (the request lock held)."""
        rid = self._send("generate", activity, request_id, cancellable=True, params=to_dict(params), **fields)
        finished = False
        try:
            while True:
                message = self._wait(rid, self.timeouts.idle_s, activity)
                event = message["ev"]
                if event == "token":
                    yield Token(message["text"])
                elif event == "prompt":
                    yield PromptReady(message["prompt_tokens"], tuple(message.get("dropped_messages", ())))
                elif event == "prefill":
                    yield Prefill(message["done"], message["total"])
                elif event == "done":
                    finished = True
                    yield Done(message["text"], from_dict(GenerationStats, message["stats"]))
                    return
        except (EngineCrashed, EngineTimeout):
            finished = True
            raise
        except UserError:
            finished = True  # an error reply ends the request
            raise
        finally:
            self._forget(rid)
            if not finished and self.running:
                self._drain(rid, activity)

    def _drain(self, rid: int, activity: str, end: str = "done") -> None:
        """The consumer stopped early: cancel and read until the request's last event
        (``end``: "done" for a reply, "bench" for a benchmark)."""
        with contextlib.suppress(OSError, ValueError):
            self._write({"id": next(self._ids), "op": "cancel", "target": rid})
        with contextlib.suppress(UserError):
            while self._wait(rid, self.timeouts.idle_s, activity)["ev"] != end:
                pass

    def chat(self, messages: Sequence[Message], params: SamplingParams = SamplingParams()) -> Done:
        """Generate one reply and return its :class:`Done` event (text and stats)."""
        done: Done | None = None
        for event in self.generate(messages, params):
            if isinstance(event, Done):
                done = event
        assert done is not None
        return done

    def cancel(self, request_id: int | None = None) -> None:
        """Stop a reply (or embeddings, a benchmark) within one token. Never blocks.

        ``request_id`` None: whatever is running now (no-op when idle). Else only the request
        with that id (:meth:`new_request_id`): stopped if it runs, stopped the moment it is sent
        if it still waits for the engine, nothing if it has ended; another user's request on a
        shared client is never touched. The iterating thread then receives :class:`Done` with
        ``finish_reason == "cancelled"``.
        """
        with self._state_lock:
            if request_id is None:
                rid = self._generating
            elif request_id in self._reserved:
                self._cancel_on_send.add(request_id)
                return
            else:
                rid = request_id if request_id == self._generating else None
            if rid is None:
                return
            with contextlib.suppress(OSError, ValueError):
                self._write({"id": next(self._ids), "op": "cancel", "target": rid})

    def embed(self, inputs: Sequence[str | Sequence[int]], *, request_id: int | None = None,
              model: str | os.PathLike[str] | None = None) -> EmbeddingResult:
        """Embeddings of ``inputs`` (texts, or token ids) from the loaded model, one
        L2-normalized float32 vector per input (:class:`EmbeddingResult`); llama.cpp only.
        :meth:`cancel` (from any thread) stops it between two inputs or batches;
        ``request_id`` and ``model`` as in :meth:`generate`.

        The engine computes them on the model's own context (the chat's KV cache is cleared,
        so the next reply evaluates its whole prompt again); see
        :mod:`slmdesk.engine.embed_llama` for the pooling.

        Raises:
            Cancelled: :meth:`cancel` was called.
            ModelChangedError, NotLoadedError, ContextOverflowError (an input longer than the context allows),
            EngineError (ONNX models, empty inputs, token ids outside the vocabulary),
            EngineCrashed, EngineTimeout.
        """
        activity = self._activity("computing embeddings", "with")
        self._require_running(activity, NotLoadedError("No model is loaded.", "Load a model first."))
        payload = [item if isinstance(item, str) else [int(t) for t in item] for item in inputs]
        try:
            with self._exclusive():
                self._check_model(model)
                rid = self._send("embed", activity, request_id, cancellable=True, inputs=payload)
                while True:  # progress events keep the idle timeout from firing on long requests
                    message = self._wait(rid, self.timeouts.idle_s, activity)
                    if message["ev"] == "embeddings":
                        result: EmbeddingResult = from_dict(EmbeddingResult, message["result"])
                        if result.cancelled:
                            raise Cancelled("embeddings cancelled")
                        return result
        finally:
            self._forget(request_id)

    def count_tokens(self, messages: Sequence[Message], *, model: str | os.PathLike[str] | None = None) -> int:
        """Prompt tokens for ``messages`` rendered with the model's template (as :meth:`generate`
        would send them, before any dropping), for the running token count in the UI.

        Raises:
            ModelChangedError: ``model`` (None: any) is not the loaded model.
            NotLoadedError, TemplateError, EngineError, EngineCrashed, EngineTimeout.
        """
        payload = [{"role": m["role"], "content": m["content"]} for m in messages]
        reply = self._request("count_tokens", self._activity("counting tokens", "with"), self.timeouts.request_s,
                              model=model, messages=payload)
        return int(reply["prompt_tokens"])

    def unload(self) -> None:
        """Free the loaded model; the engine process stays up for the next load."""
        if self.running:
            activity = self._activity("unloading")
            with self._exclusive():
                rid = self._send("unload", activity)
                self._wait(rid, self.timeouts.request_s, activity)
                self.load_info = None
                self._model_name = ""
        self.load_info = None
        self._model_name = ""

    def stats(self) -> EngineStats:
        """The engine process's memory and what it has loaded."""
        reply = self._request("stats", self._activity("reporting stats", "for"), self.timeouts.request_s)
        stats: EngineStats = from_dict(EngineStats, reply["stats"])
        return stats

    def runtime(self, backend: str = "llama") -> RuntimeInfo:
        """What ``backend`` (``"llama"`` or ``"onnx"``) runs on in the engine process: for
        llama.cpp the CPU variant loaded, its features, repacking, GPU backends and notes (with
        the loaded model's buffer types when that backend has a model loaded). Starts the
        engine if needed; nothing is loaded.

        Raises:
            EngineError: the backend's library cannot be imported.
            EngineCrashed: the engine died while loading the library.
        """
        self.start()
        reply = self._request("runtime", self._activity("reporting its runtime", "for"), self.timeouts.load_s,
                              backend=backend)
        return RuntimeInfo.from_dict(reply["runtime"])

    def bench(self, request: BenchRequest = BenchRequest()) -> Generator[BenchProgress, None, BenchReport]:
        """Run llama-bench's pp/tg tests on the loaded model; yields :class:`BenchProgress`
        (after each warm-up and repetition) and returns the :class:`BenchReport`.

        :meth:`cancel` (from any thread) stops it between two model calls. Stopping the
        iteration early cancels it too and waits for the engine to finish.

        Raises (during iteration):
            Cancelled: the benchmark was cancelled.
            NotLoadedError, EngineError, EngineCrashed, EngineTimeout.
        """
        activity = self._activity("benchmarking")
        self._require_running(activity, NotLoadedError("No model is loaded.", "Load a model first."))
        with self._exclusive():
            rid = self._send("bench", activity, cancellable=True, request=to_dict(request))
            finished = False
            try:
                while True:
                    message = self._wait(rid, self.timeouts.idle_s, activity)
                    if message["ev"] == "bench_progress":
                        yield BenchProgress(message["done"], message["total"], message.get("message", ""))
                    elif message["ev"] == "bench":
                        finished = True
                        report = BenchReport.from_dict(message["report"])
                        if report.cancelled:
                            raise Cancelled("benchmark cancelled")
                        return report
            except (UserError, Cancelled):
                finished = True
                raise
            finally:
                self._forget(rid)
                if not finished and self.running:
                    self._drain(rid, activity, "bench")
