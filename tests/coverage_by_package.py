"""Line coverage per product package, from the data `make coverage` collected.

`issue 28` asks that moving tests between layers never lowers any package's coverage;
this prints the figure to compare before and after a move.
"""

from __future__ import annotations

import sys
from collections import defaultdict
from pathlib import Path

import coverage

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("workflows", "api", "activities", "skill_format", "skill_store", "cli")


def by_package(data_file: Path) -> dict[str, tuple[int, int]]:
    """(covered, statements) per package; files never imported count as uncovered."""
    cov = coverage.Coverage(data_file=str(data_file))
    cov.load()
    totals: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            _, statements, _, missing, _ = cov.analysis2(str(path))
            totals[package][0] += len(statements) - len(missing)
            totals[package][1] += len(statements)
    return {p: (c, s) for p, (c, s) in totals.items()}


def main(argv: list[str]) -> int:
    data_file = Path(argv[0]) if argv else ROOT / ".coverage-data" / ".coverage"
    for package, (covered, statements) in by_package(data_file).items():
        share = 100 * covered / statements if statements else 100.0
        print(f"{package:14} {covered:5}/{statements:<5} {share:5.1f}%")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
