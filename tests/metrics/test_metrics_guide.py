"""The examples of docs/metrics.md run and print what the guide shows."""

import contextlib
import io
import re
from pathlib import Path

import pytest

GUIDE = Path(__file__).parents[2] / "docs" / "metrics.md"
BLOCKS = re.findall(r"```python\n(.*?)```", GUIDE.read_text(encoding="utf-8"), flags=re.DOTALL)


def _normalised(line: str) -> str:
    return " ".join(line.split())


def _shown_output(block: str) -> list[str]:
    """The output the guide shows: comment lines right after a print call, or a comment on its last line."""
    shown, depth, after_print = [], 0, False
    for line in block.splitlines():
        code, _, comment = line.partition("  # ")
        stripped = line.strip()
        if stripped.startswith("# "):
            if after_print:
                shown.append(stripped[2:])
            continue
        after_print = False
        if "print(" in code or depth > 0:
            depth += code.count("(") - code.count(")")
            if depth <= 0:
                depth, after_print = 0, True
                if comment:
                    shown.append(comment)
    return [_normalised(s) for s in shown]


@pytest.mark.parametrize("block", BLOCKS, ids=[f"block{i}" for i in range(len(BLOCKS))])
def test_guide_example_prints_what_it_shows(block):
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(block, str(GUIDE), "exec"), {})  # the project's own documentation
    printed = [_normalised(line) for line in out.getvalue().splitlines() if line.strip()]
    shown = _shown_output(block)
    assert shown, "an example should show its output"
    assert printed == shown
