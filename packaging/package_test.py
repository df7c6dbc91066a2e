"""Test the frozen app as a user gets it: copied to a folder whose path has spaces and non-ASCII
characters, run with an empty home and a minimal environment (``env -i``: no Python, no compiler
on PATH, no network), and, with ``--deb``, installed as a Debian package, started through its
desktop entry under Xvfb and removed again.

Checks: ``--version``; ``--smoke-test`` (every pane visited; the cold start to a ready window is
printed); the frozen executable's own engine child answers a one-shot chat with the bundled
SmolLM2 starter model (``slmdesk chat ... --json``), and with an ONNX model when the test cache
has one; ``slmdesk doctor --json`` reports the CPU variant and every version; no torch or
transformers inside; the bundle stays under :data:`SIZE_BUDGET_BYTES`.

    python packaging/package_test.py dist/slmdesk [--deb dist/slmdesk_0.1.0_amd64.deb]

Exits 1 on the first failed check (its output is printed).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import IO

ROOT = Path(__file__).resolve().parent.parent
SIZE_BUDGET_BYTES = 500 * 2**20
"""The one-folder bundle's budget (README, "Installers"): about 100 MiB of Qt (Core, Gui,
Widgets, Charts, Svg and the platform plugins), 94 MiB of the SmolLM2 starter model, about
60 MiB of ONNX Runtime and its GenAI layer, about 40 MiB of llama.cpp (14 CPU variants of
1-2 MiB each), about 60 MiB of numpy, Python and the rest. Measured with `make package`
(`du -sb`); the budget leaves room for a few Qt plugins and a newer onnxruntime."""

QUESTION = "Name the capital city of France."
FORBIDDEN = ("torch", "transformers", "tensorflow")
"""Packages that must never be in the bundle (the onnx-build extra's model-building stack)."""


class CheckFailed(Exception):
    pass


def _run(label: str, argv: list[str], env: dict[str, str], timeout: float = 300) -> subprocess.CompletedProcess[str]:
    started = time.perf_counter()
    done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=timeout)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise CheckFailed(f"{label}: exit {done.returncode} after {elapsed:.1f} s\n--- stdout\n{done.stdout[-3000:]}"
                          f"\n--- stderr\n{done.stderr[-3000:]}")
    print(f"  ok  {label} ({elapsed:.1f} s)")
    return done


def _size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def minimal_env(home: Path, slm_home: Path, empty_bin: Path) -> dict[str, str]:
    """What ``env -i`` leaves plus the few variables a desktop session would set."""
    env = {
        "HOME": str(home),
        "SLMDESK_HOME": str(slm_home),
        "PATH": str(empty_bin),  # nothing on it: no python, no compiler
        "LANG": "C.UTF-8",
        "QT_QPA_PLATFORM": "offscreen",
    }
    if sys.platform == "win32":  # Windows cannot start a process without these
        system_root = os.environ.get("SYSTEMROOT", r"C:\Windows")
        env.update(SYSTEMROOT=system_root, USERPROFILE=str(home), LOCALAPPDATA=str(home / "AppData" / "Local"),
                   APPDATA=str(home / "AppData" / "Roaming"), TEMP=str(home), TMP=str(home),
                   PATH=os.pathsep.join((str(empty_bin), str(Path(system_root) / "System32"))))
    return env


def layout(bundle: Path) -> tuple[Path, Path]:
    """``(executable, folder holding the bundled files)`` of a copied bundle: the one-folder app
    (``slmdesk`` + ``_internal``; on Windows the console twin ``slmdesk-cli.exe``) or a macOS
    ``slmdesk.app`` (``Contents/MacOS/slmdesk``, files under ``Contents``)."""
    if bundle.suffix == ".app":
        return bundle / "Contents" / "MacOS" / "slmdesk", bundle / "Contents"
    exe = bundle / ("slmdesk-cli.exe" if sys.platform == "win32" else "slmdesk")
    return exe, bundle / "_internal"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def check_api_server(exe: Path, model: Path, env: dict[str, str]) -> str:
    """Start the frozen ``slmdesk serve`` (uvicorn, Starlette, keyring found frozen), read its
    base URL and generated key from stdout, answer ``/v1/models`` and one chat completion, stop.

    Raises:
        CheckFailed: the server did not start within 120 s, refused the key or answered wrongly.
    """
    with tempfile.TemporaryFile(mode="w+", encoding="utf-8") as errors:  # never a pipe nobody reads
        return _serve_and_ask(exe, model, env, errors)


