"""What the composition root hands to the main window: services built once in ``app.py``."""

from __future__ import annotations

from dataclasses import dataclass

from slmdesk.core.settings import Settings
from slmdesk.hardware.live import UsageSampler
from slmdesk.inventory.load_plans import LoadPlanStore
from slmdesk.inventory.repository import Inventory
from slmdesk.jobs.engine_session import EngineSession
from slmdesk.jobs.runner import JobRunner
from slmdesk.paths import AppPaths


@dataclass
class AppContext:
    """Services shared by the panes; no pane builds its own."""

    paths: AppPaths
    settings: Settings
    runner: JobRunner
    sampler: UsageSampler
    inventory: Inventory
    engine: EngineSession
    plans: LoadPlanStore
