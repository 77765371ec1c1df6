"""Task sets: which task a ``(split, task_id)`` pair names, reproducibly and without overlap.

A :class:`TaskSet` does not hold tasks; it names them. Each environment family turns the
``seed_for(split, task_id)`` integer into a task with its own generator (or reads an official file),
so the same pair gives the same task in any process. The ``version`` is part of every seed: changing
a generator in a way that changes tasks must bump it, so published numbers stay comparable.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

from spa_gym.core.seeding import stable_seed

SPLITS = ("train", "valid", "test")


@dataclass(frozen=True)
class TaskSet:
    """The named tasks of one environment family: split sizes and a version that seeds them."""

    family: str
    version: str
    sizes: Mapping[str, int] = field(default_factory=dict)

    @property
    def splits(self) -> tuple[str, ...]:
        return tuple(self.sizes)

    def size(self, split: str) -> int:
        self.check_split(split)
        return self.sizes[split]

    def check_split(self, split: str) -> None:
        if split not in self.sizes:
            raise ValueError(f"unknown split {split!r} for {self.family}; choose one of {sorted(self.sizes)}")

    def check(self, split: str, task_id: int) -> None:
        """Raise ``ValueError`` with a readable message unless ``task_id`` names a task of ``split``."""
        self.check_split(split)
        if isinstance(task_id, bool) or not isinstance(task_id, int):
            raise ValueError(f"task_id must be an int, got {task_id!r}")
        n = self.sizes[split]
        if not 0 <= task_id < n:
            raise ValueError(f"task_id {task_id} out of range for {self.family} split {split!r} (0..{n - 1})")

    def seed_for(self, split: str, task_id: int, attempt: int = 0) -> int:
        """The generator seed of a task. ``attempt`` > 0 re-draws a task a generator rejected."""
        self.check(split, task_id)
        return stable_seed(self.family, self.version, split, task_id, attempt)
