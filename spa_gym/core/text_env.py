"""`TextEnv`: the base class that keeps the environment contract for every spa_gym text environment.

A family (ALFWorld, WebShop, VirtualHome) implements a handful of ``_hooks`` that know its world;
this class owns what must be the same everywhere: Text spaces, the ``reset`` options, the step limit,
the ``info`` keys, snapshots, and the promise that ``step`` never raises on any string.

Contract (see DESIGN.md):

* ``reset(seed=None, options={"split": ..., "task_id": ...})``: the same seed and task id give the
  same episode, byte for byte, in any process. Without ``task_id`` the env draws one from its seeded
  generator.
* ``step(action)``: any string; an inadmissible command changes nothing and gets the family's answer.
* ``info`` always holds :data:`INFO_KEYS`; ``expert_action`` too when made with ``expert=True``.
* ``get_state()`` / ``set_state()``: a picklable snapshot and its exact restore.
* ``info["state_hash"]``: a stable hex digest of the state the agent acts from (:meth:`TextEnv.state_hash`):
  equal for equal snapshots in any process, different when the world differs.
* Text is never rewritten to fit a charset: the spaces hold :data:`~spa_gym.core.text.CHARSET` plus the
  characters a family's data adds (``_emitted_characters``). Should an observation still carry a character
  outside them (a bug in that hook), it is passed on unchanged and a warning names the characters.
"""

from __future__ import annotations

import copy
from typing import Any, ClassVar

import gymnasium as gym
from gymnasium import logger, spaces

from spa_gym.core.state_hash import canonical, digest, rng_form
from spa_gym.core.tasks import TaskSet
from spa_gym.core.text import MAX_ACTION_LENGTH, MAX_OBSERVATION_LENGTH, charset_with, outside

#: Keys present in every ``info`` dict returned by ``reset`` and ``step``.
INFO_KEYS = ("admissible_commands", "won", "task", "task_id", "task_type", "action_valid", "step", "split",
             "state_hash")


def text_space(max_length: int, extra: str = "") -> spaces.Text:
    """A Text space over :data:`~spa_gym.core.text.CHARSET` plus the characters of ``extra`` (empty strings
    allowed)."""
    return spaces.Text(max_length=max_length, min_length=0, charset=charset_with(extra))


