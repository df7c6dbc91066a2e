"""Benchmark statistics, computed the way llama-bench reports them.

llama-bench (``tools/llama-bench/llama-bench.cpp`` in the llama.cpp that llama-cpp-python
0.3.36 vendors) turns each repetition's wall time into a rate, ``ts = 1e9 * n_tokens / t_ns``
(``test::get_ts``), then prints the mean of the rates (``avg_ts``) and their sample standard
deviation with ``n - 1`` (``stdev``, 0 for a single sample). The mean of rates is not the
rate of the mean time; both llama-bench and slmdesk report the former.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from slmdesk.core import serial
from slmdesk.core.errors import UserError


class InvalidTiming(UserError):
    """A repetition took zero or negative time: the backend's counters were not populated.

    Such a run is an error, never an infinite tokens/s.
    """


@dataclass(frozen=True)
class Stat:
    """Mean and sample standard deviation of a figure over the timed repetitions.

    Attributes:
        mean: arithmetic mean of ``samples``.
        stdev: sample standard deviation (``n - 1``), 0.0 for one sample.
        samples: one value per repetition, in order (tokens/s, or seconds for TTFT).
    """

    mean: float
    stdev: float
    samples: tuple[float, ...]

    def to_json(self) -> dict[str, Any]:
        """``{"mean", "stdev", "samples"}`` (the CLI's JSON shape, and how runs are stored)."""
        data: dict[str, Any] = serial.to_builtins(self)
        return data

    @classmethod
    def from_json(cls, raw: Mapping[str, Any] | None) -> Stat | None:
        """Inverse of :meth:`to_json`; None for None.

        Raises:
            ValueError: a missing or non-numeric field (the message names it).
        """
        return None if raw is None else serial.from_builtins(cls, raw)

    @property
    def relative_stdev(self) -> float:
        """``stdev / mean`` (0.0 when the mean is 0)."""
        return self.stdev / self.mean if self.mean else 0.0


def format_stat(stat: Stat | None, digits: int = 1) -> str:
    """``"77.1 ± 1.2"`` with ``digits`` decimals; "–" when the figure was not measured."""
    if stat is None:
        return "–"
    return f"{stat.mean:.{digits}f} ± {stat.stdev:.{digits}f}"


NOISY_RELATIVE_STDEV = 0.05
"""Repetitions whose standard deviation exceeds 5% of their mean are flagged: 5% is the
tolerance slmdesk's figures are held to against llama-bench (issue 6, and
``benchmarks/bench_vs_llama_bench.py``), so a run noisier than that cannot tell apart two
results that differ by less."""


def noise_note(stat: Stat | None, label: str) -> str:
    """A note for a figure whose repetitions varied by more than :data:`NOISY_RELATIVE_STDEV`
    of their mean ("" otherwise, and for fewer than two repetitions). ``label`` names it
    ("tg128")."""
    if stat is None or len(stat.samples) < 2 or stat.relative_stdev <= NOISY_RELATIVE_STDEV:
        return ""
    return (
        f"{label} varied by {stat.relative_stdev:.0%} between repetitions (standard deviation / mean):"
        " the machine was busy or changed speed. Close other programs, or use more repetitions,"
        " before comparing runs that differ by less."
    )


def noise_notes(pp: Stat | None, tg: Stat | None, n_prompt: int, n_gen: int) -> list[str]:
    """:func:`noise_note` of a run's ``pp`` and ``tg`` figures, those that apply."""
    return [note for note in (noise_note(pp, f"pp{n_prompt}"), noise_note(tg, f"tg{n_gen}")) if note]


def summarize(samples: Sequence[float]) -> Stat:
    """Mean and sample standard deviation of ``samples`` (llama-bench ``avg``/``stdev``).

    Raises:
        ValueError: no samples, or a sample that is not a finite number.
    """
    values = tuple(float(v) for v in samples)
    if not values:
        raise ValueError("no samples")
    if not all(math.isfinite(v) for v in values):
        raise ValueError(f"non-finite sample in {values}")
    stdev = statistics.stdev(values) if len(values) > 1 else 0.0
    return Stat(statistics.fmean(values), stdev, values)


def tokens_per_s(n_tokens: int, samples_ns: Sequence[int], what: str = "test") -> Stat:
    """Rates of repetitions that processed ``n_tokens`` each in ``samples_ns`` nanoseconds.

    Returns a :class:`Stat` of tokens/s: ``1e9 * n_tokens / t_ns`` per repetition
    (llama-bench ``test::get_ts``).

    Raises:
        InvalidTiming: a repetition took <= 0 ns (the run is invalid; ``what`` names it).
        ValueError: no samples, or ``n_tokens`` < 1.
    """
    if n_tokens < 1:
        raise ValueError("n_tokens must be at least 1")
    for index, t_ns in enumerate(samples_ns):
        if t_ns <= 0:
            raise InvalidTiming(
                f"The {what} timing of run {index + 1} came back as {t_ns} ns: the backend did not"
                " report a real duration, so this benchmark run is invalid.",
                "Run the benchmark again; if it repeats, report it with the engine log.",
            )
    return summarize([1e9 * n_tokens / t_ns for t_ns in samples_ns])


def seconds(samples_s: Sequence[float], what: str = "time") -> Stat:
    """A :class:`Stat` of durations in seconds (TTFT).

    Raises:
        InvalidTiming: a duration <= 0 (the backend's timer was not populated).
    """
    for index, value in enumerate(samples_s):
        if not value > 0:
            raise InvalidTiming(
                f"The {what} of run {index + 1} came back as {value} s: the backend did not report"
                " a real duration, so this benchmark run is invalid.",
                "Run the benchmark again; if it repeats, report it with the engine log.",
            )
    return summarize(samples_s)
