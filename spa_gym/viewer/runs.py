"""What the viewer reads from a run folder: episode JSONL files, PPO and estimator histories, eval reports.

Nothing here serves HTTP; :mod:`spa_gym.viewer.app` does. Every path a request names goes through
:meth:`RunFolder.resolve`, which refuses anything that is not a file under the folder (``..`` parts,
absolute paths, hidden names, symlinks that lead out). Episode files are read line by line, never whole:
an index of byte offsets and one summary per line is built once per file version (size, mtime), and an
episode is read back by seeking to its offset. A line that is not an episode becomes an error row.

>>> import json, tempfile
>>> from pathlib import Path
>>> root = Path(tempfile.mkdtemp())
>>> _ = (root / "eps.jsonl").write_text(json.dumps({"task": "t", "observation": "o", "steps": [],
...                                                  "final_reward": 0.0}) + "\\n{oops\\n")
>>> run = RunFolder(root)
>>> [(row["line"], row["error"] is None) for row in run.rows()]
[(1, True), (2, False)]
>>> run.resolve("../etc/passwd")
Traceback (most recent call last):
...
spa_gym.viewer.runs.Forbidden: ../etc/passwd
"""

from __future__ import annotations

import json
import math
import os
import threading
from pathlib import Path, PurePosixPath
from typing import Any

import numpy as np

from spa_gym.progress.episodes import Episode

#: The longest episode line read (bytes); a longer line is an error row, skipped without being loaded.
MAX_LINE_BYTES = 32 * 2 ** 20
#: The largest JSON report (history, eval report) read whole.
MAX_REPORT_BYTES = 16 * 2 ** 20
#: Steps sampled for the estimator-quality figure (the first ones met, file by file).
MAX_QUALITY_STEPS = 200_000


class Forbidden(Exception):
    """A path outside the run folder (or hidden, or through a symlink that leads out): HTTP 403."""


