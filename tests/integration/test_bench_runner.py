"""The benchmark task end to end against a stand-in engine process (real host loop, scripted backend).

The stand-in is the real :class:`~slmdesk.engine.host.EngineHost` serving the real protocol in
a child process; only the backend is scripted (known timings, no model), so the statistics,
the zero-timing rule, cancellation across processes and storage are checked exactly.
"""

from __future__ import annotations

import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from slmdesk.bench.results import load_results
from slmdesk.bench.runner import BenchTarget, bench_task
from slmdesk.bench.settings import BenchSettings
from slmdesk.bench.stats import InvalidTiming
from slmdesk.core.errors import Cancelled
from slmdesk.core.profiles import PRESETS
from slmdesk.core.tasks import CancelToken, run_inline
from slmdesk.engine.client import EngineClient
from slmdesk.inventory.repository import open_inventory
from slmdesk.paths import AppPaths
from tests.gguf_factory import write_gguf

FAKE_ENGINE = textwrap.dedent(
    """
    import os, sys, time
    from slmdesk.engine.bench_base import BenchCancelled
    from slmdesk.engine.host import EngineHost
    from slmdesk.engine.types import BenchReport, BenchTest, GenerationStats, LoadInfo

    MODE = sys.argv[1]

    class Scripted:
        # pp at 100 t/s and tg at 50 t/s exactly; TTFT 0.05 s; MODE changes one thing.
        name = "llama.cpp"
        def __init__(self):
            self.path = ""
            self.threads = 0
        @property
        def loaded(self):
            return self.path
        def load(self, path, settings):
            self.path = path
            self.threads = settings.n_threads or 2
            return LoadInfo(path=path, backend="llama.cpp", backend_version="0.0-test", n_ctx=settings.n_ctx,
                            load_s=0.125, settings=settings)
        def unload(self):
            self.path = ""
        def count_tokens(self, messages):
            return 150
        def generate(self, messages, params, control, on_prompt, on_prefill, on_text, started, prompt_text=None):
            on_prompt(150, ())
            on_text("x")
            ttft = 0.0 if MODE == "zero_ttft" else 0.05
            return "x", GenerationStats(prompt_tokens=150, completion_tokens=1, ttft_s=ttft, finish_reason="length")
        def bench(self, request, control, on_progress):
            tests, done = [], 0
            total = 2 * (request.repetitions + 1)
            for kind, n, rate in (("pp", request.n_prompt, 100.0), ("tg", request.n_gen, 50.0)):
                samples = []
                for rep in range(request.repetitions + 1):
                    if MODE == "slow":
                        for _ in range(100):
                            if control.cancelled:
                                raise BenchCancelled
                            time.sleep(0.01)
                    if rep:
                        samples.append(int(1e9 * n / rate))
                    done += 1
                    on_progress(done, total, f"{kind}{n}: run {rep}")
                if MODE == "noisy" and kind == "tg":
                    samples = [int(s * (1.0 + 0.3 * (i % 2))) for i, s in enumerate(samples)]
                if MODE == "zero" and kind == "tg":
                    samples[-1] = 0
                tests.append(BenchTest(kind, n, 0, tuple(samples)))
            return BenchReport("llama.cpp", "0.0-test", request.n_threads or self.threads, request.n_batch,
                               request.n_ubatch, 256, request.flash_attn, tuple(tests), energy_note="no counters here")

    writer = os.fdopen(os.dup(1), "wb", buffering=0)
    os.dup2(2, 1)
    sys.exit(EngineHost(sys.stdin.buffer, writer, {"llama": Scripted}).run())
    """
)


def _factory(mode: str):
    return lambda: EngineClient(command=[sys.executable, "-c", FAKE_ENGINE, mode])


@pytest.fixture
def target(tmp_path: Path) -> BenchTarget:
    path = write_gguf(tmp_path / "toy-Q8_0.gguf")[0]
    return BenchTarget(path=path, sha256="cd" * 32, name="Toy", quantization="Q8_0", files=(path,))


PROFILE = next(iter(PRESETS.values()))


