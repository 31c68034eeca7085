"""Vendor the service's front-end files from npm, or check the copies against npm.

The web pages load YASGUI, Vega (and its expression interpreter, which spares the
pages ``eval``), Vega-Lite, Vega-Embed, the world-atlas shapes,
Swagger UI and ReDoc from the service itself (nothing is fetched from elsewhere at
run time), so their released files are copied, unmodified, into the package:

    api/static/vendor/<package>@<version>/<file>        the dist files and licences
    api/static/vendor/manifest.json                     name, version, file, sha256, licence

axe-core (accessibility checks) is for the browser tests only and goes to
``tests/vendor/``, with its own manifest.

    python scripts/vendor_assets.py            # npm install into a temp folder, copy, write the manifests
    python scripts/vendor_assets.py --check    # same install, then compare every file's sha256 (exit 1 on a difference)
    python scripts/vendor_assets.py --offline  # only check the copies against the manifests (no npm)

Bumping a version: change it in ``PACKAGES``, run without ``--check``, look at the
pages, commit the new folder and delete the old one.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STATIC_VENDOR = ROOT / "api" / "static" / "vendor"
TEST_VENDOR = ROOT / "tests" / "vendor"
MAX_BYTES = 2 * 1024 * 1024  # no tracked file may be larger


@dataclass(frozen=True)
class Package:
    """One npm package: which released files to copy, and where to."""

    name: str
    version: str
    files: tuple[str, ...]  # paths inside the package, copied flat into its folder
    licence_files: tuple[str, ...]
    target: Path = STATIC_VENDOR

    @property
    def folder(self) -> str:
        return f"{self.name.split('/')[-1]}@{self.version}"


PACKAGES = (
    Package("@triply/yasgui", "4.2.28", ("build/yasgui.min.js", "build/yasgui.min.css"),
            ("LICENSE.txt", "build/yasgui.min.js.LICENSE.txt")),
    Package("vega", "6.4.0", ("build/vega.min.js",), ("LICENSE",)),
    Package("vega-interpreter", "2.3.2", ("build/vega-interpreter.js",), ("LICENSE",)),
    Package("vega-lite", "6.4.3", ("build/vega-lite.min.js",), ("LICENSE",)),
    Package("vega-embed", "7.3.0", ("build/vega-embed.min.js",), ("LICENSE",)),
    Package("world-atlas", "2.0.2", ("countries-50m.json",), ("LICENSE",)),
    Package("swagger-ui-dist", "5.35.0", ("swagger-ui-bundle.js", "swagger-ui.css"),
            ("LICENSE", "NOTICE", "swagger-ui-bundle.js.LICENSE.txt")),
    Package("redoc", "2.5.4", ("bundles/redoc.standalone.js",),
            ("LICENSE", "bundles/redoc.standalone.js.LICENSE.txt")),
    Package("axe-core", "4.14.1", ("axe.min.js",), ("LICENSE", "LICENSE-3RD-PARTY.txt"),
            TEST_VENDOR),
)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def npm_install(folder: Path) -> Path:
    """``npm install`` every package at its pinned version into ``folder``; its node_modules."""
    (folder / "package.json").write_text('{"private": true}\n')
    specs = [f"{p.name}@{p.version}" for p in PACKAGES]
    subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--ignore-scripts",
                    "--save-exact", *specs], cwd=folder, check=True, stdout=subprocess.DEVNULL)
    return folder / "node_modules"


def licence_of(modules: Path, package: Package) -> str:
    return str(json.loads((modules / package.name / "package.json").read_text())["license"])


def entries(modules: Path, package: Package) -> list[dict[str, str]]:
    """The manifest rows of one package, read from the installed copy."""
    licence = licence_of(modules, package)
    return [{"name": package.name, "version": package.version,
             "file": f"{package.folder}/{Path(file).name}",
             "sha256": sha256(modules / package.name / file), "licence": licence}
            for file in (*package.files, *package.licence_files)]


def copy(modules: Path) -> None:
    """Copy the files of every package and write the manifests."""
    manifests: dict[Path, list[dict[str, str]]] = {}
    for package in PACKAGES:
        folder = package.target / package.folder
        if folder.exists():
            shutil.rmtree(folder)
        folder.mkdir(parents=True)
        for file in (*package.files, *package.licence_files):
            source = modules / package.name / file
            if source.stat().st_size > MAX_BYTES:
                raise SystemExit(f"{package.name}/{file} is larger than 2 MiB: pick a smaller build")
            shutil.copyfile(source, folder / source.name)
        manifests.setdefault(package.target, []).extend(entries(modules, package))
    for target, rows in manifests.items():
        (target / "manifest.json").write_text(json.dumps(rows, indent=1) + "\n")


def check_copies() -> list[str]:
    """Differences between the vendored files and their manifests (empty: all match)."""
    problems = []
    for target in sorted({p.target for p in PACKAGES}):
        for row in json.loads((target / "manifest.json").read_text()):
            path = target / row["file"]
            if not path.is_file():
                problems.append(f"{path}: missing")
            elif sha256(path) != row["sha256"]:
                problems.append(f"{path}: sha256 differs from the manifest")
    return problems


def check_against_npm(modules: Path) -> list[str]:
    """Differences between the manifests and what npm serves for the same versions."""
    wanted = {(r["file"], r["sha256"]) for p in PACKAGES for r in entries(modules, p)}
    have = {(r["file"], r["sha256"]) for target in {p.target for p in PACKAGES}
            for r in json.loads((target / "manifest.json").read_text())}
    return [f"{file}: npm has sha256 {digest}, the manifest another"
            for file, digest in sorted(wanted - have)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--check", action="store_true",
                      help="compare the vendored files with a fresh npm install")
    mode.add_argument("--offline", action="store_true",
                      help="compare the vendored files with the manifests only")
    args = parser.parse_args(argv)
    if args.offline:
        problems = check_copies()
    else:
        with tempfile.TemporaryDirectory(prefix="mipex-kg-vendor-") as tmp:
            modules = npm_install(Path(tmp))
            if args.check:
                problems = check_against_npm(modules) + check_copies()
            else:
                copy(modules)
                problems = check_copies()
    for line in problems:
        print(line, file=sys.stderr)
    print("vendored assets: " + ("differences found" if problems else "all files match"))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