class TextEnv(gym.Env[str, str]):
    """Base class of the spa_gym text environments. Subclasses implement the ``_`` hooks below.

    Args:
        split: split drawn from when ``reset`` gets no ``options["split"]``.
        max_steps: step limit; ``truncated`` is True on the step that reaches it.
        expert: add ``info["expert_action"]``, the next command of an optimal expert.
        render_mode: ``"ansi"`` (``render()`` returns the last observation) or ``"human"`` (prints it).
    """

    metadata: ClassVar[dict[str, Any]] = {"render_modes": ["ansi", "human"]}
    #: Answer to a command that is not admissible (families override).
    invalid_action_message: ClassVar[str] = "Nothing happens."

    def __init__(self, *, split: str = "train", max_steps: int = 40, expert: bool = False,
                 render_mode: str | None = None) -> None:
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ValueError(f"render_mode must be one of {self.metadata['render_modes']}, got {render_mode!r}")
        if max_steps < 1:
            raise ValueError(f"max_steps must be >= 1, got {max_steps}")
        self.task_set.check_split(split)
        extra = self._emitted_characters()
        self.observation_space = text_space(MAX_OBSERVATION_LENGTH, extra)
        # Commands are made of the same words as the pages (names, option values), so the same characters.
        self.action_space = text_space(MAX_ACTION_LENGTH, extra)
        self._charset = self.observation_space.character_set
        self._warned: set[str] = set()
        self.default_split = split
        self.max_steps = max_steps
        self.expert = expert
        self.render_mode = render_mode
        self._split = split
        self._task_id = -1
        self._step_count = 0
        self._done = False
        self._last_obs = ""
        self._last_valid = True

    # ------------------------------------------------------------------ hooks for subclasses
    @property
    def task_set(self) -> TaskSet:
        """The family's :class:`TaskSet` (split names and sizes)."""
        raise NotImplementedError

    def _start_episode(self, split: str, task_id: int) -> str:
        """Load task ``task_id`` of ``split`` into a fresh world; return the first observation."""
        raise NotImplementedError

    def _execute(self, action: str) -> tuple[str, float, bool, bool]:
        """Apply one command: return ``(observation, reward, terminated, action_valid)``.

        Must not raise on any string and must leave the world unchanged when the command is invalid.
        """
        raise NotImplementedError

    def _admissible_commands(self) -> list[str]:
        raise NotImplementedError

    def _won(self) -> bool:
        raise NotImplementedError

    def _task_description(self) -> tuple[str, str]:
        """``(goal sentence, task type)`` of the current task."""
        raise NotImplementedError

    def _expert_action(self) -> str | None:
        """Next command of an optimal expert, or None when the task is done or unsolvable."""
        raise NotImplementedError

    def _extra_info(self) -> dict[str, Any]:
        """Family-specific info entries (added to every info dict)."""
        return {}

    def _emitted_characters(self) -> str:
        """Every character beyond printable ASCII, newline and tab that this env's observations may hold,
        taken from its data (called once, before the spaces are made). Default: none."""
        return ""

    def _world_state(self) -> Any:
        """A picklable copy of the family's world (default: deep copy of ``self._world``)."""
        return copy.deepcopy(self._world)  # type: ignore[attr-defined]

    def _restore_world(self, state: Any) -> None:
        self._world = copy.deepcopy(state)  # type: ignore[attr-defined]

    def _state_view(self) -> Any:
        """The live world as plain data for :meth:`state_hash`: everything, beyond the task and whether the
        episode is over, that decides what the next commands do. Read it, do not copy it (this runs on every
        step). Default: :func:`~spa_gym.core.state_hash.canonical` of ``self._world`` and of the RNG's state
        (a family whose steps never draw from ``np_random`` leaves the RNG out); families with big worlds give
        a faster exact form."""
        return (canonical(self._world), rng_form(self.np_random))  # type: ignore[attr-defined]

    # ------------------------------------------------------------------ gymnasium API
    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None) -> tuple[str, dict]:
        super().reset(seed=seed)
        options = dict(options or {})
        unknown = set(options) - {"split", "task_id"}
        if unknown:
            raise ValueError(f"unknown reset option(s) {sorted(unknown)}; known: 'split', 'task_id'")
        split = options.get("split", self.default_split)
        self.task_set.check_split(split)
        task_id = options.get("task_id")
        if task_id is None:
            task_id = int(self.np_random.integers(self.task_set.size(split)))
        self.task_set.check(split, task_id)
        self._split, self._task_id = split, int(task_id)
        self._step_count = 0
        self._done = False
        self._last_valid = True
        self._last_obs = self._checked(self._start_episode(split, self._task_id))
        if self.render_mode == "human":
            self.render()
        return self._last_obs, self._info()

    def step(self, action: str) -> tuple[str, float, bool, bool, dict]:
        if self._task_id < 0:
            raise gym.error.ResetNeeded("call reset() before step()")
        if not isinstance(action, str):
            action = str(action)
        if self._done:
            # Stepping a finished episode is a caller error, but it must not raise: nothing changes.
            self._last_valid = False
            return self._last_obs, 0.0, True, False, self._info()
        obs, reward, terminated, valid = self._execute(action)
        self._step_count += 1
        self._last_valid = bool(valid)
        self._last_obs = self._checked(obs)
        truncated = not terminated and self._step_count >= self.max_steps
        self._done = bool(terminated or truncated)
        if self.render_mode == "human":
            self.render()
        return self._last_obs, float(reward), bool(terminated), bool(truncated), self._info()

    def render(self) -> str | None:
        if self.render_mode == "ansi":
            return self._last_obs
        if self.render_mode == "human":
            print(self._last_obs)
        return None

    def _checked(self, obs: str) -> str:
        """``obs`` unchanged; warns (once per character) if the charset misses some of its characters."""
        missing = outside(obs, self._charset)
        if missing and not set(missing) <= self._warned:
            self._warned.update(missing)
            logger.warn(f"{type(self).__name__} emitted {missing!r}, which its Text space lacks; the text is kept "
                        "as it is (its family's _emitted_characters() should list them)")
        return obs

    # ------------------------------------------------------------------ info and snapshots
    def _info(self) -> dict[str, Any]:
        task, task_type = self._task_description()
        info: dict[str, Any] = {
            "admissible_commands": list(self._admissible_commands()),
            "won": bool(self._won()),
            "task": task,
            "task_id": self._task_id,
            "task_type": task_type,
            "action_valid": self._last_valid,
            "step": self._step_count,
            "split": self._split,
            "state_hash": self.state_hash(),
        }
        if self.expert:
            info["expert_action"] = None if self._done else self._expert_action()
        info.update(self._extra_info())
        return info

    def get_state(self) -> dict[str, Any]:
        """A picklable snapshot of the whole episode (world, step count, RNG)."""
        if self._task_id < 0:
            raise gym.error.ResetNeeded("call reset() before get_state()")
        return {
            "world": self._world_state(),
            "split": self._split,
            "task_id": self._task_id,
            "step": self._step_count,
            "done": self._done,
            "last_obs": self._last_obs,
            "last_valid": self._last_valid,
            "np_random": copy.deepcopy(self.np_random.bit_generator.state),
        }

    def state_hash(self) -> str:
        """A stable hex digest (BLAKE2b, 32 characters) of the state the agent acts from, as ``info`` reports it.

        It covers the task (task set, split, task id), whether the episode is over, and the family's world
        (:meth:`_state_view`); it leaves out the step counter and the last observation, which say how the
        agent got here, not where it is, so a state revisited at another step (GiGPO's anchor states) hashes
        the same. Equal :meth:`get_state` snapshots give equal hashes in any process (``PYTHONHASHSEED``
        and set order play no part); ``set_state(s)`` brings back the hash the env had when ``s`` was taken.
        """
        if self._task_id < 0:
            raise gym.error.ResetNeeded("call reset() before state_hash()")
        tasks = self.task_set
        return digest((type(self).__name__, tasks.family, tasks.version, self._split, self._task_id,
                       self._done, self._state_view()))

    def set_state(self, state: dict[str, Any]) -> None:
        """Restore a snapshot taken by :meth:`get_state` (of this env or another of the same family)."""
        self._restore_world(state["world"])
        self._split, self._task_id = state["split"], state["task_id"]
        self._step_count, self._done = state["step"], state["done"]
        self._last_obs, self._last_valid = state["last_obs"], state["last_valid"]
        self.np_random.bit_generator.state = copy.deepcopy(state["np_random"])
