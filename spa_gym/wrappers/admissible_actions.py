"""`AdmissibleActionSpace`: a ``Discrete(K)`` action space over a text env's admissible commands.

Classic RL libraries (stable-baselines3, sb3-contrib) cannot act in a ``Text`` space. This wrapper
turns "pick one of the commands the env lists in ``info["admissible_commands"]``" into an integer
action, and exposes the mask of the slots that hold a command, for masked policies (MaskablePPO).
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

import gymnasium as gym
import numpy as np
from gymnasium import spaces

#: What the wrapper sends for a masked or out-of-range slot. No spa_gym env admits the empty command,
#: so the env answers with its own invalid-action reply (``Nothing happens.``, or WebShop's unchanged page).
INVALID_COMMAND = ""

_OVERFLOW_POLICIES = ("truncate", "error")


class AdmissibleActionSpace(gym.Wrapper[Any, int, Any, str]):
    """Act in a text env with integers: slot ``i`` is the ``i``-th admissible command.

    **Slot order.** The admissible commands are de-duplicated and sorted (plain string order), so the
    same set of commands always lands in the same slots, whatever order the env lists them in. The
    order is published every step as ``info["action_slots"]`` (the commands, slot by slot) and
    ``info["action_mask"]`` (``True`` where a slot holds a command); :meth:`action_masks` returns the
    same mask for sb3-contrib's ``MaskablePPO``.

    **Empty, masked and out-of-range slots** are a no-op that still costs a step: the wrapper sends
    :data:`INVALID_COMMAND` (the empty string), which the env rejects with its own invalid-action answer
    and ``info["action_valid"] = False`` (SPA's grounding signal). So unmasked agents such as plain
    ``PPO`` work too; they just waste steps on empty slots. ``info["command"]`` is the string sent.

    **More than K admissible commands.** With ``overflow="truncate"`` (default) only the first
    ``max_actions`` in slot order are offered; ``info["commands_dropped"]`` counts the rest, and a
    warning is logged once. Pick ``max_actions`` above the largest count your tasks produce to avoid it.
    With ``overflow="error"`` the wrapper raises ``RuntimeError`` instead.

    **Free-text commands** that an env accepts but cannot list (WebShop's ``search[...]``) can be offered
    through ``extra_commands``, a function of ``info`` returning commands to add to the slots, e.g.
    :func:`search_with_task`.

    Args:
        env: a text env following the spa_gym contract (``info["admissible_commands"]`` every step).
        max_actions: K, the number of slots.
        overflow: ``"truncate"`` or ``"error"`` (see above).
        extra_commands: optional ``info -> list[str]``; its commands join the admissible ones.

    Example:
        >>> from spa_gym.progress.toy import CountingEnv
        >>> env = AdmissibleActionSpace(CountingEnv(), max_actions=4)
        >>> env.action_space
        Discrete(4)
        >>> obs, info = env.reset(seed=0)
        >>> info["action_slots"], env.action_masks().tolist()
        (['go down', 'go up', 'look'], [True, True, True, False])
        >>> obs, reward, terminated, truncated, info = env.step(1)   # slot 1 = "go up"
        >>> obs, info["command"], info["action_valid"]
        ('You stand at 1 on a number line.', 'go up', True)
        >>> obs, reward, terminated, truncated, info = env.step(3)   # an empty slot: a wasted step
        >>> obs, info["action_valid"]
        ('Nothing happens.', False)
    """

    def __init__(self, env: gym.Env, max_actions: int, *, overflow: str = "truncate",
                 extra_commands: Callable[[dict], Sequence[str]] | None = None) -> None:
        super().__init__(env)
        if isinstance(max_actions, bool) or not isinstance(max_actions, (int, np.integer)) or max_actions < 1:
            raise ValueError(f"max_actions must be a positive int, got {max_actions!r}")
        if overflow not in _OVERFLOW_POLICIES:
            raise ValueError(f"overflow must be one of {_OVERFLOW_POLICIES}, got {overflow!r}")
        self.max_actions = int(max_actions)
        self.overflow = overflow
        self.extra_commands = extra_commands
        self.action_space = spaces.Discrete(self.max_actions)
        self._slots: list[str] = []
        self._warned_overflow = False

    # ------------------------------------------------------------------ gymnasium API
    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None) -> tuple[Any, dict]:
        obs, info = self.env.reset(seed=seed, options=options)
        return obs, self._publish_slots(info, command=None)

    def step(self, action: int) -> tuple[Any, float, bool, bool, dict]:
        slot = _as_slot_index(action)
        command = self._slots[slot] if 0 <= slot < len(self._slots) else INVALID_COMMAND
        obs, reward, terminated, truncated, info = self.env.step(command)
        return obs, reward, terminated, truncated, self._publish_slots(info, command=command)

    def action_masks(self) -> np.ndarray:
        """Boolean mask of shape ``(max_actions,)``: ``True`` where a slot holds an admissible command."""
        mask = np.zeros(self.max_actions, dtype=bool)
        mask[: len(self._slots)] = True
        return mask

    # ------------------------------------------------------------------ helpers
    def _publish_slots(self, info: dict, command: str | None) -> dict:
        if "admissible_commands" not in info:
            raise KeyError("AdmissibleActionSpace needs info['admissible_commands'] from the wrapped env")
        commands = set(info["admissible_commands"])
        if self.extra_commands is not None:
            commands.update(self.extra_commands(info))
        commands = sorted(commands)
        if INVALID_COMMAND in commands:
            # The no-op would become a real move; refuse rather than silently change the env's dynamics.
            raise RuntimeError(f"the env admits {INVALID_COMMAND!r}, which AdmissibleActionSpace uses as its no-op")
        dropped = max(0, len(commands) - self.max_actions)
        if dropped and self.overflow == "error":
            raise RuntimeError(f"{len(commands)} admissible commands but max_actions={self.max_actions}; "
                               "raise max_actions or use overflow='truncate'")
        if dropped and not self._warned_overflow:
            gym.logger.warn(f"{len(commands)} admissible commands > max_actions={self.max_actions}: offering the "
                            f"first {self.max_actions} in sorted order (info['commands_dropped'] counts the rest)")
            self._warned_overflow = True
        self._slots = commands[: self.max_actions]
        info = dict(info)
        info["action_slots"] = list(self._slots)
        info["action_mask"] = self.action_masks()
        info["commands_dropped"] = dropped
        if command is not None:
            info["command"] = command
        return info


def _as_slot_index(action: Any) -> int:
    """An integer slot from whatever SB3 passes (Python int, numpy scalar, 0-d or 1-element array)."""
    array = np.asarray(action)
    if array.size != 1 or not np.issubdtype(array.dtype, np.integer):
        raise TypeError(f"AdmissibleActionSpace expects one integer action, got {action!r}")
    return int(array.reshape(()))


def search_with_task(info: dict) -> list[str]:
    """WebShop's free-text search, offered as one command: search with the instruction itself.

    Only on pages with a search bar (``info["available_actions"]["has_search_bar"]``, as in the original
    WebShop); elsewhere, and for envs without ``available_actions``, it offers nothing. Searching with the
    instruction text is a simple, learning-free query policy; the RL agent then learns the clicks.

    >>> search_with_task({"task": "red shoes, under 30 dollars", "available_actions": {"has_search_bar": True}})
    ['search[red shoes, under 30 dollars]']
    >>> search_with_task({"task": "put a mug in the sink"})
    []
    """
    if not info.get("available_actions", {}).get("has_search_bar"):
        return []
    return [f"search[{info['task']}]"]


def slot_of(command: str, action_slots: Sequence[str]) -> int:
    """The slot index of ``command`` in ``info["action_slots"]``, or ``-1`` when it is not offered.

    Handy to replay an expert (``info["expert_action"]``) through the integer interface.

    >>> slot_of("go up", ["go down", "go up"]), slot_of("jump", ["go down", "go up"])
    (1, -1)
    """
    try:
        return list(action_slots).index(command)
    except ValueError:
        return -1
