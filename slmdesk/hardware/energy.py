"""CPU package energy from Linux RAPL counters (powercap sysfs), for energy per token.

The kernel's powercap framework exposes each RAPL domain as
``/sys/class/powercap/intel-rapl:N`` (AMD Zen processors use the same driver and names) with
``name`` ("package-0"), ``energy_uj`` (a wrapping counter in microjoules) and
``max_energy_range_uj`` (where it wraps); see the kernel's
``Documentation/power/powercap/powercap.rst``. Since Linux 5.10 ``energy_uj`` is readable by
root only (CVE-2020-8694), so on most desktops and in most VMs energy is *not available*: the
meter says why, and callers must show "not available", never 0.

The package domains are summed (several sockets); sub-domains (``intel-rapl:0:0`` cores,
``:1`` uncore/DRAM) are part of or beside the package and are not added, and the duplicate
``intel-rapl-mmio`` domains are skipped. RAPL measures the whole package, so other processes'
work during a measurement is counted too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

POWERCAP_ROOT = Path("/sys/class/powercap")

_PACKAGE_DIR = re.compile(r"^intel-rapl:\d+$")


@dataclass(frozen=True)
class RaplDomain:
    """One package domain: its counter file and wrap-around range (microjoules)."""

    name: str
    energy_file: Path
    max_range_uj: int


class EnergyMeter:
    """Reads the package energy counters.

    ``available`` is False when no counter can be read; ``reason`` then says why, for people.
    ``source`` names the domains read ("RAPL package-0").

    Args:
        root: the powercap folder (tests point it at a fake tree).
    """

    def __init__(self, root: Path = POWERCAP_ROOT) -> None:
        self.domains: tuple[RaplDomain, ...] = ()
        self.reason = ""
        domains: list[RaplDomain] = []
        try:
            candidates = sorted(p for p in root.iterdir() if _PACKAGE_DIR.match(p.name))
        except OSError:
            candidates = []
        if not candidates:
            self.reason = "no RAPL energy counters on this machine (or not exposed to it)"
            return
        unreadable = False
        for folder in candidates:
            try:
                name = (folder / "name").read_text(encoding="ascii").strip() or folder.name
                int((folder / "energy_uj").read_text(encoding="ascii"))
                max_range = int((folder / "max_energy_range_uj").read_text(encoding="ascii"))
            except PermissionError:
                unreadable = True
                continue
            except (OSError, ValueError):
                continue
            domains.append(RaplDomain(name, folder / "energy_uj", max_range))
        self.domains = tuple(domains)
        if not domains:
            self.reason = (
                "the RAPL energy counters are readable by root only (Linux 5.10 and later)"
                if unreadable
                else "the RAPL energy counters cannot be read"
            )

    @property
    def available(self) -> bool:
        """True when at least one package counter is readable."""
        return bool(self.domains)

    @property
    def source(self) -> str:
        """``"RAPL package-0 + package-1"``, "" when not available."""
        return "RAPL " + " + ".join(d.name for d in self.domains) if self.domains else ""

    def read(self) -> tuple[int, ...]:
        """The counters now, microjoules, one per domain (empty when not available).

        Raises:
            OSError: a counter that was readable at construction no longer is.
        """
        return tuple(int(d.energy_file.read_text(encoding="ascii")) for d in self.domains)

    def joules(self, before: tuple[int, ...], after: tuple[int, ...]) -> float:
        """Energy between two :meth:`read` results, in joules; a counter that wrapped once is
        corrected with ``max_energy_range_uj`` (counters wrap after minutes to hours)."""
        total = 0
        for domain, start, end in zip(self.domains, before, after, strict=True):
            delta = end - start
            if delta < 0:
                delta += domain.max_range_uj
            total += delta
        return total / 1e6
