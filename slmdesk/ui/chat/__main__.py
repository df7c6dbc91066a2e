"""Preview the Chat pane with fake data: ``python -m slmdesk.ui.chat [--screenshot out.png]``.

Runs against a throw-away inventory in a temporary folder (never the user's) holding a
made-up model and two conversations; the engine is a fake that streams a canned reply, so
Load, Send, Stop, Regenerate and Edit last all work without a model file. ``--screenshot``
loads the model, streams one reply, saves a picture of the pane and exits.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import cast

from slmdesk.engine.client import EngineClient


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--screenshot", type=Path, help="save a PNG of the pane after one reply and exit")
    args = parser.parse_args(argv)

    from PySide6.QtCore import QCoreApplication, QTimer
    from PySide6.QtWidgets import QApplication

    from slmdesk.engine.types import LoadSettings
    from slmdesk.inventory.repository import open_inventory
    from slmdesk.jobs.engine_session import EngineSession
    from slmdesk.jobs.runner import JobRunner
    from slmdesk.paths import HOME_ENV, resolve
    from slmdesk.ui.chat.pane import ChatPane
    from slmdesk.ui.chat.preview import (
        FakeEngineClient,
        add_fake_model,
        store_fake_conversations,
    )

    app = QApplication.instance() or QApplication(sys.argv[:1])
    with tempfile.TemporaryDirectory(prefix="slmdesk-chat-preview-") as folder:
        paths = resolve({HOME_ENV: folder}).ensure()
        inventory = open_inventory(paths.database)
        add_fake_model(inventory)
        store_fake_conversations(inventory)
        runner = JobRunner()
        session = EngineSession(client_factory=cast("Callable[[], EngineClient]", FakeEngineClient))
        pane = ChatPane(inventory, session, runner, lambda _artifact: LoadSettings(n_ctx=4096),
                        verdict_for=lambda _artifact_id: "fits in RAM")
        pane.setWindowTitle(QCoreApplication.translate("ChatPreview", "slmdesk — Chat (preview, fake model)"))
        pane.resize(1400, 860)
        pane.show()
        if args.screenshot:
            def ask() -> None:
                pane.composer.input_edit.setPlainText("Show me how to measure generation speed.")
                pane.send()

            def shoot(_done: object) -> None:
                QTimer.singleShot(200, lambda: (pane.grab().save(str(args.screenshot)), pane.close()))

            session.loaded.connect(ask)
            session.reply_finished.connect(shoot)
            QTimer.singleShot(200, pane.load_selected)
        code = app.exec()
        session.shutdown()
        runner.shutdown()
        inventory.close()
    return code


if __name__ == "__main__":
    sys.exit(main())
