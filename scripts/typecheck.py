"""Run mypy on the package as it is imported (``mipex_kg.X``), from the folders it lives in.

pyproject's ``[tool.setuptools.package-dir]`` maps the import name ``mipex_kg.X`` to the
folder ``X/`` (and ``mipex_kg`` itself to ``core/``). An editable install resolves that
with an import hook, which mypy does not run; so this script mirrors the mapping as a
tree of symbolic links under ``build/typecheck`` and checks that tree with the settings
in ``[tool.mypy]``. Arguments after ``--`` go to mypy.

    python scripts/typecheck.py            # exit status: mypy's
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TREE = ROOT / "build" / "typecheck"


def link_tree() -> Path:
    """``build/typecheck/mipex_kg``: the package laid out by its import names."""
    mapping = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"][
        "package-dir"]
    shutil.rmtree(TREE, ignore_errors=True)
    top = TREE / "mipex_kg"
    top.mkdir(parents=True)
    for source in (ROOT / mapping["mipex_kg"]).glob("*.py"):
        (top / source.name).symlink_to(source)
    for name, folder in mapping.items():
        parts = name.split(".")[1:]
        if len(parts) != 1:  # nested packages come with their parent's folder
            continue
        (top / parts[0]).symlink_to(ROOT / folder, target_is_directory=True)
    return top


def main() -> int:
    top = link_tree()
    command = [sys.executable, "-m", "mypy", "--config-file", str(ROOT / "pyproject.toml"),
               str(top), *sys.argv[1:]]
    return subprocess.call(command, cwd=TREE, env={**os.environ, "MYPYPATH": ""})


if __name__ == "__main__":
    sys.exit(main())
