"""Crash-safe file writes: a killed process leaves either the old file or the new one, never half of one."""

from __future__ import annotations

import json
import os
import shutil
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


def current_umask() -> int:
    """The process umask, read without changing it where the OS allows (Linux: /proc), else set and restored."""
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def make_staging_dir(path: str | os.PathLike) -> Path:
    """A fresh hidden folder beside ``path`` to build a folder in before renaming it onto ``path``.

    ``tempfile.mkdtemp`` makes it 0700; it gets the mode of a folder made by ``mkdir`` instead (0777 less the
    umask), so the renamed model folder is readable like any other the user writes.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=path.parent, prefix=f".{path.name}."))
    os.chmod(staging, 0o777 & ~current_umask())
    return staging


def _check_writable_folder(folder: Path, what: str, target: Path) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(dir=folder, prefix=".spa_gym-write-check.")
        os.close(fd)
        os.unlink(probe)
    except FileExistsError:
        raise ValueError(f"{what} {target}: {folder} is in the way (a file, not a folder)") from None
    except OSError as err:
        raise ValueError(f"{what} {target}: can not write in {folder} ({err.strerror or err})") from None


def check_output_dir(path: str | os.PathLike, what: str = "output folder") -> Path:
    """Make sure ``path`` is (or can become) a folder this process can write in; creates it.

    Raises ``ValueError`` with one line naming ``path`` (``what`` is how the user named it, e.g. ``--out``),
    so a command fails before its work rather than after it.
    """
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise ValueError(f"{what} {path} is an existing file; it must be a folder (give another path)")
    _check_writable_folder(path, what, path)
    return path


def check_output_file(path: str | os.PathLike, what: str = "output file") -> Path:
    """Make sure ``path`` can be written as a file (not a folder; its folder writable); creates the folder."""
    path = Path(path)
    if path.is_dir():
        raise ValueError(f"{what} {path} is a folder; it must be a file name (e.g. {path / 'episodes.jsonl'})")
    _check_writable_folder(path.parent, what, path)
    return path


def apply_umask(folder: str | os.PathLike) -> None:
    """Give every file and folder under ``folder`` the mode ``open``/``mkdir`` would (0666 / 0777 less the umask).

    For a folder this process has just built in a staging folder: some writers (safetensors, ``mkstemp``)
    make 0600 files, which a model folder shared with other users or containers should not have.
    """
    mask = current_umask()
    folder = Path(folder)
    for p in [folder, *folder.rglob("*")]:
        if not p.is_symlink():
            os.chmod(p, (0o777 if p.is_dir() else 0o666) & ~mask)


@contextmanager
def atomic_folder(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a fresh staging folder beside ``path``; when the block succeeds it replaces ``path`` whole.

    Build the whole folder in the yielded one (model weights, tokenizer, metadata). Its files get the modes
    the user's umask gives (:func:`apply_umask`). On an exception the staging folder is removed and ``path``
    is left as it was.

    >>> import tempfile
    >>> target = Path(tempfile.mkdtemp()) / "model"
    >>> with atomic_folder(target) as tmp:
    ...     _ = (tmp / "config.json").write_text("{}")
    >>> sorted(p.name for p in target.iterdir()), sorted(p.name for p in target.parent.iterdir())
    (['config.json'], ['model'])
    """
    path = Path(path)
    staging = make_staging_dir(path)
    try:
        yield staging
        if path.exists():
            shutil.rmtree(path)
        apply_umask(staging)
        os.replace(staging, path)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


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
        if tmp.exists():  # mkstemp makes 0600; the file gets the mode of one made by open() (0666 less the umask)
            os.chmod(tmp, 0o666 & ~current_umask())
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
    if path.is_dir():
        raise ValueError(f"{path} is a folder; pass the {what} file(s) in it (*.jsonl)")
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