class RunFolder:
    """A run folder: its episode files, their rows, and its reports."""

    def __init__(self, root: str | os.PathLike) -> None:
        self.root = Path(root).resolve(strict=True)
        if not self.root.is_dir():
            raise NotADirectoryError(f"not a folder: {root}")
        self._index: dict[Path, tuple[tuple[int, int], list[dict[str, Any]]]] = {}
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ paths
    def resolve(self, rel: str) -> Path:
        """The file ``rel`` names under the folder; :class:`Forbidden` or ``FileNotFoundError`` otherwise."""
        if "\x00" in rel or "\\" in rel:
            raise Forbidden(rel)
        parts = PurePosixPath(rel).parts
        if not parts or PurePosixPath(rel).is_absolute() or any(p in ("..", ".") or p.startswith(".") for p in parts):
            raise Forbidden(rel)
        path = self.root.joinpath(*parts)
        try:
            real = path.resolve(strict=True)
        except (OSError, RuntimeError):  # missing, or a symlink loop
            raise FileNotFoundError(rel) from None
        if not real.is_relative_to(self.root):
            raise Forbidden(rel)
        if not real.is_file():
            raise FileNotFoundError(rel)
        return real

    def relative(self, path: Path) -> str:
        return path.relative_to(self.root).as_posix()

    def files(self, suffixes: tuple[str, ...]) -> list[Path]:
        """Files under the folder with these suffixes: hidden names skipped, symlinks not followed out."""
        found = []
        for dirpath, dirnames, filenames in os.walk(self.root):  # followlinks=False: no escape through links
            dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
            for name in sorted(filenames):
                if name.startswith(".") or not name.endswith(suffixes):
                    continue
                path = Path(dirpath) / name
                try:
                    real = path.resolve(strict=True)
                except (OSError, RuntimeError):
                    continue
                if real.is_relative_to(self.root) and real.is_file():
                    found.append(path)
        return found

    # ------------------------------------------------------------------ episodes
    def episode_files(self) -> list[Path]:
        return self.files((".jsonl",))

    def rows(self) -> list[dict[str, Any]]:
        """One summary row per line of every episode file (error rows included)."""
        return [row for path in self.episode_files() for row in self._rows(path)]

    def _rows(self, path: Path) -> list[dict[str, Any]]:
        try:
            st = path.stat()
        except OSError:
            return []
        version = (st.st_size, st.st_mtime_ns)
        with self._lock:
            cached = self._index.get(path)
            if cached is not None and cached[0] == version:
                return cached[1]
        rows = []
        rel = self.relative(path)
        with open(path, "rb") as f:
            offset, lineno = 0, 0
            while True:
                line = f.readline(MAX_LINE_BYTES + 1)
                if not line:
                    break
                lineno += 1
                start, offset = offset, offset + len(line)
                if len(line) > MAX_LINE_BYTES and not line.endswith(b"\n"):
                    while line and not line.endswith(b"\n"):  # skip the rest of the line, a chunk at a time
                        line = f.readline(MAX_LINE_BYTES)
                        offset += len(line)
                    rows.append(_error_row(rel, lineno, start, f"line longer than {MAX_LINE_BYTES} bytes"))
                    continue
                if not line.strip():
                    continue
                try:
                    rows.append(summarize(parse_line(line), rel, lineno, start))
                except ValueError as err:
                    rows.append(_error_row(rel, lineno, start, str(err)))
        with self._lock:
            self._index[path] = (version, rows)
        return rows

    def episode(self, rel: str, line: int) -> dict[str, Any]:
        """The full record of line ``line`` (1-based) of ``rel``, with its plot series (``series``)."""
        path = self.resolve(rel)
        row = next((r for r in self._rows(path) if r["line"] == line), None)
        if row is None:
            raise FileNotFoundError(f"{rel}:{line}")
        if row["error"] is not None:
            return {"row": row, "error": row["error"]}
        with open(path, "rb") as f:
            f.seek(row["offset"])
            record = parse_line(f.readline(MAX_LINE_BYTES + 1))
        return {"row": row, "record": record, "series": series(record), "error": None}

    # ------------------------------------------------------------------ reports
    def reports(self) -> dict[str, Any]:
        """PPO learning curves, estimator training losses, eval results and images found under the folder."""
        ppo, estimator, evals = {}, {}, {}
        for path in self.files((".json",)):
            data = _read_json(path)
            rel = self.relative(path)
            if _is_ppo_history(data):
                keys = [k for k in ("success_rate", "env_return", "shaped_return", "grounding", "mean_steps",
                                    "kl_to_ref") if k in data[0]]
                ppo[rel] = {"iteration": [float(d.get("iteration", i + 1)) for i, d in enumerate(data)],
                            **{k: [_num(d.get(k)) for d in data] for k in keys}}
            elif isinstance(data, dict) and isinstance(data.get("train_loss"), list):
                estimator[rel] = {k: [_num(x) for x in data.get(k) or []] for k in ("train_loss", "valid_loss")}
            elif isinstance(data, dict) and isinstance(data.get("results"), dict):
                evals[rel] = {"results": data["results"], "meta": data.get("meta", {})}
        images = [self.relative(p) for p in self.files((".png", ".svg", ".jpg", ".jpeg"))]
        return {"ppo": ppo, "estimator": estimator, "eval": evals, "images": images, "quality": self.quality()}

    def quality(self, bins: int = 10) -> dict[str, Any]:
        """The estimator against true progress over every recorded step that has both.

        ``bins`` of true progress with the mean estimated cumulative progress in each (a calibration curve;
        the diagonal is a perfect estimator), and their Pearson correlation.
        """
        est, true = [], []
        for path in self.episode_files():
            rows = [r for r in self._rows(path) if r["error"] is None and r["has_spa"] and r["has_true_progress"]]
            if not rows or len(est) >= MAX_QUALITY_STEPS:
                continue
            with open(path, "rb") as f:
                for row in rows:
                    f.seek(row["offset"])
                    for s in parse_line(f.readline(MAX_LINE_BYTES + 1))["steps"]:
                        p, t = (s.get("spa") or {}).get("progress"), s.get("true_progress")
                        if _num(p) is not None and _num(t) is not None:
                            est.append(float(p))
                            true.append(float(t))
        if len(est) < 2:
            return {"steps": len(est)}
        e, t = np.asarray(est), np.clip(np.asarray(true), 0.0, 1.0)
        edges = np.linspace(0.0, 1.0, bins + 1)
        which = np.clip(np.digitize(t, edges[1:-1]), 0, bins - 1)
        mean = [float(e[which == b].mean()) if (which == b).any() else None for b in range(bins)]
        corr = float(np.corrcoef(e, t)[0, 1]) if e.std() > 0 and t.std() > 0 else None
        return {"steps": len(est), "bin_centers": ((edges[:-1] + edges[1:]) / 2).tolist(), "estimated": mean,
                "pearson": corr}


