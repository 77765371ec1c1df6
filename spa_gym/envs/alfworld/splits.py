"""ALFWorld splits: their sizes, which floor-plan layouts each may use, and the fixed test manifests.

Sizes follow the original benchmark: 3,553 training games, and about 140 per evaluation split.
``train``, ``valid`` and ``test`` draw from the same ("seen") layouts, like ALFWorld's
``eval_in_distribution``; ``test_unseen`` draws only from held-out layouts, like
``eval_out_of_distribution`` (the split SPA-RL reports). Held-out layouts never appear elsewhere.

The two test splits are *fixed and versioned*: ``manifests/{split}_{version}.json`` lists every task
(id, type, goal, layout and the sha256 of its PDDL problem). ``tests/test_alfworld_generator.py``
regenerates them byte for byte, so a generator change that alters a published test set fails loudly;
such a change must bump :data:`VERSION` (which re-seeds every task) and add new manifests.

>>> ALFWORLD_TASKS.size("test_unseen")
134
>>> sorted(set(layouts_for("test_unseen", "kitchen")) & set(layouts_for("train", "kitchen")))
[]
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from spa_gym.core import TaskSet
from spa_gym.envs.alfworld.tables import LAYOUT_NUMBERS

#: Version of the generated task sets. It is part of every task seed: bump it when generation changes.
VERSION = "v1"

#: Split sizes (the original's train size; ~140 per evaluation split, 134 for the unseen one).
SPLIT_SIZES = {"train": 3553, "valid": 140, "test": 140, "test_unseen": 134}

ALFWORLD_TASKS = TaskSet(family="alfworld", version=VERSION, sizes=SPLIT_SIZES)

#: Held-out floor plans: per room a small, a medium and a large one (7 to 34 receptacles), ALFRED's
#: unseen-validation rooms 10, 219, 308 and 424 among them.
UNSEEN_LAYOUTS = frozenset({8, 10, 18, 213, 219, 226, 307, 308, 330, 423, 424, 425})

MANIFEST_DIR = Path(__file__).parent / "manifests"
#: Splits whose task list is fixed and versioned.
MANIFEST_SPLITS = ("test", "test_unseen")


def layouts_for(split: str, scene_type: str) -> tuple[int, ...]:
    """Floor-plan numbers a split may use for a room type: held-out ones for ``test_unseen``, the rest otherwise."""
    ALFWORLD_TASKS.check_split(split)
    numbers = LAYOUT_NUMBERS[scene_type]
    unseen = split == "test_unseen"
    return tuple(n for n in numbers if (n in UNSEEN_LAYOUTS) == unseen)


def problem_sha256(problem: str) -> str:
    """The fingerprint of a game: sha256 of its PDDL problem text (UTF-8)."""
    return hashlib.sha256(problem.encode("utf-8")).hexdigest()


def manifest_path(split: str, version: str = VERSION) -> Path:
    return MANIFEST_DIR / f"{split}_{version}.json"


def build_manifest(split: str) -> str:
    """The manifest text of a split, regenerated from the generator: JSON with one line per task."""
    from spa_gym.envs.alfworld.generator import make_game  # the generator imports this module

    lines = []
    for task_id in range(ALFWORLD_TASKS.size(split)):
        game = make_game(split, task_id)
        entry = {
            "task_id": task_id,
            "task_type": game.task_type,
            "goal": game.goal,
            "layout": game.scene["layout"],
            "sha256": problem_sha256(game.problem),
        }
        lines.append("    " + json.dumps(entry, sort_keys=True))
    header = json.dumps({"family": ALFWORLD_TASKS.family, "version": VERSION, "split": split,
                         "size": ALFWORLD_TASKS.size(split)}, sort_keys=True)
    return header[:-1] + ', "tasks": [\n' + ",\n".join(lines) + "\n]}\n"


def load_manifest(split: str, version: str = VERSION) -> dict:
    """The committed manifest of a fixed split, as a dict (``tasks`` is the list of entries)."""
    if split not in MANIFEST_SPLITS:
        raise ValueError(f"split {split!r} has no fixed manifest; fixed splits are {MANIFEST_SPLITS}")
    path = manifest_path(split, version)
    if not path.exists():
        raise FileNotFoundError(f"no manifest for ALFWorld split {split!r} version {version!r} at {path}")
    return json.loads(path.read_text(encoding="utf-8"))


def write_manifests() -> list[Path]:
    """Regenerate and write the manifests of the fixed splits (run after bumping :data:`VERSION`)."""
    MANIFEST_DIR.mkdir(exist_ok=True)
    written = []
    for split in MANIFEST_SPLITS:
        path = manifest_path(split)
        path.write_text(build_manifest(split), encoding="utf-8")
        written.append(path)
    return written


if __name__ == "__main__":  # python -m spa_gym.envs.alfworld.splits  (re)writes the manifests
    for p in write_manifests():
        print(f"wrote {p}")
