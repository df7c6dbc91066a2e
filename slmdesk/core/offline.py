"""Offline mode, the one switch: Settings' ``offline_mode``, turned on for one run by ``--offline`` or
``SLMDESK_OFFLINE=1``; applied to the environment that every child process inherits and to the
network guard (:mod:`slmdesk.core.netguard`) of this process.

Every composition root calls :func:`apply_network_policy` before anything can open a connection
or import huggingface_hub: the GUI (``app.build_context``), each command (``cli.run_headless``,
which the engine and probe children also pass through) and the engine host's entry.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass

from slmdesk import paths
from slmdesk.core import netguard, network_log

OFFLINE_ENV = "SLMDESK_OFFLINE"
"""``1`` (or ``true``, ``yes``, ``on``): offline mode for this run whatever Settings say; set by
``--offline`` and by :func:`apply_offline_mode`, so child processes inherit it."""

ADDED_ENV = "SLMDESK_OFFLINE_ADDED"
"""``<pid>:<NAME>,<NAME>``: the variables process ``pid`` set for offline mode, so that turning it
off there removes only those (an ``HF_HUB_OFFLINE=1`` the user exported stays). A child sees
another pid, so the ``SLMDESK_OFFLINE=1`` it inherited counts as this run's override."""

HUB_OFFLINE_VARS = ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_DATASETS_OFFLINE")
"""Read at import by huggingface_hub (``constants.HF_HUB_OFFLINE``: every request then raises
``OfflineModeIsEnabled`` before connecting), transformers and datasets."""

TELEMETRY_OFF = {
    "HF_HUB_DISABLE_TELEMETRY": "1",  # huggingface_hub: user-agent details and the agent-harness fetch
    "DO_NOT_TRACK": "1",  # the cross-tool convention (https://donottrack.sh); huggingface_hub reads it too
    "ORT_DISABLE_TELEMETRY": "1",  # ONNX Runtime GenAI's 1DS telemetry (its docs/Privacy.md)
    "OLIVE_DISABLE_TELEMETRY": "1",  # Microsoft Olive, should an ONNX build use it (its docs/Privacy.md)
}
"""Variables that turn dependencies' telemetry off; set in every slmdesk process (a value the user
chose is kept unless offline mode is on). slmdesk itself has no telemetry and no update check."""

_TRUE = frozenset({"1", "ON", "YES", "TRUE"})  # huggingface_hub's constants._is_true


@dataclass(frozen=True)
class OfflineState:
    """Offline mode as this process applied it.

    Attributes:
        on: nothing leaves this computer.
        setting: Settings' ``offline_mode``.
        forced: ``--offline`` or ``SLMDESK_OFFLINE=1`` turned it on for this run.
    """

    on: bool
    setting: bool
    forced: bool

    def describe(self) -> str:
        """One sentence: whether offline mode is on, and what turned it on."""
        if not self.on:
            return "Offline mode is off."
        sources = (("Settings", self.setting), ("--offline or SLMDESK_OFFLINE=1", self.forced))
        why = [what for what, yes in sources if yes]
        return f"Offline mode is on ({' and '.join(why)})."

    def how_to_turn_off(self) -> str:
        """What the user does to connect again (empty when offline mode is off)."""
        steps = []
        if self.forced:
            steps.append("run without --offline and with SLMDESK_OFFLINE unset")
        if self.setting:
            steps.append("clear Settings > Offline mode (or set \"offline_mode\": false in the settings file)")
        return f"To connect, {' and '.join(steps)}." if steps else ""


def is_true(value: str | None) -> bool:
    """An environment value that means yes: ``1``, ``on``, ``yes``, ``true`` in any case."""
    return (value or "").strip().upper() in _TRUE


def _added(env: Mapping[str, str]) -> tuple[int | None, list[str]]:
    pid, _, names = env.get(ADDED_ENV, "").partition(":")
    return (int(pid) if pid.isdigit() else None), [name for name in names.split(",") if name]


def forced_by_environment(environ: Mapping[str, str] | None = None) -> bool:
    """Whether ``SLMDESK_OFFLINE`` turns offline mode on for this run: set to a true value by the
    user, by ``--offline``, or inherited from a parent process (not set by this process itself)."""
    env = os.environ if environ is None else environ
    if not is_true(env.get(OFFLINE_ENV)):
        return False
    pid, names = _added(env)
    return not (pid == os.getpid() and OFFLINE_ENV in names)