def _serve_and_ask(exe: Path, model: Path, env: dict[str, str], errors: IO[str]) -> str:
    port = _free_port()
    started = time.perf_counter()
    server = subprocess.Popen([str(exe), "serve", "--port", str(port), "--model", str(model), "--ctx", "512"],
                              env=env, stdout=subprocess.PIPE, stderr=errors, text=True)
    try:
        base = key = ""
        assert server.stdout is not None
        for line in server.stdout:
            if "base URL" in line:
                base = line.split("base URL", 1)[1].strip()
            elif "API key" in line:
                key = line.split("API key", 1)[1].split()[0]
                break
        if not base or not key:
            errors.seek(0)
            raise CheckFailed(f"serve printed no address and key (exit {server.poll()}): {errors.read()[-2000:]}")
        headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
        direct = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback, never a proxy
        deadline = time.monotonic() + 120
        while True:
            try:
                with direct.open(urllib.request.Request(f"{base}/models", headers=headers), timeout=10) as r:
                    models = json.loads(r.read())
                break
            except (urllib.error.URLError, ConnectionError) as error:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise CheckFailed(f"the frozen server did not answer /v1/models: {error}") from error
                time.sleep(0.5)
        model_id = models["data"][0]["id"]
        body = json.dumps({"model": model_id, "messages": [{"role": "user", "content": QUESTION}],
                           "max_tokens": 16, "temperature": 0}).encode()
        request = urllib.request.Request(f"{base}/chat/completions", data=body, headers=headers)
        with direct.open(request, timeout=120) as r:
            reply = json.loads(r.read())["choices"][0]["message"]["content"]
        if "Paris" not in reply:
            raise CheckFailed(f"the frozen server's SmolLM2 answered {reply!r}")
        print(f"  ok  local API server: /v1/models and a chat completion ({time.perf_counter() - started:.1f} s): "
              f"{reply.strip()!r}")
        return reply.strip()
    finally:
        if os.name == "nt":
            server.terminate()
        else:
            server.send_signal(signal.SIGINT)  # Ctrl-C: the server stops its engine and exits
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def check_catalog_and_quantize(exe: Path, starter: Path, env: dict[str, str], scratch: Path) -> dict[str, object]:
    """The curated catalog read from the bundle's resources, then a quantization and a quality
    check, each in a child the frozen executable starts of itself (``quantize-child``,
    ``quality-child``)."""
    rows = json.loads(_run("catalog from the bundled resources", [str(exe), "catalog", "--tier", "micro",
                                                                   "--recommend", "--json"], env).stdout)
    if not rows:
        raise CheckFailed("the frozen catalog recommends nothing in the micro tier")
    variant = scratch / "variant Q8_0 ✓.gguf"
    quantized = json.loads(_run("quantize in the frozen quantize child",
                                [str(exe), "quantize", str(starter), "--type", "Q8_0", "--allow-requantize",
                                 "--out", str(variant), "--json"], env).stdout)
    if quantized["type"] != "Q8_0" or not variant.is_file():
        raise CheckFailed(f"the frozen quantization gave {quantized!r}")
    text = scratch / "held-out.txt"
    text.write_text("The quick brown fox jumps over the lazy dog. " * 40, encoding="utf-8")
    quality = json.loads(_run("quality check in the frozen quality child",
                              [str(exe), "quality", str(starter), str(variant), "--text", str(text), "--ctx", "128",
                               "--json"], env).stdout)
    if not 0 <= quality["kld_mean"] < 1:
        raise CheckFailed(f"the frozen quality check gave {quality!r}")
    print(f"      catalog: {len(rows)} families recommended; Q8_0 in {quantized['seconds']:.1f} s; "
          f"KLD {quality['kld_mean']:.4f}, top-1 {quality['top1_agreement']:.1%}")
    return {"quantize_q8_0_s": quantized["seconds"], "kld_q8_0": quality["kld_mean"]}


