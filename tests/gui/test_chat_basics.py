"""Chat basics people expect, with the preview's fake engine (no model file): Enter sends and
Shift+Enter adds a line, coloured code in light and dark palettes, Copy and the time on every
message, reply versions to flip through, buttons that need messages, the token count of a new
chat, system-prompt presets, and exports with valid file names in the folder used last."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import QLocale, QSettings, Qt, QTime, QUrl
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QWidget

from slmdesk.chat import ChatSession
from slmdesk.chat.presets import SYSTEM_PROMPT_PRESETS
from slmdesk.core.settings import Settings, load_settings
from slmdesk.inventory import conversations as store
from slmdesk.inventory.repository import open_inventory
from slmdesk.jobs.engine_session import EngineSession
from slmdesk.jobs.runner import JobRunner
from slmdesk.paths import AppPaths
from slmdesk.ui.chat import exporter as exporter_module
from slmdesk.ui.chat.exporter import MARKDOWN, ConversationExporter
from slmdesk.ui.chat.highlight import CODE_CLASSES
from slmdesk.ui.chat.pane import ChatPane
from slmdesk.ui.chat.preview import CANNED_REPLY, FakeEngineClient
from slmdesk.ui.chat.transcript import TranscriptMessage, TranscriptView, message_time, style_sheet
from slmdesk.ui.i18n import format_datetime, format_number
from slmdesk.ui.palette import colour_hex
from slmdesk.ui.settings.pane import PreferencesBox

TIMEOUT_MS = 10_000


def _plural(text: str) -> str:
    """``text`` as the English translation's plural forms show it for a count above one (the
    tests install no translator, so Qt shows the source's "token(s)")."""
    return text.replace("token(s)", "tokens")
BATCH = FakeEngineClient().batch_chars  # characters per batch of fake_chat's engine


def _ask(qtbot, pane: ChatPane, session: EngineSession, text: str, batches: int = 2) -> None:
    pane.generation.max_tokens.setValue(batches)  # the fake engine stops after this many batches
    pane.composer.input_edit.setPlainText(text)
    with qtbot.waitSignal(session.reply_finished, timeout=TIMEOUT_MS):
        pane.send()


def _regenerate(qtbot, pane: ChatPane, session: EngineSession, batches: int) -> None:
    pane.generation.max_tokens.setValue(batches)
    with qtbot.waitSignal(session.reply_finished, timeout=TIMEOUT_MS):
        pane.composer.regenerate_button.click()


def _stored(inventory, pane: ChatPane) -> list[tuple[str, str]]:
    return [(m.role, m.content) for m in store.list_messages(inventory, pane.current_conversation_id())]


