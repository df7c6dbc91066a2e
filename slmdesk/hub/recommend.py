"""Recommend: for a hardware profile and a wanted context, the best quantization of each catalog
family that fits, ranked by a documented quality-versus-speed rule."""

from __future__ import annotations

from dataclasses import dataclass

from slmdesk.core.fit import Verdict
from slmdesk.core.profiles import HardwareProfile
from slmdesk.core.units import format_bytes
from slmdesk.hub.catalog import Catalog, QuantAssessment, assess_catalog

PPL_INCREASE: dict[str, float] = {
    "Q3_K_M": 0.6569,
    "Q4_0": 0.4685,
    "Q4_1": 0.4511,
    "Q4_K_S": 0.2689,
    "Q4_K_M": 0.1754,
    "Q5_0": 0.1316,
    "Q5_K_S": 0.1049,
    "Q5_K_M": 0.0569,
    "Q6_K": 0.0217,
    "Q8_0": 0.0026,
    "F16": 0.0020,
    "BF16": 0.0,
}
"""Perplexity increase over the unquantized model per llama.cpp file type, from llama.cpp's
``tools/quantize/quantize.cpp`` ``QUANT_OPTIONS`` (measured on Llama-3-8B; F16 and BF16 on
Mistral-7B, BF16's -0.0050 counted as 0). Lower is better. Types not listed rank below Q3_K_M."""

UNKNOWN_PPL_INCREASE = 1.0
"""Rank of a type without a published figure: after every listed one."""

GOOD_QUALITY_PPL = PPL_INCREASE["Q4_K_M"]
"""A pick at least this good (Q4_K_M or better) counts as full quality: a larger model at Q4_K_M
is preferred to a smaller one at Q8_0 (llama.cpp's perplexity tables: Llama-2 13B at Q4_K_M is
well below 7B at F16, ``examples/perplexity/README.md`` / PR #1684's K-quant tables)."""

DEFAULT_MIN_TG_TPS = 10.0
"""Default floor on the generation-speed bound (tokens/s): below about 10 tokens/s a chat reply
is slower than reading speed (about 4-5 words, 5-7 tokens, per second)."""


@dataclass(frozen=True)
class Recommendation:
    """One family's pick.

    Attributes:
        rank: 1 = the best recommendation.
        family: the catalog family ("Qwen3").
        assessment: the chosen model x quantization on the profile.
        ppl_increase: the quantization's perplexity increase (:data:`PPL_INCREASE`).
        why: one line for people.
    """

    rank: int
    family: str
    assessment: QuantAssessment
    ppl_increase: float
    why: str

    def to_json(self) -> dict[str, object]:
        """The row ``slmdesk catalog --recommend --json`` prints."""
        return {"rank": self.rank, "family": self.family, **self.assessment.to_json(),
                "ppl_increase": self.ppl_increase, "why": self.why}


def ppl_increase(quant: str) -> float:
    """Perplexity increase of ``quant`` (:data:`PPL_INCREASE`, else :data:`UNKNOWN_PPL_INCREASE`)."""
    return PPL_INCREASE.get(quant.upper(), UNKNOWN_PPL_INCREASE)


def _family_key(row: QuantAssessment) -> tuple[bool, bool, int, float, float]:
    """Sort key of one family's candidates, best first (see :func:`recommend`)."""
    ppl = ppl_increase(row.quant.name)
    return (row.verdict is Verdict.TIGHT, ppl > GOOD_QUALITY_PPL, -row.model.n_params, ppl,
            -(row.tg_bound_tps or 0.0))


def recommend(catalog: Catalog, profile: HardwareProfile, n_ctx: int, kv_type: str = "f16",
              min_tg_tps: float = DEFAULT_MIN_TG_TPS, tier: str | None = None) -> list[Recommendation]:
    """The best quantization of each family that fits ``profile`` with ``n_ctx`` tokens of
    context, best family first.

    The rule:

    1. Candidates: every model x quantization that slmdesk's engine (llama.cpp) can load, whose
       estimate at ``n_ctx`` (at most the model's trained context) is not WILL_NOT_FIT, and whose
       generation-speed bound is at least ``min_tg_tps`` tokens/s (an unknown bound passes).
       ``tier`` keeps one tier.
    2. In each family: a candidate that is not TIGHT beats one that is; then one at Q4_K_M
       quality or better (:data:`GOOD_QUALITY_PPL`) beats a lower-quality one; then the model
       with more parameters; then the quantization with the smaller perplexity increase
       (:data:`PPL_INCREASE`, llama.cpp's ``QUANT_OPTIONS``); then the faster bound.
    3. Families are ranked by the same key applied to their picks: full quality before reduced,
       then more parameters, then quality, then speed.

    Returns:
        One :class:`Recommendation` per family with a candidate (rank 1 first); empty when
        nothing fits.

    Raises:
        UserError: the estimator refuses the options (an unknown KV type).
    """
    rows = assess_catalog(catalog, profile, n_ctx, kv_type)
    best: dict[str, QuantAssessment] = {}
    for row in rows:
        if not row.quant.runs_on_llama_cpp or not row.fits or (tier and row.model.tier != tier):
            continue
        if row.tg_bound_tps is not None and row.tg_bound_tps < min_tg_tps:
            continue
        current = best.get(row.model.family)
        if current is None or _family_key(row) < _family_key(current):
            best[row.model.family] = row
    picks = sorted(best.values(), key=_family_key)
    return [Recommendation(rank=i, family=row.model.family, assessment=row,
                           ppl_increase=ppl_increase(row.quant.name), why=_why(row, profile, min_tg_tps))
            for i, row in enumerate(picks, start=1)]


def _why(row: QuantAssessment, profile: HardwareProfile, min_tg_tps: float) -> str:
    """"largest Qwen3 that fits (8B, 5.0 GiB, fits fully on GPU at 4096 tokens); Q6_K: +0.022
    perplexity, bound 138 tokens/s"."""
    ppl = ppl_increase(row.quant.name)
    quality = (f"{row.quant.name}: +{ppl:.3f} perplexity (llama.cpp, Llama-3-8B)" if row.quant.name.upper()
               in PPL_INCREASE else f"{row.quant.name}: quality not published")
    speed = (f", up to {row.tg_bound_tps:.0f} tokens/s" if row.tg_bound_tps is not None else "")
    tight = " but tight" if row.verdict is Verdict.TIGHT else ""
    return (f"largest {row.model.family} that fits {profile.name}{tight} with {row.n_ctx} tokens "
            f"({format_bytes(row.size_bytes)}, {row.verdict.label}); {quality}, the best quality above "
            f"{min_tg_tps:g} tokens/s{speed}")