def test_bundle(bundle: Path) -> dict[str, object]:
    figures: dict[str, object] = {}
    with tempfile.TemporaryDirectory(prefix="slmdesk package test ") as scratch:
        root = Path(scratch) / "Program Fïles ✓ (test)"
        target = root / ("slm desk.app" if bundle.suffix == ".app" else "slm desk")
        print(f"copying the bundle to {target}")
        shutil.copytree(bundle, target, symlinks=True)
        exe, internal = layout(target)
        home, slm_home, empty_bin = Path(scratch) / "home", Path(scratch) / "slmdesk home", Path(scratch) / "empty bin"
        for folder in (home, slm_home, empty_bin):
            folder.mkdir()
        env = minimal_env(home, slm_home, empty_bin)
        for tool in ("python3", "python", "gcc", "cc", "cmake"):
            if shutil.which(tool, path=env["PATH"]):
                raise CheckFailed(f"{tool} is on the test PATH")

        size = _size(target)
        figures["bundle_bytes"] = size
        print(f"  bundle size {size / 2**20:.1f} MiB (budget {SIZE_BUDGET_BYTES / 2**20:.0f} MiB)")
        if size > SIZE_BUDGET_BYTES:
            raise CheckFailed(
                f"the bundle is {size / 2**20:.1f} MiB, over its {SIZE_BUDGET_BYTES / 2**20:.0f} MiB budget"
            )
        for name in FORBIDDEN:
            found = [p for p in internal.rglob(name) if p.is_dir()]
            if found:
                raise CheckFailed(f"{name} is in the bundle ({found[0]})")
        print("  ok  no torch, transformers or tensorflow inside")
        for translation in ("slmdesk_sv.qm", "slmdesk_en.qm", "qtbase_sv.qm"):
            if not any(internal.rglob(translation)):
                raise CheckFailed(f"{translation} is not in the bundle (make translations, then package)")
        print("  ok  the Swedish and English translations are inside, with Qt's own")

        version = _run("--version", [str(exe), "--version"], env).stdout.strip()
        figures["version"] = version
        smoke = _run("--smoke-test (first run, every pane)", [str(exe), "--smoke-test"], env, timeout=180)
        print(f"      {smoke.stdout.strip()}")
        marker = "window ready "
        if marker in smoke.stdout:
            figures["cold_start_s"] = float(smoke.stdout.split(marker)[1].split(" s")[0])
        (slm_home / "config" / "settings.json").write_text(
            json.dumps({"version": 2, "language": "sv", "theme": "dark"}), encoding="utf-8")
        swedish = _run("--smoke-test in Swedish, dark theme", [str(exe), "--smoke-test"], env, timeout=180)
        if "language sv, dark theme" not in swedish.stdout:
            raise CheckFailed(f"the Swedish smoke test ran in another language: {swedish.stdout.strip()}")
        (slm_home / "config" / "settings.json").unlink()
        print("  ok  every pane opens in Swedish with the dark theme")
        if not (slm_home / "data" / "inventory.sqlite3").is_file():
            raise CheckFailed("the first run created no inventory (Alembic migrations not found?)")
        print("  ok  first run created the inventory (migrations found)")

        starters = sorted(internal.rglob("SmolLM2-135M-Instruct.Q4_1.gguf"))
        if not starters:
            raise CheckFailed(f"the SmolLM2 starter model is not in the bundle ({internal})")
        starter = starters[0]
        chat = _run("chat with the bundled SmolLM2 in the frozen engine child",
                    [str(exe), "chat", str(starter), "-p", QUESTION, "--temperature", "0", "--max-tokens", "24",
                     "--ctx", "512", "--json"], env)
        reply = json.loads(chat.stdout)
        if "Paris" not in reply["text"]:
            raise CheckFailed(f"SmolLM2 answered {reply['text']!r}")
        figures["chat_runtime"] = reply["runtime"].get("cpu_variant")
        print(f"      {reply['text'].strip()!r} ({reply['tg_tokens_per_s']:.0f} tokens/s, CPU variant "
              f"{reply['runtime'].get('cpu_variant')})")

        onnx = sorted((ROOT / ".test-cache" / "onnx").glob("*/genai_config.json"))
        if onnx:
            folder = onnx[0].parent
            done = _run("chat with an ONNX model in the frozen engine child",
                        [str(exe), "chat", str(folder), "-p", QUESTION, "--temperature", "0", "--max-tokens", "24",
                         "--ctx", "512", "--json"], env)
            answer = json.loads(done.stdout)
            if answer["backend"] != "onnxruntime-genai" or not answer["text"].strip():
                raise CheckFailed(f"the ONNX model answered {answer!r}")
            print(f"      {answer['text'].strip()!r} (onnxruntime-genai {answer['backend_version']})")
        else:
            print("  skip chat with an ONNX model: none in .test-cache/onnx (make test builds one)")

        figures["api"] = check_api_server(exe, starter, env)
        figures.update(check_catalog_and_quantize(exe, starter, env, Path(scratch)))

        doctor = json.loads(_run("doctor --json", [str(exe), "doctor", "--json"], env).stdout)
        for component in ("llama-cpp-python", "llama.cpp", "ONNX Runtime", "onnxruntime-genai", "PySide6"):
            if doctor["versions"].get(component) in (None, "", "not installed", "unknown"):
                raise CheckFailed(f"doctor does not know the {component} version: {doctor['versions']}")
        if not doctor["runtime"].get("cpu_variant") or doctor["runtime"].get("build") != "portable":
            raise CheckFailed(f"doctor reports no CPU variant: {doctor['runtime']}")
        if not doctor["ok"]:
            raise CheckFailed(f"doctor found problems: {doctor['checks']}")
        figures["cpu_variant"] = doctor["runtime"]["cpu_variant"]
        print(f"      CPU variant {doctor['runtime']['cpu_variant']}, versions {doctor['versions']}")
    return figures


