"""Optional sampling profiles of the API and worker with py-spy (not a benchmark requirement).

`python -m bench --profile DIR` records both processes while the concurrency-10 skill-fleet run
and the saturating read run are measured; `python -m bench.profiling DIR/*.txt` prints the
hottest functions.
py-spy must be on PATH (e.g. `uv tool install py-spy`); without it profiling is skipped.
"""

from __future__ import annotations

import collections
import shutil
import subprocess
import sys
from pathlib import Path


class Profiler:
    def __init__(self, out_dir: Path, concurrency: int = 10, kind: str = "skill_fleet") -> None:
        self.out_dir = out_dir
        self.concurrency = concurrency
        self.kind = kind
        self.exe = shutil.which("py-spy") or shutil.which(
            "py-spy", path=str(Path.home() / ".local" / "bin"))  # `uv tool install py-spy`
        self.procs: list[subprocess.Popen[bytes]] = []
        self.files: list[Path] = []

    @property
    def available(self) -> bool:
        return self.exe is not None

    def start(self, pids: dict[str, int], seconds: float, label: str = "") -> None:
        assert self.exe
        label = label or f"c{self.concurrency}"
        self.out_dir.mkdir(parents=True, exist_ok=True)
        for name in ("api", "worker"):
            if name not in pids:
                continue
            for fmt, ext in (("raw", "txt"), ("speedscope", "speedscope.json")):
                out = self.out_dir / f"{name}-{label}.{ext}"
                self.files.append(out)
                self.procs.append(subprocess.Popen(
                    [self.exe, "record", "--pid", str(pids[name]), "--duration",
                     str(max(1, int(seconds))), "--rate", "100" if fmt == "raw" else "50",
                     "--format", fmt, "--output", str(out), "--nonblocking"],
                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))

    def wait(self) -> list[Path]:
        for p in self.procs:
            try:
                p.wait(timeout=60)
            except subprocess.TimeoutExpired:
                p.kill()
        files = [f for f in self.files if f.exists()]
        self.procs, self.files = [], []
        return files


def summarize(path: Path, top: int = 25) -> str:
    """Inclusive and self sample share per function from py-spy's raw (collapsed) output."""
    inclusive: collections.Counter[str] = collections.Counter()
    self_: collections.Counter[str] = collections.Counter()
    total = 0
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack:
            continue
        n = int(count)
        total += n
        frames = stack.split(";")
        for frame in {_short(f) for f in frames}:
            inclusive[frame] += n
        self_[_short(frames[-1])] += n
    lines = [f"== {path.name}: {total} samples"]
    lines.append("-- inclusive")
    for frame, n in inclusive.most_common(top):
        lines.append(f"{100 * n / total:5.1f}%  {frame}")
    lines.append("-- self")
    for frame, n in self_.most_common(top):
        lines.append(f"{100 * n / total:5.1f}%  {frame}")
    return "\n".join(lines)


def _short(frame: str) -> str:
    # "func (path/to/file.py:123)" -> "func (to/file.py)"
    name, _, where = frame.partition(" (")
    where = where.rstrip(")")
    file = where.rsplit(":", 1)[0]
    parts = file.split("/")
    return f"{name} ({'/'.join(parts[-2:])})"


if __name__ == "__main__":
    for arg in sys.argv[1:]:
        print(summarize(Path(arg)))