# ---------------------------------------------------------------------- lines
def parse_line(line: bytes) -> dict[str, Any]:
    """A JSON episode line as a dict, checked by :meth:`Episode.from_dict`; ``ValueError`` says what is wrong."""
    try:
        data = json.loads(line)
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise ValueError(f"not JSON: {err}") from None
    Episode.from_dict(data)
    return data


def reward_mode(record: dict[str, Any]) -> str:
    """The run's reward mode as recorded in ``meta``, else what the steps carry (``spa``, ``oracle``, ``env``)."""
    meta = record.get("meta")
    if isinstance(meta, dict) and meta.get("reward"):
        return str(meta["reward"])
    steps = record["steps"]
    for key in ("spa", "oracle"):
        if any(isinstance(s, dict) and key in s for s in steps):
            return key
    return "env"


def summarize(record: dict[str, Any], rel: str, line: int, offset: int) -> dict[str, Any]:
    steps = record["steps"]
    meta = record.get("meta") if isinstance(record.get("meta"), dict) else {}
    return {"file": rel, "line": line, "offset": offset, "error": None,
            "env_id": str(record.get("env_id", "")), "task_type": str(record.get("task_type", "")),
            "split": str(record.get("split", "")), "task_id": record.get("task_id", -1),
            "task": str(record["task"])[:200], "won": bool(record.get("won", False)),
            "final_reward": _num(record["final_reward"]), "steps": len(steps),
            "valid": sum(bool(s.get("action_valid", True)) for s in steps),
            "reward_mode": reward_mode(record), "source": str(meta.get("source", "")),
            "ended": str(record.get("ended", "")),
            "has_spa": any("spa" in s for s in steps), "has_true_progress": any("true_progress" in s for s in steps)}


def series(record: dict[str, Any]) -> dict[str, list[float | None]]:
    """Per-step plot series: step numbers, the reward the agent got, cumulative estimated and true progress."""
    steps = record["steps"]
    dense = [_num(s.get("dense_reward", s.get("reward", 0.0))) for s in steps]
    progress = [_num((s.get("spa") or {}).get("progress")) for s in steps]
    true = [_num(s.get("true_progress")) for s in steps]
    oracle = [_num((s.get("oracle") or {}).get("progress")) for s in steps]
    if all(v is None for v in true) and any(v is not None for v in oracle):
        true = oracle
    # Step 0 is the reset: no reward yet, no progress.
    out: dict[str, list[float | None]] = {"step": [float(i) for i in range(len(steps) + 1)], "reward": [None] + dense}
    if any(v is not None for v in progress):
        out["progress"] = [0.0] + progress
    if any(v is not None for v in true):
        out["true_progress"] = [0.0] + true
    return out


def _error_row(rel: str, line: int, offset: int, error: str) -> dict[str, Any]:
    return {"file": rel, "line": line, "offset": offset, "error": error[:300], "env_id": "", "task_type": "",
            "split": "", "task_id": -1, "task": "", "won": False, "final_reward": None, "steps": 0, "valid": 0,
            "reward_mode": "", "source": "", "ended": "", "has_spa": False, "has_true_progress": False}


def _num(x: Any) -> float | None:
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        return None
    return float(x) if math.isfinite(x) else None


def _read_json(path: Path) -> Any:
    try:
        if path.stat().st_size > MAX_REPORT_BYTES:
            return None
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _is_ppo_history(data: Any) -> bool:
    return isinstance(data, list) and bool(data) and all(isinstance(d, dict) for d in data) \
        and "success_rate" in data[0]


__all__ = ["Forbidden", "MAX_LINE_BYTES", "RunFolder", "parse_line", "reward_mode", "series", "summarize"]
