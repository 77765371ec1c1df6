"""The README's Python blocks run as written (each in a fresh interpreter, in an empty folder).

A block preceded by ``<!-- readme-test: skip (reason) -->`` is skipped with that reason: it needs data or a
run folder the tests do not have, or takes minutes. Every other block must run.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"
SKIP = re.compile(r"<!--\s*readme-test:\s*skip\s*\((?P<reason>.*?)\)\s*-->")


def python_blocks(text: str) -> list[tuple[int, str, str | None]]:
    """``(line number, code, skip reason or None)`` of every fenced ```python block."""
    lines = text.splitlines()
    blocks, i = [], 0
    while i < len(lines):
        if lines[i].strip() == "```python":
            start = i + 1
            end = next(j for j in range(start, len(lines)) if lines[j].strip() == "```")
            marker = SKIP.search(lines[i - 1]) if i > 0 else None
            blocks.append((start + 1, "\n".join(lines[start:end]) + "\n", marker["reason"] if marker else None))
            i = end
        i += 1
    return blocks


BLOCKS = python_blocks(README.read_text(encoding="utf-8"))


def test_the_readme_has_runnable_blocks():
    assert sum(reason is None for _, _, reason in BLOCKS) >= 6


def test_block_extraction():
    text = "x\n<!-- readme-test: skip (slow) -->\n```python\na = 1\n```\n```python\nb = 2\n```\n"
    assert python_blocks(text) == [(4, "a = 1\n", "slow"), (7, "b = 2\n", None)]


@pytest.mark.parametrize("line, code, reason", BLOCKS, ids=[f"README.md:{line}" for line, _, _ in BLOCKS])
def test_readme_block_runs(line, code, reason, tmp_path):
    if reason is not None:
        pytest.skip(f"README.md:{line} is marked: {reason}")
    env = {**os.environ, "OMP_NUM_THREADS": "1", "TQDM_DISABLE": "1",
           "PYTHONPATH": os.pathsep.join([str(README.parent), os.environ.get("PYTHONPATH", "")])}
    script = tmp_path / "block.py"
    script.write_text(code, encoding="utf-8")
    proc = subprocess.run([sys.executable, "-W", "error::Warning:spa_gym", str(script)], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, f"README.md:{line} failed:\n{proc.stderr[-3000:]}"