def _desktop_exec(desktop_file: Path) -> list[str]:
    for line in desktop_file.read_text(encoding="utf-8").splitlines():
        if line.startswith("Exec="):
            return [part for part in line[len("Exec="):].split() if not part.startswith("%")]
    raise CheckFailed(f"{desktop_file} has no Exec line")


def test_deb(deb: Path, screenshot: Path) -> None:
    """Install the .deb with apt, start it through its desktop entry under Xvfb, take a
    screenshot, remove it. Needs root and apt (skipped otherwise)."""
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        print("  skip .deb install test: needs root and apt-get")
        return
    apt_env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    tools = {"Xvfb": "xvfb", "import": "imagemagick", "xwininfo": "x11-utils"}
    missing = [package for tool, package in tools.items() if not shutil.which(tool)]
    if missing:
        subprocess.run(["apt-get", "install", "-y", "-qq", *missing], env=apt_env, check=True,
                       stdout=subprocess.DEVNULL)
    _run("apt-get install ./" + deb.name, ["apt-get", "install", "-y", "-qq", str(deb.resolve())], apt_env, timeout=900)
    desktop = Path("/usr/share/applications/io.github.slmdesk.slmdesk.desktop")
    argv = _desktop_exec(desktop)
    resolved = shutil.which(argv[0])
    if resolved is None or Path(resolved).resolve() != Path("/opt/slmdesk/slmdesk"):
        raise CheckFailed(f"the desktop entry's Exec {argv[0]!r} does not reach /opt/slmdesk/slmdesk ({resolved})")
    with tempfile.TemporaryDirectory(prefix="slmdesk deb home ") as home:
        display = f":{90 + os.getpid() % 9}"
        xvfb = subprocess.Popen(["Xvfb", display, "-screen", "0", "1440x900x24"], stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        try:
            time.sleep(1.5)
            env = {"HOME": home, "PATH": "/usr/bin:/bin", "DISPLAY": display, "LANG": "C.UTF-8"}
            app = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
            try:
                deadline = time.monotonic() + 60
                title = ""
                while time.monotonic() < deadline and not title:
                    time.sleep(1)
                    tree = subprocess.run(
                        ["xwininfo", "-root", "-tree"], env=env, capture_output=True, text=True
                    ).stdout
                    title = next((line for line in tree.splitlines() if "— slmdesk" in line or '"slmdesk"' in line), "")
                if not title:
                    raise CheckFailed("no slmdesk window appeared within 60 s under Xvfb")
                time.sleep(3)
                subprocess.run(["import", "-window", "root", str(screenshot)], env=env, check=True)
                print(f"  ok  started from the desktop entry ({' '.join(argv)}): window {title.strip()[:60]}")
                print(f"      screenshot {screenshot}")
            finally:
                app.terminate()
                try:
                    app.wait(10)
                except subprocess.TimeoutExpired:
                    app.kill()
        finally:
            xvfb.terminate()
    _run("apt-get remove slmdesk", ["apt-get", "remove", "-y", "-qq", "slmdesk"], apt_env, timeout=300)
    leftovers = [p for p in (Path("/opt/slmdesk"), Path("/usr/bin/slmdesk"), desktop) if p.exists() or p.is_symlink()]
    if leftovers:
        raise CheckFailed(f"apt-get remove left {leftovers}")
    print("  ok  removed cleanly (/opt/slmdesk, /usr/bin/slmdesk and the desktop entry are gone)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("bundle", type=Path, help="the one-folder app (dist/slmdesk) or dist/slmdesk.app")
    parser.add_argument("--deb", type=Path, default=None, help="also install, start and remove this .deb")
    parser.add_argument("--screenshot", type=Path, default=ROOT / "dist" / "deb-screenshot.png")
    args = parser.parse_args()
    print(f"package test of {args.bundle}")
    try:
        figures = test_bundle(args.bundle)
        if args.deb is not None:
            test_deb(args.deb, args.screenshot)
    except (CheckFailed, subprocess.TimeoutExpired) as failure:
        print(f"FAILED: {failure}")
        return 1
    print(f"package test passed: {json.dumps(figures)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
