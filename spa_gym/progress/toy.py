"""A tiny text env for examples, doctests and tests of the SPA tools: walk a number line to a target.

It keeps the full environment contract (it is a :class:`~spa_gym.core.TextEnv`) but has no world to
speak of, so examples run in milliseconds. Real work uses ``SPA-ALFWorld-v0`` and friends.

>>> env = CountingEnv(expert=True)
>>> obs, info = env.reset(seed=0, options={"task_id": 0})
>>> obs, info["task"], info["expert_action"]
('You stand at 0 on a number line.', 'reach 6', 'go up')
>>> env.step("dance")[0]
'Nothing happens.'
"""

from __future__ import annotations

from spa_gym.core import TaskSet, TextEnv, stable_seed


class CountingEnv(TextEnv):
    """Start at 0; ``go up`` / ``go down`` move by one, ``look`` repeats; reward 1.0 on reaching the target."""

    _tasks = TaskSet("counting", "v1", {"train": 100, "valid": 20, "test": 20})

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("max_steps", 12)
        super().__init__(**kwargs)

    @property
    def task_set(self) -> TaskSet:
        return self._tasks

    def _start_episode(self, split: str, task_id: int) -> str:
        self._world = {"at": 0, "target": 3 + stable_seed("counting", split, task_id) % 4}
        return "You stand at 0 on a number line."

    def _execute(self, action: str) -> tuple[str, float, bool, bool]:
        move = {"go up": 1, "go down": -1, "look": 0}.get(action.strip().lower())
        if move is None:
            return self.invalid_action_message, 0.0, False, False
        self._world["at"] += move
        won = self._won()
        suffix = " You reached the target!" if won else ""
        return f"You stand at {self._world['at']} on a number line.{suffix}", float(won), won, True

    def _admissible_commands(self) -> list[str]:
        return ["go up", "go down", "look"]

    def _won(self) -> bool:
        return self._world["at"] == self._world["target"]

    def _task_description(self) -> tuple[str, str]:
        return f"reach {self._world['target']}", "counting"

    def _expert_action(self) -> str | None:
        return "go up" if self._world["at"] < self._world["target"] else "go down"