def resolve(setting: bool, environ: Mapping[str, str] | None = None) -> OfflineState:
    """Offline mode from Settings' ``offline_mode`` and the environment's override."""
    forced = forced_by_environment(environ)
    return OfflineState(on=setting or forced, setting=setting, forced=forced)


def apply_offline_mode(offline: bool, environ: MutableMapping[str, str] | None = None) -> None:
    """Make offline mode real for this process and the children it starts later.

    On: ``SLMDESK_OFFLINE=1`` and :data:`HUB_OFFLINE_VARS` set to ``1`` in ``environ`` (default
    ``os.environ``), the ones that were not already true recorded in :data:`ADDED_ENV`; telemetry
    off (:data:`TELEMETRY_OFF`, overriding the user's values). Off: the variables this process
    added are removed; telemetry stays off unless the user chose otherwise. Either way an
    already imported ``huggingface_hub.constants`` is updated (it reads the variables only at
    import, and its ``HF_HUB_OFFLINE`` per request).
    """
    env = os.environ if environ is None else environ
    pid, added = _added(env)
    mine = added if pid == os.getpid() else []
    if offline:
        for name in (OFFLINE_ENV, *HUB_OFFLINE_VARS):
            if not is_true(env.get(name)):
                env[name] = "1"
                mine.append(name)
        env.update(TELEMETRY_OFF)
    else:
        for name in mine:
            env.pop(name, None)
        mine = []
        for name, value in TELEMETRY_OFF.items():
            env.setdefault(name, value)
    if mine:
        env[ADDED_ENV] = f"{os.getpid()}:{','.join(dict.fromkeys(mine))}"
    elif pid == os.getpid():
        env.pop(ADDED_ENV, None)
    constants = sys.modules.get("huggingface_hub.constants")
    if constants is not None:
        # huggingface_hub reads these attributes per request (field-notes 4.3).
        setattr(constants, "HF_HUB_OFFLINE", is_true(env.get("HF_HUB_OFFLINE") or env.get("TRANSFORMERS_OFFLINE")))  # noqa: B010
        setattr(constants, "HF_HUB_DISABLE_TELEMETRY",  # noqa: B010
                is_true(env.get("HF_HUB_DISABLE_TELEMETRY")) or is_true(env.get("DO_NOT_TRACK")))


_state: OfflineState | None = None


def apply_network_policy(setting: bool, *, process: str | None = None,
                         app_paths: paths.AppPaths | None = None) -> OfflineState:
    """Resolve offline mode (:func:`resolve`), apply it to ``os.environ``
    (:func:`apply_offline_mode`) and guard this process with it (:func:`netguard.install`,
    logging to :func:`network_log.log_path`; the log is rotated when large, at the first call).

    Args:
        setting: Settings' ``offline_mode``.
        process: this process's name in the Network log (``slmdesk GUI``, ``slmdesk scan``);
            None keeps the name given before (``slmdesk`` at the first call).
        app_paths: where the data folder is (default: :func:`slmdesk.paths.resolve`).

    Returns the state applied (also :func:`current`).
    """
    global _state
    state = resolve(setting)
    apply_offline_mode(state.on)
    log_file = network_log.log_path(app_paths or paths.resolve())
    previous = netguard.current()
    if previous is None:
        network_log.rotate_if_large(log_file)
    name = process or (previous.process if previous is not None else "slmdesk")
    netguard.install(offline=state.on, process=name, log_file=log_file)
    _state = state
    return state


def update_setting(setting: bool) -> OfflineState:
    """Apply a changed Settings ``offline_mode`` in a running process (Settings saved in the GUI):
    the environment later children inherit and the guard in force, if this process has one (it
    is installed once, at start, by :func:`apply_network_policy`). An override for this run
    (``--offline``, ``SLMDESK_OFFLINE=1``) keeps offline mode on. Returns the state now applied."""
    global _state
    state = resolve(setting)
    apply_offline_mode(state.on)
    netguard.set_offline(state.on)
    _state = state
    return state


def current() -> OfflineState:
    """Offline mode as last applied in this process (:func:`apply_network_policy`); without a
    call yet, what the environment says (``SLMDESK_OFFLINE``)."""
    if _state is not None:
        return _state
    return resolve(False)


def deactivate() -> None:
    """Stop guarding this process and forget the applied state (the audit hook stays, inert;
    the environment is left as it is). For tests that applied a policy in their own process."""
    global _state
    _state = None
    netguard.deactivate()
