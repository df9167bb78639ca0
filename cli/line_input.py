"""One way to read a line at the terminal, shared by the interactive answers and the edits
(tests script it through the console's input)."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape


def read_line(console: Console, label: str) -> str:
    """Read a line; the label is literal text (choices look like markup: `[y/n]`)."""
    return console.input(f"[bold]{escape(label)}[/] ")
