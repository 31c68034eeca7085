"""The property every crash test checks: the folder holds exactly one whole dataset.

``state_after_crash(path, candidates)`` names the candidate dataset (``"old"``,
``"new"``, a version number ...) that a killed writer left in the store folder, after
checking everything a user meets next, in that order:

1. ``mipex-kg validate --store PATH`` exits 0: a reader that comes first, before
   any writer has repaired an interrupted swap, can open the store and it conforms;
2. what that reader sees is exactly one candidate (canonical N-Quads, whole);
3. the next writer (``KnowledgeStore(path)``) sees the same dataset, and once it is
   closed nothing is left beside the folder (no set-aside or half-written copy).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from tests.faults.processes import canonical, leftovers, mipex_kg, nquads, opened_nquads


@dataclass(frozen=True)
class Candidate:
    """A dataset the store may hold: canonical lines, compared after ``normalise``."""

    lines: list[str]
    normalise: Callable[[bytes], bytes] | None = None

    @classmethod
    def of(cls, data: bytes, normalise: Callable[[bytes], bytes] | None = None) -> Candidate:
        return cls(canonical(data, normalise), normalise)


def state_after_crash(path: Path, candidates: Mapping[str, Candidate]) -> str:
    """The one candidate the folder holds; fails if it holds none, or cannot be read."""
    validation = mipex_kg("validate", "--store", path)
    assert validation.returncode == 0, validation.stdout + validation.stderr
    seen = nquads(path)
    views = {normalise: canonical(seen, normalise)
             for normalise in {None, *(c.normalise for c in candidates.values())}}
    matching = [name for name, c in candidates.items() if views[c.normalise] == c.lines]
    assert len(matching) == 1, (
        f"the store holds {len(views[None])} quads, which are "
        + ("none of " if not matching else "several of ") + ", ".join(candidates))
    assert canonical(opened_nquads(path)) == views[None], "the next writer sees another dataset"
    assert leftovers(path) == [], "the next writer left copies beside the store"
    return matching[0]
