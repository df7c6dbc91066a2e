"""The serving benchmark: streamed requests against an OpenAI-compatible endpoint, vLLM's figures.

For each concurrency level (and the request rate) of :class:`ServingSettings`, ``num_requests``
streamed requests are sent with asyncio and ``httpx2`` (at most ``concurrency`` in flight; with a
finite rate, arrivals are a seeded Poisson process as in vLLM's ``get_request``), after one
warm-up request. Each request is timed as vLLM ``endpoint_request_func.py`` does (TTFT, one
inter-token latency per streamed chunk, end-to-end latency, ``usage.completion_tokens``), and
each run's figures come from :func:`slmdesk.bench.serving_stats.calculate_metrics`.

Output length: requests ask for ``max_tokens`` and, unless ``ignore_eos`` is off, send vLLM's and
llama.cpp server's ``ignore_eos: true`` and ``min_tokens = max_tokens`` (llama-cpp-python's server
and vLLM), so that a server which honours one of them writes exactly ``max_tokens``. slmdesk's own
server ignores both: the actual output lengths (from ``usage``) are what is recorded and used,
and a run notes how many replies stopped before ``max_tokens``. If the warm-up request is refused
with HTTP 400 while those fields are sent (OpenAI's own API rejects unknown fields), the run
continues without them and says so.

Prompt lengths: synthetic prompts are made of common English words, one word taken as one
token (an approximation: no tokenizer is loaded on this side, and slmdesk's server has no
tokenize route); the input tokens counted in the figures are the server's ``usage.prompt_tokens``
(chat template included) when it reports them, else that approximation. A dataset file (JSONL
with ``prompt``/``text`` and optional ``output_len``, or plain text, one prompt per line) gives
real prompts instead, drawn with the seed.

The API key is sent as a bearer token and never stored: settings keep the URL without
credentials.
"""

from __future__ import annotations

import asyncio
import json
import math
import random
import time
from collections.abc import Callable, Generator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from slmdesk.bench.serving_stats import RequestOutcome, ServingMetrics, calculate_metrics
from slmdesk.core.errors import Cancelled, UserError
from slmdesk.core.tasks import CancelToken, Progress
from slmdesk.inventory import benchmarks
from slmdesk.inventory.benchmarks import SERVING_BACKEND, BenchmarkRunRecord
from slmdesk.inventory.repository import Inventory

ENDPOINTS = ("chat", "completions")
"""``chat`` streams ``/chat/completions``; ``completions`` streams ``/completions`` (raw prompt)."""

_WORD_TEXT = (
    "time year people way day man thing woman life child world school state family student group "
    "country problem hand part place case week company system program question work government number "
    "night point home water room mother area money story fact month lot right study book eye job word "
    "business issue side kind head house service friend father power hour game line end member law car "
    "city community name president team minute idea kid body information back parent face others level "
    "office door health person art war history party result change morning reason research girl guy "
    "moment air teacher force education"
)
WORDS = tuple(_WORD_TEXT.split())
"""Common English words, each one token in the BPE vocabularies of small models (GPT-2, Llama,
SmolLM2): the filler of synthetic prompts."""

INSTRUCTION = "Write a long story that uses these words:"
"""Opens every synthetic prompt, so that a chat model writes past ``max_tokens``."""


def clean_url(url: str) -> str:
    """``url`` without credentials, query, fragment or trailing slash (how it is shown and stored).

    Raises:
        UserError: not an http(s) URL with a host.
    """
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UserError(f"{url!r} is not an http(s) URL.", "Give the /v1 base URL, e.g. http://127.0.0.1:8080/v1.")
    host = parts.hostname if ":" not in parts.hostname else f"[{parts.hostname}]"
    netloc = host + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, netloc, parts.path.rstrip("/"), "", ""))