# -- the message box -------------------------------------------------------------------------
def test_enter_sends_shift_enter_adds_a_line_and_the_setting_makes_enter_a_new_line(qtbot, fake_chat) -> None:
    pane, inventory, session, _runner, _clients = fake_chat
    pane.new_conversation()
    box = pane.composer.input_edit
    box.setFocus()
    assert "Enter to send, Shift+Enter for a new line" in box.placeholderText()
    qtbot.keyClicks(box, "Line one")
    qtbot.keyClick(box, Qt.Key.Key_Return, Qt.KeyboardModifier.ShiftModifier)
    qtbot.keyClicks(box, "Line two")
    assert box.toPlainText() == "Line one\nLine two" and _stored(inventory, pane) == []
    pane.generation.max_tokens.setValue(1)
    with qtbot.waitSignal(session.reply_finished, timeout=TIMEOUT_MS):
        qtbot.keyClick(box, Qt.Key.Key_Return)
    assert _stored(inventory, pane)[0] == ("user", "Line one\nLine two") and box.toPlainText() == ""
    with qtbot.waitSignal(session.reply_finished, timeout=TIMEOUT_MS):  # the keypad's Enter too
        qtbot.keyClicks(box, "Keypad")
        qtbot.keyClick(box, Qt.Key.Key_Enter, Qt.KeyboardModifier.KeypadModifier)
    assert _stored(inventory, pane)[2] == ("user", "Keypad")

    pane.set_enter_sends(False)
    assert "Ctrl+Enter to send" in box.placeholderText() and "Ctrl+Enter" in pane.composer.send_button.toolTip()
    qtbot.keyClicks(box, "First")
    qtbot.keyClick(box, Qt.Key.Key_Return)
    qtbot.keyClicks(box, "second")
    assert box.toPlainText() == "First\nsecond" and len(_stored(inventory, pane)) == 4 and not session.busy
    with qtbot.waitSignal(session.reply_finished, timeout=TIMEOUT_MS):
        qtbot.keyClick(box, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert _stored(inventory, pane)[4] == ("user", "First\nsecond")


def test_the_settings_pane_saves_whether_enter_sends(qtbot, tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    box = PreferencesBox(Settings(), path)
    qtbot.addWidget(box)
    assert box.enter_sends_check.isChecked()
    box.enter_sends_check.setChecked(False)
    with qtbot.waitSignal(box.settings_saved) as saved:
        assert box.save()
    assert saved.args[0].enter_sends is False and load_settings(path).enter_sends is False


# -- the transcript --------------------------------------------------------------------------
def _luminance(hex_colour: str) -> float:
    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def _contrast(a: str, b: str) -> float:
    """WCAG 2 contrast ratio of two ``#rrggbb`` colours (1 to 21)."""
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def _fragments(view: TranscriptView) -> dict[str, str]:
    """Each text fragment of the document -> its colour."""
    found, block = {}, view.document().begin()
    while block.isValid():
        iterator = block.begin()
        while not iterator.atEnd():
            fragment = iterator.fragment()
            found[fragment.text()] = fragment.charFormat().foreground().color().name()
            iterator += 1
        block = block.next()
    return found


@pytest.mark.parametrize("dark", [False, True])
def test_code_is_coloured_from_the_palette_readably_in_light_and_dark(qtbot, dark: bool) -> None:
    background = colour_hex("code.background", dark)
    for role in CODE_CLASSES.values():
        assert _contrast(colour_hex(role, dark), background) >= 4.5, role  # WCAG AA for text
    view = TranscriptView()
    qtbot.addWidget(view)
    view.document().setDefaultStyleSheet(style_sheet(dark))
    view.set_messages([TranscriptMessage("user", "Code?"), TranscriptMessage(
        "assistant", "```python\ndef area(r):\n    return 3.14 * r  # approx\n```")])
    colours = _fragments(view)
    assert colours["def "] == colour_hex("code.keyword", dark)
    assert colours["area"] == colour_hex("code.name", dark)
    assert colours["3.14 "] == colour_hex("code.number", dark)
    assert colours["# approx"] == colour_hex("code.comment", dark)
    assert "Copy code" in colours  # the code block's own Copy link is still there


def test_every_message_shows_its_time_and_copies_its_text(qtbot) -> None:
    now = datetime.now(UTC)
    view = TranscriptView()
    qtbot.addWidget(view)
    reply = "Use **Q4_K_M**:\n\n```sh\nls\n```"
    view.set_messages([
        TranscriptMessage("user", "Which quantization?", created_at=now),
        TranscriptMessage("assistant", reply, created_at=now - timedelta(days=400)),
    ])
    lines = view.toPlainText().splitlines()
    assert lines[0] == f"You · {message_time(now)} · Copy"
    older = format_datetime((now - timedelta(days=400)).astimezone())
    assert f"Assistant · {older} · Copy" in lines
    with qtbot.waitSignal(view.copied) as copied:
        view.anchorClicked.emit(QUrl("copy-message:1"))
    assert copied.args == [reply] and QGuiApplication.clipboard().text() == reply  # the Markdown as written
    view.anchorClicked.emit(QUrl("copy-message:0"))
    assert QGuiApplication.clipboard().text() == "Which quantization?"
    view.anchorClicked.emit(QUrl("copy-message:7"))  # no such message: nothing happens
    assert QGuiApplication.clipboard().text() == "Which quantization?"


def _short_time(moment: datetime) -> str:
    """The locale's short time of day (``'14:03'``, ``'2:03 PM'``)."""
    return QLocale().toString(QTime(moment.hour, moment.minute), QLocale.FormatType.ShortFormat)


def test_message_times_are_local_with_the_date_on_other_days() -> None:
    now = datetime(2026, 3, 4, 15, 0).astimezone()
    assert message_time(now - timedelta(minutes=5), now) == _short_time(now - timedelta(minutes=5))
    assert message_time(now - timedelta(days=1), now) == format_datetime(now - timedelta(days=1))
    stored = datetime(2026, 3, 4, 14, 0, tzinfo=UTC)  # the inventory keeps UTC: shown in local time
    assert message_time(stored, stored) == _short_time(stored.astimezone())


# -- turns -----------------------------------------------------------------------------------
def test_regenerate_keeps_versions_to_flip_through_and_they_persist(qtbot, fake_chat) -> None:
    pane, inventory, session, _runner, _clients = fake_chat
    pane.new_conversation()
    _ask(qtbot, pane, session, "Speed?", batches=2)
    first = CANNED_REPLY.format(question="Speed?")[: 2 * BATCH]
    assert "1/" not in pane.transcript.toPlainText()  # one version: no switcher
    _regenerate(qtbot, pane, session, batches=3)
    second = CANNED_REPLY.format(question="Speed?")[: 3 * BATCH]
    assert _stored(inventory, pane) == [("user", "Speed?"), ("assistant", second)]
    assert "‹ 2/2 ›" in pane.transcript.toPlainText()

    pane.transcript.anchorClicked.emit(QUrl("version:-1"))
    assert _stored(inventory, pane)[-1] == ("assistant", first)
    assert "‹ 1/2 ›" in pane.transcript.toPlainText() and pane.transcript.messages()[-1].content == first
    assert pane.transcript.toPlainText().count("You ·") == 1  # the reply was replaced, not appended
    pane.transcript.anchorClicked.emit(QUrl("version:-1"))  # nothing before the first
    assert "‹ 1/2 ›" in pane.transcript.toPlainText()

    chat_id = pane.current_conversation_id()
    pane.new_conversation()
    pane.open_conversation(chat_id)  # stored: the same version comes back
    assert "‹ 1/2 ›" in pane.transcript.toPlainText() and pane.transcript.messages()[-1].content == first
    _regenerate(qtbot, pane, session, batches=1)
    assert "‹ 3/3 ›" in pane.transcript.toPlainText()
    assert [v.content for v in store.list_reply_versions(inventory, store.list_messages(inventory, chat_id)[-1].id)] \
        == [first, second, CANNED_REPLY.format(question="Speed?")[:BATCH]]
    pane.transcript.anchorClicked.emit(QUrl("version:1"))  # nothing after the last
    assert _stored(inventory, pane)[-1][1] == CANNED_REPLY.format(question="Speed?")[:BATCH]


def test_regenerate_and_export_need_messages_and_a_new_chat_counts_from_zero(qtbot, fake_chat) -> None:
    pane, _inventory, session, _runner, _clients = fake_chat
    composer, generation = pane.composer, pane.generation
    assert composer.regenerate_button.isEnabled() and generation.export_md_button.isEnabled()  # a stored chat
    pane.new_conversation()
    assert not composer.regenerate_button.isEnabled() and not composer.edit_button.isEnabled()
    assert not generation.export_md_button.isEnabled() and not generation.export_json_button.isEnabled()
    empty = f"Conversation: 0 / {format_number(2048)} tokens"
    assert _plural(composer.token_label.text()) == empty
    _ask(qtbot, pane, session, "How fast?")
    counted = composer.token_label.text()
    assert _plural(counted) != empty and _plural(counted).endswith(f" / {format_number(2048)} tokens")
    assert composer.regenerate_button.isEnabled() and generation.export_json_button.isEnabled()
    asked = pane.current_conversation_id()
    qtbot.keyClick(composer.input_edit, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    assert _plural(composer.token_label.text()) == empty
    assert not composer.regenerate_button.isEnabled() and not generation.export_md_button.isEnabled()
    pane.open_conversation(asked)
    assert composer.token_label.text() == counted  # the count of the reply it ends with
    pane.composer.edit_button.click()  # taking the only question back empties it again
    assert not composer.regenerate_button.isEnabled() and not generation.export_md_button.isEnabled()


def test_presets_fill_the_system_prompt_and_your_own_text_comes_back(qtbot, fake_chat) -> None:
    pane, _inventory, session, _runner, clients = fake_chat
    combo, edit = pane.generation.preset_combo, pane.generation.system_edit
    pane.new_conversation()
    edit.setPlainText("")
    assert combo.currentText() == "None"
    edit.setPlainText("Answer in French.")
    assert combo.currentText() == "Your own"
    concise = next(p for p in SYSTEM_PROMPT_PRESETS if p.name == "Concise")
    combo.activated.emit(combo.findText("Concise"))
    assert edit.toPlainText() == concise.text and combo.currentText() == "Concise"
    combo.activated.emit(combo.findText("Your own"))
    assert edit.toPlainText() == "Answer in French." and combo.currentText() == "Your own"
    combo.activated.emit(combo.findText("Concise"))
    _ask(qtbot, pane, session, "Hello", batches=1)
    assert clients[0].requests[-1][0] == {"role": "system", "content": concise.text}
    combo.activated.emit(combo.findText("None"))
    assert edit.toPlainText() == ""


# -- export ----------------------------------------------------------------------------------
def test_export_offers_a_valid_name_in_the_folder_used_last_as_a_plain_job(qtbot, fake_chat, tmp_path,
                                                                           monkeypatch) -> None:
    pane, _inventory, session, runner, _clients = fake_chat
    pane.new_conversation()
    _ask(qtbot, pane, session, 'Plan: "Q3"? <draft> | v2*.', batches=1)
    offered: list[tuple[str, str]] = []
    chosen = [tmp_path / "exports" / "first.md", tmp_path / "exports" / "second.json"]
    chosen[0].parent.mkdir()

    def save_dialog(_parent, _caption, start, file_filter):
        offered.append((start, file_filter))
        return str(chosen[len(offered) - 1]), file_filter

    monkeypatch.setattr(exporter_module.QFileDialog, "getSaveFileName", save_dialog)
    pane.generation.export_md_button.click()
    assert Path(offered[0][0]) == Path.home() / "Plan Q3 draft v2.md" and offered[0][1] == "Markdown files (*.md)"
    job = runner.jobs()[-1]
    qtbot.waitUntil(lambda: job.state.is_final, timeout=TIMEOUT_MS)
    assert job.title == "Export conversation to first.md" and job.error == ""
    assert job.progress.bytes_done is None and job.progress.bytes_total is None  # not a "MiB / MiB" job
    assert chosen[0].read_text(encoding="utf-8").startswith('# Plan: "Q3"? <draft> | v2*.')
    pane.generation.export_json_button.click()
    assert Path(offered[1][0]) == tmp_path / "exports" / "Plan Q3 draft v2.json"  # the folder used last
    qtbot.waitUntil(lambda: runner.jobs()[-1].state.is_final, timeout=TIMEOUT_MS)
    assert chosen[1].is_file()


def test_the_export_folder_is_remembered_across_sessions(qtbot, app_paths: AppPaths, tmp_path: Path) -> None:
    app_paths.ensure()
    inventory = open_inventory(app_paths.database)
    conversation = ChatSession.create(inventory, title="Notes")
    store.add_message(inventory, conversation.id, "user", "Remember this.")
    runner = JobRunner()
    parent = QWidget()
    qtbot.addWidget(parent)
    ini = str(tmp_path / "window.ini")
    state = QSettings(ini, QSettings.Format.IniFormat)
    first = ConversationExporter(runner, parent, lambda: (conversation, None), state)
    assert first.folder() == Path.home()
    (tmp_path / "notes").mkdir()
    job_id = first.export(tmp_path / "notes" / "notes.md", MARKDOWN.render)
    qtbot.waitUntil(lambda: runner.job(job_id).state.is_final, timeout=TIMEOUT_MS)
    assert "Remember this." in (tmp_path / "notes" / "notes.md").read_text(encoding="utf-8")
    del first
    state.sync()  # as the main window does when it closes
    later = ConversationExporter(runner, parent, lambda: None, QSettings(ini, QSettings.Format.IniFormat))
    assert later.suggested_path("CON", MARKDOWN) == tmp_path / "notes" / "_CON.md"
    assert later.export(tmp_path / "x.md", MARKDOWN.render) is None  # no conversation: nothing to do
    assert runner.shutdown(10_000)
    inventory.close()
