"""The benchmark as a task: identify the model, probe the hardware, measure in a fresh engine.

For each configuration (thread count) of :class:`~slmdesk.bench.settings.BenchSettings` a new
engine process is started (so its load time and peak memory belong to this model and these
settings alone), the model is loaded, llama-bench's ``pp``/``tg`` tests run inside the engine
(``EngineClient.bench``), then the time to first token of a chat-shaped prompt is measured
through the same path as the Chat pane (``EngineClient.generate``): one warm-up and
``repetitions`` timed replies of one token, greedy. The engine reports its peak resident
memory last. The CLI and the Benchmark pane both run :func:`bench_task`, so they report the
same numbers.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Generator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from slmdesk.bench import stats
from slmdesk.bench.results import BenchResult, save_result
from slmdesk.bench.settings import BenchSettings
from slmdesk.core.errors import Cancelled, UserError
from slmdesk.core.profiles import HardwareProfile
from slmdesk.core.tasks import CancelToken, Progress
from slmdesk.engine.client import EngineClient
from slmdesk.engine.types import BenchReport, BenchTest, Done, SamplingParams, to_dict
from slmdesk.inventory.records import ArtifactRecord
from slmdesk.inventory.repository import Inventory
from slmdesk.paths import AppPaths

ClientFactory = Callable[[], EngineClient]

CHAT_SYSTEM = "You are a concise, helpful assistant. Answer in plain English."
CHAT_USER = (
    "I am planning a three-day trip to Lisbon in early spring with two friends who enjoy food, "
    "history and long walks. We will arrive on a Thursday evening by train and leave on Sunday "
    "afternoon. We would like to see the old town, try a few local dishes, visit one museum and "
    "spend half a day near the sea. We do not want to rent a car and prefer to use public "
    "transport or walk. Our budget is moderate. Could you suggest a simple plan for each day, "
    "with a morning, afternoon and evening activity, and mention anything we should book ahead?"
)
"""The chat-shaped prompt of the TTFT measurement: a system prompt and one user turn of about
150 tokens (SmolLM2's tokenizer: 151 with the template), a typical first question."""


def chat_messages(run: int) -> list[dict[str, str]]:
    """The TTFT prompt for run ``run``. The run number opens the system prompt so that the
    engine cannot reuse the previous run's KV cache beyond the first few template tokens."""
    return [
        {"role": "system", "content": f"Session {run}. {CHAT_SYSTEM}"},
        {"role": "user", "content": CHAT_USER},
    ]


@dataclass(frozen=True)
class BenchTarget:
    """The model to measure.

    Attributes:
        path: GGUF file (first part of a split set) or ONNX GenAI folder.
        artifact_id: inventory id, None when the model is not in the inventory.
        sha256: known SHA-256 (from the inventory), None to compute it.
        name, quantization, format: display facts (from the inventory or the headers).
        files: the files the SHA-256 covers, in order.
    """

    path: Path
    artifact_id: int | None = None
    sha256: str | None = None
    name: str = ""
    quantization: str | None = None
    format: str = "gguf"
    files: tuple[Path, ...] = ()


def target_from_record(record: ArtifactRecord) -> BenchTarget:
    """The target of an inventory artifact (its SHA-256 is reused when the inventory has it)."""
    return BenchTarget(
        path=Path(record.path),
        artifact_id=record.id,
        sha256=record.sha256,
        name=record.display_name,
        quantization=record.quantization,
        format=record.format,
        files=tuple(record.files),
    )


def resolve_target(target: str | Path, inventory: Inventory | None) -> BenchTarget:
    """An inventory id (digits that are not an existing path) or a model path, as a target.

    Raises:
        UserError: no such id, a path that does not exist, or a file that is not a model.
    """
    from slmdesk.formats.detect import read_spec
    from slmdesk.formats.naming import spec_display_name

    text = str(target)
    path = Path(text).expanduser()
    record = None
    if text.isdigit() and not path.exists():
        if inventory is None:
            raise UserError(f"There is no inventory to look up model id {text} in.")
        record = inventory.get_artifact(int(text))
        if record is None:
            raise UserError(f"There is no model with id {text} in the inventory.", "See the ids with `slmdesk list`.")
        path = Path(record.path)
    elif not path.exists():
        raise UserError(f"{path} does not exist.", "Pass a GGUF file, an ONNX GenAI folder or an inventory id.")
    else:
        path = path.absolute()
        if inventory is not None:
            record = inventory.find_by_path(path)
    if record is not None:
        return target_from_record(record)
    spec = read_spec(path)
    return BenchTarget(
        path=path,
        name=spec_display_name(spec),
        quantization=spec.quantization,
        format=spec.format,
        files=tuple(spec.files) or (path,),
    )


@contextmanager
def _cancel_watch(token: CancelToken, client: EngineClient) -> Iterator[None]:
    """Forward a cancel of ``token`` to the engine at once (the task itself only looks at the
    token between engine events, which may be seconds apart)."""
    done = threading.Event()

    def watch() -> None:
        while not done.is_set():
            if token.cancelled:
                client.cancel()  # repeated: a cancel between two requests finds nothing to stop
                done.wait(0.05)
            else:
                token.wait(0.05)

    thread = threading.Thread(target=watch, name="bench-cancel-watch", daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join()


def _energy_per_token(test: BenchTest | None) -> float | None:
    """Mean over repetitions of joules / tokens; None when energy was not measured."""
    if test is None or not test.energy_j or len(test.energy_j) != len(test.samples_ns):
        return None
    values = [joules / test.n_tokens for joules in test.energy_j]
    mean = sum(values) / len(values)
    return mean if mean > 0 else None


def _fit_bound(target: BenchTarget, settings: BenchSettings, profile: HardwareProfile) -> tuple[float | None, str]:
    """The fit estimator's tg bound for these settings, with the KV cache as it is when the tg
    test starts (``n_depth`` tokens: tokens/s averages over ``n_depth .. n_depth + n_gen``, and
    the bound falls as the context grows, so the bound at the start is the average's ceiling),
    and a note when there is none."""
    from slmdesk.core.fit import FitOptions, estimate
    from slmdesk.formats.detect import read_spec

    load = settings.load_settings(None)
    try:
        spec = read_spec(target.path)
        result = estimate(
            spec,
            FitOptions(
                n_ctx=load.n_ctx,
                n_batch=load.n_batch,
                n_ubatch=load.n_ubatch,
                kv_type=settings.kv_type,
                flash_attn=settings.flash_attn != "off",
                n_gpu_layers=settings.n_gpu_layers,
                tokens_in_context=settings.n_depth,
            ),
            profile,
        )
    except UserError as error:
        return None, f"No fit estimate: {error.message}"
    if result.tg_tokens_per_s_bound is None:
        return None, "No fit bound: the hardware profile has no memory bandwidth figure."
    return result.tg_tokens_per_s_bound, ""


def bench_task(
    target: BenchTarget,
    settings: BenchSettings,
    paths: AppPaths,
    client_factory: ClientFactory | None = None,
    inventory: Inventory | None = None,
    profile: HardwareProfile | None = None,
) -> Callable[[CancelToken], Generator[Progress, None, tuple[BenchResult, ...]]]:
    """A task measuring ``target`` with ``settings``; returns one :class:`BenchResult` per
    thread count, each stored in ``inventory`` when one is given.

    Steps: SHA-256 (unless known), hardware profile (probed unless given; the memory
    bandwidth is measured once and cached), fit bound, then per configuration a fresh engine:
    load, ``pp``/``tg`` (warm-up + repetitions), TTFT (warm-up + repetitions), peak memory.

    Raises:
        SplitSetError: ``target`` is a split GGUF set with a missing part (the message names it).
        UserError: the model cannot be loaded, a timing came back <= 0
            (:class:`~slmdesk.bench.stats.InvalidTiming`), the engine crashed.
        Cancelled: the token was cancelled (the engine stops within one model call).
    """
    factory = client_factory or (lambda: EngineClient(log_path=paths.logs / "engine.log"))

    def task(token: CancelToken) -> Generator[Progress, None, tuple[BenchResult, ...]]:
        from slmdesk.formats.split import is_split_part, present_split_parts

        name = target.name or target.path.name
        if is_split_part(target.path):
            present_split_parts(target.path)  # a missing part is named before hashing or loading
        sha256 = target.sha256
        if sha256 is None:
            from slmdesk.formats.checksum import sha256_task

            hashing = sha256_task(list(target.files) or [target.path])(token)
            while True:
                try:
                    event = next(hashing)
                except StopIteration as stop:
                    sha256 = stop.value
                    break
                yield Progress(0.1 * (event.fraction or 0.0), event.message)
        token.raise_if_cancelled()
        hardware = profile
        if hardware is None:
            from slmdesk.hardware.profile import probe

            yield Progress(0.1, "Probing the hardware")
            hardware = probe(paths)
        token.raise_if_cancelled()
        bound, fit_note = _fit_bound(target, settings, hardware)

        configs = settings.thread_counts()
        share = 0.85 / len(configs)
        results: list[BenchResult] = []
        for index, threads in enumerate(configs):
            base = 0.15 + index * share
            label = f"{name} ({threads} threads)" if threads else name
            yield Progress(base, f"Loading {label}")
            client = factory()
            with client, _cancel_watch(token, client):
                info = client.load(target.path, settings.load_settings(threads))
                token.raise_if_cancelled()
                bench = client.bench(settings.request(threads))
                while True:
                    try:
                        step = next(bench)
                    except StopIteration as stop:
                        report: BenchReport = stop.value
                        break
                    yield Progress(base + share * 0.8 * step.done / step.total, f"{label}: {step.message}")
                ttft = None
                if settings.ttft:
                    samples: list[float] = []
                    runs = settings.repetitions + 1
                    for run in range(runs):
                        token.raise_if_cancelled()
                        done = _one_reply(client, run)
                        if done.stats.finish_reason == "cancelled":
                            raise Cancelled("cancelled")
                        if run > 0:  # run 0 is the warm-up
                            samples.append(done.stats.ttft_s)
                        yield Progress(base + share * (0.8 + 0.2 * (run + 1) / runs), f"{label}: TTFT {run}/{runs - 1}")
                    ttft = stats.seconds(samples, "time to first token")
                peak = client.stats().peak_rss_bytes
            tests = {t.kind: t for t in report.tests}
            pp_test, tg_test = tests.get("pp"), tests.get("tg")
            pp = stats.tokens_per_s(pp_test.n_tokens, pp_test.samples_ns, f"pp{pp_test.n_tokens}") if pp_test else None
            tg = stats.tokens_per_s(tg_test.n_tokens, tg_test.samples_ns, f"tg{tg_test.n_tokens}") if tg_test else None
            notes = [fit_note] if fit_note else []
            if report.energy_note:
                notes.append(f"Energy not available: {report.energy_note}.")
            notes += stats.noise_notes(pp, tg, settings.n_prompt, settings.n_gen)
            result = BenchResult(
                model_path=str(target.path),
                model_name=name,
                model_format=target.format,
                model_sha256=sha256,
                quantization=target.quantization,
                backend=report.backend,
                backend_version=report.backend_version,
                n_threads=report.n_threads,
                n_ctx=report.n_ctx,
                n_batch=report.n_batch,
                n_ubatch=report.n_ubatch,
                flash_attn=report.flash_attn,
                settings=settings,
                pp=pp,
                tg=tg,
                ttft=ttft,
                load_s=info.load_s,
                peak_rss_bytes=peak,
                energy_j_per_token=_energy_per_token(tg_test),
                energy_pp_j_per_token=_energy_per_token(pp_test),
                energy_source=report.energy_source,
                energy_note=report.energy_note,
                fit_tg_bound=bound,
                hardware=hardware.to_dict(),
                artifact_id=target.artifact_id,
                notes=tuple(notes),
                runtime=to_dict(report.runtime),
            )
            if inventory is not None:
                result = save_result(inventory, result)
            results.append(result)
        yield Progress(1.0, f"Benchmarked {name}")
        return tuple(results)

    return task


def _one_reply(client: EngineClient, run: int) -> Done:
    """One greedy one-token reply to the chat-shaped prompt; returns its Done event."""
    done: Done | None = None
    for event in client.generate(chat_messages(run), SamplingParams(temperature=0.0, max_tokens=1)):
        if isinstance(event, Done):
            done = event
    assert done is not None
    return done