@dataclass(frozen=True)
class ServingSettings:
    """A serving benchmark as asked for (``slmdesk serve-bench`` options, the Serving tab).

    Attributes:
        base_url: the OpenAI ``/v1`` base URL (stored without credentials).
        model: the model id sent in each request.
        concurrency: levels to sweep (most requests in flight at once); each is one run.
        request_rate: requests per second (Poisson arrivals); ``inf`` sends all at once, limited
            only by ``concurrency`` (vLLM's default).
        num_requests: requests per run, after the warm-up.
        input_len: words of a synthetic prompt (≈ tokens); ignored with a dataset.
        output_len: ``max_tokens`` of each request (a dataset line may give its own).
        dataset: a JSONL or text file of prompts, "" for synthetic prompts.
        endpoint: "chat" or "completions".
        ignore_eos: ask the server to write ``max_tokens`` whatever the model says.
        seed: seed of prompts, dataset draws and arrival times.
        timeout_s: seconds one request may take.

    Raises:
        UserError: invalid values (the message names the field).
    """

    base_url: str
    model: str
    concurrency: tuple[int, ...] = (1, 2, 4)
    request_rate: float = math.inf
    num_requests: int = 16
    input_len: int = 128
    output_len: int = 64
    dataset: str = ""
    endpoint: str = "chat"
    ignore_eos: bool = True
    seed: int = 0
    timeout_s: float = 600.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "base_url", clean_url(self.base_url))
        object.__setattr__(self, "concurrency", tuple(int(c) for c in self.concurrency))
        if not self.model.strip():
            raise UserError("Give the model id to benchmark.", "See the ids the server lists at /v1/models.")
        if not self.concurrency or any(c < 1 for c in self.concurrency):
            raise UserError("Concurrency levels must be at least 1.", "For example 1,2,4,8.")
        if not self.request_rate > 0:
            raise UserError("The request rate must be positive (requests per second), or inf.")
        if self.num_requests < 1:
            raise UserError("Send at least one request per level.")
        if self.input_len < 1 or self.output_len < 1:
            raise UserError("Input and output lengths must be at least 1 token.")
        if self.endpoint not in ENDPOINTS:
            raise UserError(f"Unknown endpoint {self.endpoint!r}.", "Use chat or completions.")
        if not self.timeout_s > 0:
            raise UserError("The request timeout must be positive.")

    @property
    def rate_label(self) -> str:
        """``"inf"`` or ``"2.5/s"``."""
        return "inf" if math.isinf(self.request_rate) else f"{self.request_rate:g}/s"

    @property
    def lengths_label(self) -> str:
        """``"in 128 / out 64"``, or ``"dataset prompts.jsonl / out 64"``."""
        source = f"dataset {Path(self.dataset).name}" if self.dataset else f"in {self.input_len}"
        return f"{source} / out {self.output_len}"

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict; the rate is a string "inf" when unbounded (JSON has no infinity)."""
        return {
            "url": self.base_url, "model": self.model, "concurrency": list(self.concurrency),
            "rate": "inf" if math.isinf(self.request_rate) else self.request_rate,
            "num_requests": self.num_requests, "input_len": self.input_len, "output_len": self.output_len,
            "dataset": self.dataset, "endpoint": self.endpoint, "ignore_eos": self.ignore_eos, "seed": self.seed,
            "timeout_s": self.timeout_s,
        }

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> ServingSettings:
        """Inverse of :meth:`to_json` (missing keys take their defaults).

        Raises:
            UserError, KeyError, ValueError: a malformed record.
        """
        rate = raw.get("rate", "inf")
        return cls(
            base_url=str(raw["url"]), model=str(raw["model"]),
            concurrency=tuple(int(c) for c in raw.get("concurrency") or (1,)),
            request_rate=math.inf if rate in ("inf", None) else float(rate),
            num_requests=int(raw.get("num_requests", 16)), input_len=int(raw.get("input_len", 128)),
            output_len=int(raw.get("output_len", 64)), dataset=str(raw.get("dataset", "")),
            endpoint=str(raw.get("endpoint", "chat")), ignore_eos=bool(raw.get("ignore_eos", True)),
            seed=int(raw.get("seed", 0)), timeout_s=float(raw.get("timeout_s", 600.0)),
        )


# -- prompts ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class PromptItem:
    """One request's prompt, its approximate length in tokens and its ``max_tokens``."""

    text: str
    approx_tokens: int
    output_len: int


def synthetic_prompt(n_words: int, rng: random.Random) -> str:
    """:data:`INSTRUCTION` and ``n_words`` common words drawn with ``rng`` (≈ ``n_words`` tokens
    plus the instruction's 8 words); a different draw per request keeps a prefix cache from serving it."""
    return INSTRUCTION + " " + " ".join(rng.choice(WORDS) for _ in range(n_words))


