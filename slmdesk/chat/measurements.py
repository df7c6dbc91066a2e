"""What a chat's engine measured, stored next to the fit estimate it should match."""

from __future__ import annotations

import logging
from dataclasses import asdict

from slmdesk.core.errors import UserError
from slmdesk.engine import LoadInfo
from slmdesk.inventory import fit_records
from slmdesk.inventory.repository import Inventory

log = logging.getLogger(__name__)


def record_engine_peak(
    inventory: Inventory, artifact_id: int, info: LoadInfo | None, peak_rss_bytes: int,
    pp_tps: float | None = None, tg_tps: float | None = None,
) -> bool:
    """Store the engine's peak resident memory (VmHWM, bytes) for ``artifact_id`` loaded as
    ``info`` says: once right after the load, then after each reply with its speeds
    (tokens/s), since the compute buffers and the KV cache grow the peak while it generates.
    Returns False, storing nothing, without a load info or a peak, or when the inventory is
    unavailable (logged: the chat goes on)."""
    if info is None or not peak_rss_bytes:
        return False
    try:
        fit_records.add_measurement(
            inventory, artifact_id, asdict(info.settings), peak_rss_bytes,
            load_s=info.load_s, pp_tps=pp_tps, tg_tps=tg_tps, backend=info.backend,
        )
    except UserError as error:
        log.warning("measurement not stored: %s", error)
        return False
    return True
