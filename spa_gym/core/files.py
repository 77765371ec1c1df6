"""Crash-safe file writes: a killed process leaves either the old file or the new one, never half of one."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")


def default_cache_dir() -> Path:
    """Where spa_gym caches what it builds (search indexes, small models): ``$SPA_GYM_CACHE`` if set and
    non-empty, else ``~/.cache/spa_gym``."""
    return Path(os.environ.get("SPA_GYM_CACHE") or Path.home() / ".cache" / "spa_gym")


@contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a fresh temporary path beside ``path``; rename it onto ``path`` when the block succeeds.

    Write the whole file to the yielded path (any writer: ``torch.save``, ``tokenizer.save``, ...). On an
    exception the temporary file is removed and ``path`` is left as it was.

    >>> import json, tempfile
    >>> target = Path(tempfile.mkdtemp()) / "sub" / "report.json"
    >>> with atomic_path(target) as tmp:
    ...     _ = tmp.write_text(json.dumps({"ok": 1}))
    >>> json.loads(target.read_text()), sorted(p.name for p in target.parent.iterdir())
    ({'ok': 1}, ['report.json'])
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_text_atomic(path: str | os.PathLike, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` through :func:`atomic_path`; returns the path."""
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(path)



def append_json_line(path: str | os.PathLike, record: Any) -> None:
    """Append ``record`` as one JSON line and flush, so a crash loses at most the line being written."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a", encoding="utf-8") as f:
        f.write(json.dumps(record, ensure_ascii=False) + "\n")
        f.flush()


def read_json_lines(path: str | os.PathLike, parse: Callable[[Any], T], what: str) -> list[T]:
    """``parse`` each non-blank JSON line of ``path``; errors name the file, the line and ``what`` it holds.

    >>> import tempfile
    >>> f = Path(tempfile.mkdtemp()) / "x.jsonl"
    >>> append_json_line(f, {"n": 1}); append_json_line(f, {"n": 2})
    >>> read_json_lines(f, lambda d: d["n"], "number")
    [1, 2]
    >>> _ = f.write_text('{"n": 1}\\n{"n": \\n')
    >>> read_json_lines(f, lambda d: d["n"], "number")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: ...x.jsonl:2: malformed number: Expecting value: ...
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{what} file not found: {path}")
    records = []
    with open(path, encoding="utf-8") as f:
        for lineno, line in enumerate(f, start=1):
            if not line.strip():
                continue
            try:
                records.append(parse(json.loads(line)))
            except (json.JSONDecodeError, ValueError, TypeError) as err:
                raise ValueError(f"{path}:{lineno}: malformed {what}: {err}") from None
    return records
