"""Unit helpers: binary byte sizes and durations formatted for people."""

from __future__ import annotations

KIB = 1024
MIB = 1024**2
GIB = 1024**3

_BYTE_UNITS = ("B", "KiB", "MiB", "GiB", "TiB", "PiB")


def format_bytes(n: int | float | None) -> str:
    """``1536 -> '1.5 KiB'``; binary prefixes (IEC 80000-13); '-' for None."""
    if n is None:
        return "-"
    value = float(n)
    for unit in _BYTE_UNITS:
        if abs(value) < 1024 or unit == _BYTE_UNITS[-1]:
            return f"{int(value)} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")


def format_duration(seconds: float | None) -> str:
    """``75 -> '1:15'``, ``3725 -> '1:02:05'``; '-' for None or negative."""
    if seconds is None or seconds < 0:
        return "-"
    total = round(seconds)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def format_rate(bytes_per_s: float | None) -> str:
    """``2.5e6 -> '2.4 MiB/s'``; '-' for None."""
    return "-" if bytes_per_s is None else f"{format_bytes(bytes_per_s)}/s"


def format_params(n: int | None) -> str:
    """A parameter count as model cards write it: ``134_515_008 -> '135M'``,
    ``1_711_376_384 -> '1.7B'``, ``8_030_261_248 -> '8B'``; '' when unknown. Decimal prefixes;
    one decimal for billions (dropped when it is 0), none below."""
    if not n:
        return ""
    if n >= 1_000_000_000:
        text = f"{n / 1e9:.1f}"
        return f"{text.removesuffix('.0')}B"
    if n >= 1_000_000:
        return f"{n / 1e6:.0f}M"
    return f"{n / 1e3:.0f}K"