def read_dataset(path: Path) -> list[tuple[str, int | None]]:
    """Prompts of a dataset file: ``(prompt, output_len or None)`` per item.

    JSONL (``.jsonl``/``.json`` lines): objects with ``prompt`` or ``text`` (or ShareGPT's
    ``conversations[0].value``) and optional ``output_len``/``max_tokens``; any other file: one
    prompt per non-empty line.

    Raises:
        UserError: unreadable, empty, or a JSONL line without a prompt (the line is named).
    """
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as error:
        raise UserError(f"Cannot read the dataset {path}: {error}.") from error
    items: list[tuple[str, int | None]] = []
    jsonl = path.suffix.lower() in (".jsonl", ".json")
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        if not jsonl:
            items.append((line.strip(), None))
            continue
        try:
            row = json.loads(line)
            if isinstance(row, str):
                items.append((row, None))
                continue
            prompt = row.get("prompt") or row.get("text")
            if prompt is None and row.get("conversations"):
                prompt = row["conversations"][0].get("value")
            length = row.get("output_len") or row.get("max_tokens")
        except (ValueError, AttributeError, IndexError, TypeError) as error:
            raise UserError(f"Line {number} of {path.name} is not a JSON prompt object: {error}.") from error
        if not isinstance(prompt, str) or not prompt:
            raise UserError(f"Line {number} of {path.name} has no prompt.", 'Give each line a "prompt" string.')
        items.append((prompt, int(length) if length else None))
    if not items:
        raise UserError(f"The dataset {path} holds no prompts.")
    return items


def build_prompts(settings: ServingSettings, count: int, rng: random.Random) -> list[PromptItem]:
    """``count`` prompts: synthetic, or drawn from the dataset with ``rng`` (in file order while
    it lasts when the file holds fewer than ``count``, then again).

    Raises:
        UserError: the dataset cannot be read.
    """
    if not settings.dataset:
        return [PromptItem(synthetic_prompt(settings.input_len, rng), settings.input_len + len(INSTRUCTION.split()),
                           settings.output_len) for _ in range(count)]
    items = read_dataset(Path(settings.dataset))
    drawn = rng.sample(items, count) if count <= len(items) else [items[i % len(items)] for i in range(count)]
    return [PromptItem(text, len(text.split()), length or settings.output_len) for text, length in drawn]


# -- one request -----------------------------------------------------------------------------


class SseParser:
    """Splits a ``text/event-stream`` body into its ``data:`` payloads, fed in arbitrary byte pieces.

    Lines end in LF or CRLF; ``data:`` with or without a space; comments (``:``) and other
    fields (``event:``, ``id:``) are skipped. Payloads are returned as soon as their line is
    complete (one line per event in OpenAI streams), so the time a chunk is seen is the time
    its line arrived.
    """

    def __init__(self) -> None:
        self._buffer = b""

    def feed(self, data: bytes) -> list[str]:
        """The payloads completed by ``data``, in order."""
        self._buffer += data
        *lines, self._buffer = self._buffer.split(b"\n")
        out = []
        for raw in lines:
            line = raw.rstrip(b"\r")
            if line.startswith(b"data:"):
                out.append(line[5:].strip().decode("utf-8", errors="replace"))
        return out


def _error_text(body: bytes, status: int) -> str:
    """``"HTTP 500: the message"`` from an error body (OpenAI's ``{"error": {"message"}}`` or text)."""
    text = body.decode("utf-8", errors="replace").strip()
    try:
        decoded = json.loads(text)
        error = decoded.get("error") if isinstance(decoded, dict) else None
        message = error.get("message") if isinstance(error, dict) else error or decoded.get("detail")
        if message:
            text = str(message)
    except (ValueError, AttributeError):
        pass
    return f"HTTP {status}: {text[:200]}" if text else f"HTTP {status}"


def request_body(settings: ServingSettings, item: PromptItem, extras: bool) -> dict[str, Any]:
    """The JSON body of one streamed request (greedy, ``max_tokens``, usage in the last chunk;
    with ``extras``, ``ignore_eos`` and ``min_tokens`` asking for exactly ``max_tokens``)."""
    body: dict[str, Any] = {
        "model": settings.model, "max_tokens": item.output_len, "temperature": 0.0, "stream": True,
        "stream_options": {"include_usage": True},
    }
    if settings.endpoint == "chat":
        body["messages"] = [{"role": "user", "content": item.text}]
    else:
        body["prompt"] = item.text
    if extras:
        body["ignore_eos"] = True
        body["min_tokens"] = item.output_len
    return body


def _token_text(choice: Mapping[str, Any]) -> str:
    delta = choice.get("delta")
    if isinstance(delta, Mapping):
        return str(delta.get("content") or delta.get("reasoning_content") or "")
    return str(choice.get("text") or "")


