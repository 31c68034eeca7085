"""The exceptions and problem reports of loading.

    LoadError              a load was refused; nothing in the store changed
      carries a list of Problem(file, place, message)

A ``Problem`` names where it is: the file, and within it a sheet and cell
(workbooks), a row (CSV) or a focus node (SHACL).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input, located as precisely as the input allows."""

    file: str
    place: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}, {self.place}" if self.place else self.file
        return f"{where}: {self.message}"


class LoadError(Exception):
    """A load was refused; the store is exactly as it was."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))
