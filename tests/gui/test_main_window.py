"""The main window: panes, shortcuts, remembered state, status bar and About."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel

from slmdesk.paths import AppPaths
from slmdesk.ui.about import AboutDialog, about_rows
from slmdesk.ui.main_window import PANE_NAMES


def test_sidebar_lists_every_pane_in_order(make_window) -> None:
    window = make_window()
    names = [window.sidebar.item(i).text() for i in range(window.sidebar.count())]
    assert names == ["Library", "Catalog", "Quantize", "Chat", "Benchmark", "Jobs", "Settings"]
    assert window.current_pane_name() == "Library"


def test_every_pane_is_built_none_promises_a_later_version(make_window) -> None:
    window = make_window()
    assert list(window.panes) == list(PANE_NAMES)
    for name, pane in window.panes.items():
        texts = " ".join(label.text() for label in pane.findChildren(QLabel))
        assert "Coming in a later version" not in texts, name


def test_every_pane_has_a_ctrl_number_shortcut(make_window) -> None:
    # The offscreen platform never activates windows, so shortcuts cannot be key-clicked
    # here; check the bindings and trigger the actions they are bound to.
    window = make_window()
    actions = {action.shortcut().toString(): action for action in window.actions()}
    for number, name in enumerate(PANE_NAMES, start=1):
        action = actions[f"Ctrl+{number}"]
        action.trigger()
        assert window.current_pane_name() == name


def test_size_position_and_last_pane_are_remembered(qtbot, make_window, app_paths: AppPaths) -> None:
    first = make_window()
    first.resize(761, 533)  # inside the 800x600 offscreen screen: restoreGeometry clamps
    first.show_pane("Benchmark")
    first.close()
    assert app_paths.window_state_file.is_file()
    second = make_window()
    assert second.current_pane_name() == "Benchmark"
    assert (second.width(), second.height()) == (761, 533)


def test_status_bar_shows_live_ram_and_cpu(make_window) -> None:
    window = make_window()
    text = window.usage_label.text()
    assert text.startswith("RAM ") and "GiB" in text
    assert "CPU " in text and "%" in text
    assert "GPU" in text  # "GPU none" or a device name with VRAM


def test_about_lists_the_versions_that_matter(qtbot) -> None:
    rows = dict(about_rows())
    for component in ("slmdesk", "Python", "Qt", "llama.cpp", "onnxruntime-genai"):
        assert rows[component] and rows[component] != "not installed", component
    assert "PySide6" in rows["Qt"]
    assert rows["llama.cpp build"].startswith("portable (runtime CPU dispatch), recipe ")
    assert rows["llama.cpp runs on"].startswith("not probed yet")  # nothing cached, nothing started
    dialog = AboutDialog()
    qtbot.addWidget(dialog)
    label_text = dialog.findChild(QLabel).text()
    assert "onnxruntime-genai" in label_text and rows["onnxruntime-genai"] in label_text


def test_settings_pane_shows_where_files_live(make_window, app_paths: AppPaths) -> None:
    window = make_window()
    fields = window.panes["Settings"].path_fields
    assert fields["Models"].text() == str(app_paths.models)
    assert fields["Data (inventory)"].text() == str(app_paths.data)


def test_settings_lists_and_edits_the_scanned_folders(make_window, qtmodeltester, tmp_path) -> None:
    window = make_window()
    box = window.panes["Settings"].scan_roots
    folder = tmp_path / "my-models"
    folder.mkdir()
    box.add_folder(folder, "folder")
    qtmodeltester.check(box.model)
    index = box.model.index(0, 0)
    assert box.model.rowCount() == 1 and str(folder) in index.data()
    inventory = window._context.inventory
    assert box.model.setData(index, Qt.CheckState.Unchecked.value, Qt.ItemDataRole.CheckStateRole)
    assert inventory.list_scan_roots(enabled_only=True) == []
    box.list.setCurrentIndex(index)
    box.remove_selected()
    assert box.model.rowCount() == 0 and inventory.list_scan_roots() == []


def test_about_shows_what_llama_cpp_runs_on_from_the_cached_probe(qtbot, tmp_path) -> None:
    import json

    from slmdesk.hardware import backends

    runtime = {"engine": "llama.cpp 0c1e57098", "build": "portable", "cpu_variant": "zen4",
               "cpu_features": ["AVX2", "AVX512"], "repack": True,
               "notes": ["AMX variant sapphirerapids not used: ... (llama.cpp issue 20824)."]}
    info = {"llama_version": "0.3.36", "llama_gpu_offload": False, "llama_devices": [], "llama_gpu_memory": [],
            "llama_system_info": "", "llama_runtime": runtime, "onnxruntime_version": None, "onnx_providers": []}
    (tmp_path / backends.CACHE_FILE).write_text(json.dumps({"key": backends._cache_key(), "info": info}))
    rows = about_rows(tmp_path)
    assert dict(rows)["llama.cpp runs on"] == "CPU zen4 (AVX2, AVX512) · repack on"
    assert ("Note", runtime["notes"][0]) in rows
    dialog = AboutDialog(cache_dir=tmp_path)
    qtbot.addWidget(dialog)
    assert "CPU zen4" in dialog.findChild(QLabel).text() and "20824" in dialog.findChild(QLabel).text()


def test_chat_loads_with_the_load_plan_and_automatic_gpu_layers_from_the_estimate(make_window) -> None:
    from dataclasses import replace
    from types import SimpleNamespace

    from slmdesk.core.load_plan import LoadPlan
    from tests.inventory_factory import insert_artifacts

    window = make_window()
    insert_artifacts(window._context.inventory, 1)
    record = replace(window._context.inventory.get_artifact(1), context_length=2048)
    # No plan yet: Settings' default context (4096) capped at the model's 2048, CPU only.
    default = window.load_settings_for(record)
    assert (default.n_ctx, default.type_k, default.flash_attn, default.n_gpu_layers) == (2048, "f16", False, 0)
    # A saved plan with automatic GPU layers loads with the layers the Library estimated, not all.
    window._context.plans.save(1, LoadPlan(n_ctx=1024, kv_type="q8_0", n_gpu_layers=None))
    assert window.load_settings_for(record).n_gpu_layers == 0  # no estimate yet: the CPU
    window.library._estimates[1] = SimpleNamespace(gpu_layers=7)
    settings = window.load_settings_for(record)
    assert (settings.n_ctx, settings.type_k, settings.flash_attn, settings.n_gpu_layers) == (1024, "q8_0", True, 7)


def test_restart_now_closes_the_window_then_starts_slmdesk_again(make_window, monkeypatch) -> None:
    import sys

    from PySide6.QtCore import QProcess

    window = make_window()
    started: list[tuple[str, list[str]]] = []

    def start_detached(program: str, arguments: list[str]) -> tuple[bool, int]:
        assert not window.isVisible(), "the new slmdesk starts only once this window has closed"
        started.append((program, arguments))
        return True, 4242

    monkeypatch.setattr(QProcess, "startDetached", staticmethod(start_detached))
    prefs = window.panes["Settings"].preferences
    window.show_pane("Settings")
    prefs.language_combo.setCurrentIndex(prefs.language_combo.findData("sv"))
    assert prefs.save()
    assert prefs.restart_note.text() == "The new language takes effect when slmdesk restarts."
    assert prefs.restart_button.isVisibleTo(window)
    prefs.restart_button.click()
    assert started == [(sys.executable, ["-m", "slmdesk", *sys.argv[1:]])]


def test_sidebar_menus_and_title_use_the_pane_ids_for_state(make_window) -> None:
    from slmdesk.ui.main_window import pane_title

    window = make_window()
    window.show_pane("Jobs")
    assert window.windowTitle() == f"{pane_title('Jobs')} — slmdesk"
    assert window.sidebar.item(PANE_NAMES.index("Jobs")).toolTip() == "Jobs (Ctrl+6)"
    assert window.current_pane_name() == "Jobs"  # the English id the window-state file keeps