async def send_request(client: Any, url: str, headers: Mapping[str, str], body: Mapping[str, Any],
                       approx_prompt_tokens: int) -> RequestOutcome:
    """Send one streamed request and time it (vLLM ``async_request_openai_chat_completions``).

    TTFT is the first chunk with a non-empty token text (content, reasoning content or
    completion text; a role-only opening chunk does not count, since servers such as slmdesk's
    send it before the first token); each later token chunk adds one inter-token latency; the
    latency ends at the last data message before ``[DONE]``. A non-200 status, an ``error``
    event, a stream that ends without ``[DONE]`` or without any token, and any transport error
    are failures with their message. Never raises except ``CancelledError``.
    """
    import httpx2

    start = time.perf_counter()
    last = token_time = start
    ttft = 0.0
    itl: list[float] = []
    chunks = 0
    usage_out: int | None = None
    usage_in: int | None = None
    finish = ""
    done = False
    parser = SseParser()
    try:
        async with client.stream("POST", url, json=dict(body), headers=dict(headers)) as response:
            if response.status_code != 200:
                return RequestOutcome(False, error=_error_text(await response.aread(), response.status_code))
            async for piece in response.aiter_raw():
                for payload in parser.feed(piece):
                    if payload == "[DONE]":
                        done = True
                        continue
                    now = time.perf_counter()
                    data = json.loads(payload)
                    if isinstance(data, dict) and data.get("error"):
                        error = data["error"]
                        message = error.get("message") if isinstance(error, dict) else str(error)
                        return RequestOutcome(False, error=f"error event: {message}")
                    for choice in data.get("choices") or ():
                        if _token_text(choice):
                            if chunks == 0:
                                ttft = now - start
                            else:
                                itl.append(now - token_time)
                            token_time = now
                            chunks += 1
                        if choice.get("finish_reason"):
                            finish = str(choice["finish_reason"])
                    if isinstance(data.get("usage"), dict):
                        usage_out = data["usage"].get("completion_tokens")
                        usage_in = data["usage"].get("prompt_tokens")
                    last = now
    except asyncio.CancelledError:
        raise
    except httpx2.TimeoutException:
        return RequestOutcome(False, error="timed out")
    except (httpx2.HTTPError, OSError, ValueError) as error:
        return RequestOutcome(False, error=f"{type(error).__name__}: {error}" if str(error) else type(error).__name__)
    if not done:
        return RequestOutcome(False, error="the stream ended without [DONE] (the connection was cut mid-reply)")
    if chunks == 0:
        return RequestOutcome(False, error="the reply held no token")
    reported = isinstance(usage_out, int)
    return RequestOutcome(
        True, ttft_s=ttft, itl_s=tuple(itl), latency_s=last - start,
        output_tokens=int(usage_out) if reported else chunks,  # type: ignore[arg-type]  # int when reported
        prompt_tokens=int(usage_in) if isinstance(usage_in, int) else approx_prompt_tokens,
        finish_reason=finish, usage_reported=reported,
    )


# -- results ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ServingRun:
    """One run of a serving benchmark: one concurrency level at one request rate.

    Attributes:
        settings: the benchmark's settings (the whole sweep's; the key is never among them).
        concurrency: this run's most requests in flight.
        metrics: the figures (:class:`~slmdesk.bench.serving_stats.ServingMetrics`).
        notes: remarks for people (ignore_eos not honoured, fields refused...).
        created_at: UTC time the run finished.
        id: ``benchmark_run`` id once stored.
    """

    settings: ServingSettings
    concurrency: int
    metrics: ServingMetrics
    notes: tuple[str, ...] = ()
    created_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    id: int | None = None

    @property
    def label(self) -> str:
        """``"model @ host · c4 · rate inf"``."""
        host = urlsplit(self.settings.base_url).netloc
        return f"{self.settings.model} @ {host} · c{self.concurrency} · rate {self.settings.rate_label}"

    def to_json(self) -> dict[str, Any]:
        """The ``slmdesk serve-bench --json`` object of this run."""
        return {
            "run_id": self.id, "created_at": self.created_at.isoformat(), "url": self.settings.base_url,
            "model": self.settings.model, "endpoint": self.settings.endpoint, "concurrency": self.concurrency,
            "request_rate": "inf" if math.isinf(self.settings.request_rate) else self.settings.request_rate,
            "num_requests": self.settings.num_requests, "input_len": self.settings.input_len,
            "output_len": self.settings.output_len, "dataset": self.settings.dataset or None,
            **self.metrics.to_json(), "notes": list(self.notes),
        }

    @classmethod
    def from_record(cls, record: BenchmarkRunRecord) -> ServingRun:
        """Rebuild a run from its inventory row.

        Raises:
            KeyError, ValueError, TypeError, UserError: not a serving run's row.
        """
        results = record.results
        return cls(
            settings=ServingSettings.from_json(record.settings["requested"]),
            concurrency=int(record.settings["concurrency"]),
            metrics=ServingMetrics.from_json(results["metrics"]),
            notes=tuple(str(n) for n in results.get("notes") or ()),
            created_at=record.created_at or datetime.now(UTC),
            id=record.id,
        )