def test_results_follow_the_engine_timings_and_are_stored(app_paths: AppPaths, target: BenchTarget) -> None:
    app_paths.ensure()
    settings = BenchSettings(n_prompt=64, n_gen=16, repetitions=3, threads=(1, 2))
    with open_inventory(app_paths.database) as inventory:
        events = []
        results = run_inline(
            bench_task(target, settings, app_paths, _factory("ok"), inventory, PROFILE), on_progress=events.append
        )
        stored = load_results(inventory)
    assert [r.n_threads for r in results] == [1, 2]  # one engine configuration per thread count
    first = results[0]
    assert first.pp is not None and first.tg is not None and first.ttft is not None
    assert first.pp.mean == pytest.approx(100.0) and first.pp.stdev == pytest.approx(0.0)
    assert first.tg.mean == pytest.approx(50.0) and len(first.tg.samples) == 3
    assert first.ttft.mean == pytest.approx(0.05) and len(first.ttft.samples) == 3  # warm-up not counted
    assert first.load_s == 0.125 and first.peak_rss_bytes > 10 * 2**20  # the child's real VmHWM
    assert first.energy_j_per_token is None and "no counters here" in " ".join(first.notes)
    assert first.model_sha256 == "cd" * 32 and first.quantization == "Q8_0"
    assert first.fit_tg_bound is not None and first.fit_tg_bound > 0  # the toy file has a header
    assert first.hardware["name"] == PROFILE.name
    assert [r.id for r in stored] == [r.id for r in results] and stored[1].n_threads == 2
    assert events[-1].fraction == 1.0 and any("tg16" in e.message for e in events)
    fractions = [e.fraction for e in events if e.fraction is not None]
    assert fractions == sorted(fractions)


def test_repetitions_that_vary_more_than_5_percent_are_flagged(app_paths: AppPaths, target: BenchTarget) -> None:
    settings = BenchSettings(n_prompt=8, n_gen=4, repetitions=3, ttft=False)
    (steady,) = run_inline(bench_task(target, settings, app_paths, _factory("ok"), None, PROFILE))
    assert not any("varied by" in note for note in steady.notes)
    (noisy,) = run_inline(bench_task(target, settings, app_paths, _factory("noisy"), None, PROFILE))
    assert noisy.tg is not None and noisy.tg.relative_stdev > 0.05
    assert any(note.startswith(f"tg4 varied by {noisy.tg.relative_stdev:.0%}") for note in noisy.notes)
    assert not any(note.startswith("pp8 varied") for note in noisy.notes)  # pp was steady


def test_a_zero_timing_fails_the_run_instead_of_infinite_speed(app_paths: AppPaths, target: BenchTarget) -> None:
    settings = BenchSettings(n_prompt=8, n_gen=4, repetitions=2)
    with pytest.raises(InvalidTiming, match="tg4 timing of run 2 came back as 0 ns"):
        run_inline(bench_task(target, settings, app_paths, _factory("zero"), None, PROFILE))
    with pytest.raises(InvalidTiming, match="time to first token of run 1"):
        run_inline(bench_task(target, settings, app_paths, _factory("zero_ttft"), None, PROFILE))


def test_cancel_reaches_the_engine_between_model_calls(app_paths: AppPaths, target: BenchTarget) -> None:
    settings = BenchSettings(n_prompt=8, n_gen=4, repetitions=50)  # about 100 s if not cancelled
    token = CancelToken()
    outcome: list[BaseException] = []

    def run() -> None:
        try:
            run_inline(bench_task(target, settings, app_paths, _factory("slow"), None, PROFILE), token)
        except BaseException as error:  # noqa: BLE001 - the test inspects it
            outcome.append(error)

    thread = threading.Thread(target=run)
    thread.start()
    time.sleep(2.0)  # engine started, model "loaded", inside the first repetitions
    cancelled_at = time.monotonic()
    token.cancel()
    thread.join(15)
    assert not thread.is_alive()
    assert len(outcome) == 1 and isinstance(outcome[0], Cancelled)
    assert time.monotonic() - cancelled_at < 5.0
