"""The ``mipex-kg`` command line, run as a real subprocess on a store on disk."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.workbook_builder import Column, sheet, write_workbook


def run(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "mipex_kg.cli", *map(str, args)],
                          capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("cli")
    workbook = write_workbook(folder / "tiny.xlsx", {"SE": sheet(), "FI": sheet()})
    store = folder / "store"
    result = run("load", "--store", store, "--quiet", workbook)
    assert result.returncode == 0, result.stderr
    assert "44 observations" in result.stdout
    return store, workbook


def test_loading_again_says_nothing_changed(loaded: tuple[Path, Path]) -> None:
    store, workbook = loaded
    result = run("load", "--store", store, workbook)
    assert result.returncode == 0 and "already loaded" in result.stdout


def test_graphs_lists_the_workbook_graph_with_its_file(loaded: tuple[Path, Path]) -> None:
    result = run("graphs", "--store", loaded[0])
    line = next(x for x in result.stdout.splitlines() if x.rstrip().endswith("tiny.xlsx"))
    assert "https://w3id.org/mipex-kg/graph/tiny" in line and int(line.split()[0]) > 400


def test_query_writes_csv(loaded: tuple[Path, Path]) -> None:
    result = run("query", "--store", loaded[0], "--format", "csv",
                 "SELECT ?v WHERE { <https://w3id.org/mipex-kg/id/score/mipex-2020/FIN/2019/aa1> mkg:score ?v }")
    assert result.returncode == 0 and result.stdout.splitlines() == ["v", "50"]


def test_query_syntax_error_is_a_clear_message(loaded: tuple[Path, Path]) -> None:
    result = run("query", "--store", loaded[0], "SELEKT nothing")
    assert result.returncode == 2 and "does not parse" in result.stderr
    assert "Traceback" not in result.stderr


def test_export_one_graph_as_turtle(loaded: tuple[Path, Path], tmp_path: Path) -> None:
    import rdflib

    out = tmp_path / "g.ttl"
    result = run("export", "--store", loaded[0], "--graph", "https://w3id.org/mipex-kg/graph/tiny",
                 "--format", "turtle", "-o", out)
    assert result.returncode == 0, result.stderr
    assert len(rdflib.Graph().parse(out, format="turtle")) > 400


def test_validate_conforms(loaded: tuple[Path, Path]) -> None:
    result = run("validate", "--store", loaded[0])
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Conforms: True" in result.stdout


def test_a_bad_workbook_exits_1_and_names_the_cell(loaded: tuple[Path, Path], tmp_path: Path) -> None:
    spec = sheet()
    spec["strands"][0].columns.append(Column("ab9", scores={2019: 120}))
    bad = write_workbook(tmp_path / "tiny.xlsx", {"SE": spec})
    before = run("export", "--store", loaded[0], "--format", "nquads").stdout
    result = run("load", "--store", loaded[0], bad)
    assert result.returncode == 1
    assert "tiny.xlsx, sheet SE, cell K14" in result.stderr and "Traceback" not in result.stderr
    assert sorted(run("export", "--store", loaded[0]).stdout.splitlines()) == sorted(before.splitlines())


def test_missing_file_is_refused(loaded: tuple[Path, Path], tmp_path: Path) -> None:
    result = run("load", "--store", loaded[0], tmp_path / "nope.xlsx")
    assert result.returncode == 1 and "no such file" in result.stderr