def save_run(inventory: Inventory, run: ServingRun) -> ServingRun:
    """Store ``run`` as a ``benchmark_run`` row (backend :data:`SERVING_BACKEND`); returns it with its id.

    Settings hold ``url`` (no credentials), ``model``, ``concurrency``, ``rate``, lengths; the key
    is never stored.
    """
    settings = run.settings.to_json()
    record = benchmarks.save_run(
        inventory, artifact_id=None,
        settings={**settings, "concurrency": run.concurrency, "requested": settings},
        hardware={}, backend=SERVING_BACKEND, backend_version=run.settings.endpoint, sha256=None, quantization=None,
        results={"metrics": run.metrics.to_json(), "notes": list(run.notes)}, created_at=run.created_at,
    )
    return replace(run, id=record.id)


def load_runs(inventory: Inventory) -> list[ServingRun]:
    """Stored serving runs, oldest first (rows that cannot be read are skipped)."""
    runs = []
    for record in benchmarks.list_runs(inventory, serving=True):
        try:
            runs.append(ServingRun.from_record(record))
        except (KeyError, ValueError, TypeError, UserError):
            continue
    return runs


# -- the task --------------------------------------------------------------------------------


def _headers(api_key: str) -> dict[str, str]:
    headers = {"Content-Type": "application/json", "Accept": "text/event-stream"}
    if api_key:
        headers["Authorization"] = f"Bearer {api_key}"
    return headers


def list_models(base_url: str, api_key: str = "", timeout_s: float = 10.0) -> list[str]:
    """The model ids ``GET {base_url}/models`` lists.

    Raises:
        UserError: the server cannot be reached, refuses the key, or answers something else.
    """
    import httpx2

    url = clean_url(base_url) + "/models"
    try:
        response = httpx2.get(url, headers=_headers(api_key), timeout=timeout_s)
    except httpx2.HTTPError as error:
        raise UserError(f"Cannot reach {url}: {error}.", "Check the URL and that the server runs.") from error
    if response.status_code != 200:
        hint = "Check the API key." if response.status_code in (401, 403) else ""
        raise UserError(f"{url} answered {_error_text(response.content, response.status_code)}.", hint)
    try:
        return [str(m["id"]) for m in response.json()["data"]]
    except (ValueError, KeyError, TypeError) as error:
        raise UserError(f"{url} did not answer with an OpenAI model list.") from error


async def _run_level(client: Any, url: str, headers: Mapping[str, str], settings: ServingSettings,
                     prompts: Sequence[PromptItem], concurrency: int, extras: bool, rng: random.Random,
                     on_done: Callable[[], None]) -> tuple[list[RequestOutcome], float]:
    """Send ``prompts`` (arrivals at ``settings.request_rate``, at most ``concurrency`` in
    flight, vLLM ``benchmark``/``get_request``); returns the outcomes in sending order and the
    run's wall seconds."""
    semaphore = asyncio.Semaphore(concurrency)

    async def limited(item: PromptItem) -> RequestOutcome:
        async with semaphore:
            outcome = await send_request(client, url, headers, request_body(settings, item, extras),
                                         item.approx_tokens)
        on_done()
        return outcome

    started = time.perf_counter()
    tasks = []
    for index, item in enumerate(prompts):
        tasks.append(asyncio.ensure_future(limited(item)))
        if not math.isinf(settings.request_rate) and index < len(prompts) - 1:
            await asyncio.sleep(rng.expovariate(settings.request_rate))  # Poisson: exponential gaps
    try:
        outcomes = list(await asyncio.gather(*tasks))
    finally:
        for task in tasks:
            task.cancel()
    return outcomes, time.perf_counter() - started


def _output_note(metrics: ServingMetrics, prompts: Sequence[PromptItem], extras: bool) -> str:
    short = sum(1 for n, p in zip(metrics.output_lens, prompts, strict=True) if 0 < n < p.output_len)
    if not short:
        return ""
    asked = "ignore_eos/min_tokens were sent but not honoured" if extras else "ignore_eos was off"
    return (f"{short} of {metrics.completed} replies stopped before max_tokens ({asked}); the figures use the"
            " actual output lengths.")


def serving_task(
    settings: ServingSettings, api_key: str = "", inventory: Inventory | None = None,
) -> Callable[[CancelToken], Generator[Progress, None, tuple[ServingRun, ...]]]:
    """A task running the benchmark; returns one :class:`ServingRun` per concurrency level, each
    stored in ``inventory`` when one is given.

    Raises:
        UserError: the dataset cannot be read, or the warm-up request fails (the server's
            message is given; as vLLM, a run does not start against a misconfigured endpoint).
        Cancelled: the token was cancelled (in-flight requests are closed at once).
    """
    import httpx2

    def task(token: CancelToken) -> Generator[Progress, None, tuple[ServingRun, ...]]:
        rng = random.Random(settings.seed)
        path = "/chat/completions" if settings.endpoint == "chat" else "/completions"
        url = settings.base_url + path
        headers = _headers(api_key)
        levels = settings.concurrency
        total = settings.num_requests * len(levels) + 1
        finished = [0]

        def count() -> None:
            finished[0] += 1

        loop = asyncio.new_event_loop()
        # A new connection per request, as vLLM's benchmark_serving.py (a ClientSession per request):
        # on a reused keep-alive connection to slmdesk's server the first chunks of a stream arrive
        # together some 40 ms late (small writes held until the peer's delayed ACK), which would
        # be measured as TTFT and zero ITLs.
        limits = httpx2.Limits(max_connections=max(levels) + 1, max_keepalive_connections=0)
        client = httpx2.AsyncClient(timeout=httpx2.Timeout(settings.timeout_s, connect=10.0), limits=limits)

        def drive(coroutine: Any, message: str, base: int) -> Generator[Progress, None, Any]:
            """Run ``coroutine`` on ``loop`` in 0.1 s slices, yielding progress, cancelling on the token."""
            future = loop.create_task(coroutine)
            while not future.done():
                loop.run_until_complete(asyncio.wait([future], timeout=0.1))
                if token.cancelled and not future.done():
                    future.cancel()
                    loop.run_until_complete(asyncio.gather(future, return_exceptions=True))
                    raise Cancelled("cancelled")
                yield Progress(finished[0] / total, f"{message} ({finished[0] - base} done)")
            return future.result()

        try:
            notes: list[str] = []
            warm = build_prompts(settings, 1, random.Random(settings.seed + 1))[0]
            extras = settings.ignore_eos
            outcome = yield from drive(send_request(client, url, headers, request_body(settings, warm, extras),
                                                    warm.approx_tokens), "Warm-up request", 0)
            if not outcome.success and extras and outcome.error.startswith("HTTP 400"):
                extras = False
                notes.append(f"The server refused ignore_eos/min_tokens ({outcome.error}); sent without them.")
                outcome = yield from drive(send_request(client, url, headers, request_body(settings, warm, False),
                                                        warm.approx_tokens), "Warm-up request", 0)
            if not outcome.success:
                raise UserError(f"The warm-up request to {url} failed: {outcome.error}",
                                "Check the URL, the model id and the API key.")
            if not outcome.usage_reported:
                notes.append("The server reports no usage: output tokens are counted as streamed chunks.")
            count()
            runs: list[ServingRun] = []
            for concurrency in levels:
                token.raise_if_cancelled()
                prompts = build_prompts(settings, settings.num_requests, rng)
                base = finished[0]
                outcomes, duration = yield from drive(
                    _run_level(client, url, headers, settings, prompts, concurrency, extras, rng, count),
                    f"Concurrency {concurrency}, rate {settings.rate_label}", base)
                metrics = calculate_metrics(outcomes, duration)
                run_notes = [*notes]
                if note := _output_note(metrics, prompts, extras):
                    run_notes.append(note)
                run = ServingRun(settings, concurrency, metrics, tuple(run_notes))
                if inventory is not None:
                    run = save_run(inventory, run)
                runs.append(run)
            yield Progress(1.0, f"Benchmarked {settings.model} at {len(levels)} level(s)")
            return tuple(runs)
        finally:
            loop.run_until_complete(client.aclose())
            loop.close()

    return task
