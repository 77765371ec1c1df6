"""True progress: how far the env's optimal expert still is from winning, measured on the env itself.

``expert_distance(env)`` snapshots the env (``env.unwrapped.get_state()``), plays the expert forward until
it wins, counts the steps and puts the env back exactly where it was. ``true_progress`` turns the
distances of an episode into ``1 - d_t / d_0``, what a progress estimator is judged against (DESIGN.md,
"Rewards").

>>> from spa_gym.progress.toy import CountingEnv
>>> env = CountingEnv(expert=True)
>>> obs, info = env.reset(seed=0, options={"task_id": 0})
>>> info["task"]
'reach 6'
>>> distances = [expert_distance(env)]
>>> for action in ["go up", "go up", "go down", "look"]:
...     obs, reward, terminated, truncated, info = env.step(action)
...     distances.append(expert_distance(env))
>>> distances
[6, 5, 4, 5, 5]
>>> true_progress(distances).round(3)
array([0.   , 0.167, 0.333, 0.167, 0.167])
>>> true_progress([4, 2, None])            # None (the expert cannot win) counts as `cap` steps away
array([  0. ,   0.5, -49. ])

The distance does not depend on the episode's step limit nor on whether the episode is over: a
truncated episode still has a true distance.

>>> env = CountingEnv(expert=True, max_steps=2)
>>> obs, info = env.reset(seed=0, options={"task_id": 0})
>>> for _ in range(2):
...     obs, reward, terminated, truncated, info = env.step("go up")
>>> truncated, info["expert_action"]                 # the episode is over: the env offers no expert action
(True, None)
>>> expert_distance(env), env.get_state()["step"]    # but the distance is known, and the env is untouched
(4, 2)

How the rollout stays honest and leaves no trace:

* The step limit, ``_done`` and ``expert`` are lifted for the rollout (the env offers no
  ``expert_action`` once done, and VirtualHome's planner gives up beyond ``max_steps`` commands), the
  rollout steps the *unwrapped* env (a wrapper's counters never see it), rendering is off, and
  ``set_state`` plus the saved attributes put everything back, RNG included.
* Cached expert plans. ALFWorld's ``Expert`` (``_planner``) remembers the plan it follows together with
  the state that plan starts from and checks it against the live state before using it, so it cannot go
  stale across ``set_state``; the rollout advances a copy of it and the original is put back.
  VirtualHome's ``_plan`` is popped in place as the expert's commands run and dropped by ``set_state``;
  the rollout pops a copy, and the original is put back after ``set_state`` so the next
  ``expert_action`` is what it would have been without the call. An *empty* cached plan there can mean
  "longer than ``max_steps``", so the rollout replans without that limit. WebShop's ``_plans`` is keyed
  by task and depends on the goal only, so it cannot go stale either.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

import numpy as np

#: Default bound on an expert rollout, and the distance an unwinnable state counts as in :func:`true_progress`.
DEFAULT_LIMIT = 200

# A step limit no rollout reaches (TextEnv truncates at ``_step_count >= max_steps``).
_NO_LIMIT = 2 ** 62


def expert_distance(env: Any, limit: int = DEFAULT_LIMIT) -> int | None:
    """Steps the env's optimal expert needs to win from the env's current state.

    Args:
        env: a spa_gym :class:`~spa_gym.core.TextEnv` (ALFWorld, WebShop, VirtualHome, or any env keeping
            the contract), wrapped or not. It need not have been made with ``expert=True``.
        limit: give up after this many expert steps.

    Returns:
        0 when the task is already won; None when the expert cannot win within ``limit`` steps (it has no
        plan from here, e.g. a WebShop purchase that scored below 1.0, or its plan is longer). The env is
        left exactly as it was.
    """
    if limit < 0:
        raise ValueError(f"limit must be >= 0, got {limit}")
    base = env.unwrapped
    if not callable(getattr(base, "get_state", None)) or not callable(getattr(base, "_expert_action", None)):
        raise TypeError(f"expert_distance needs a spa_gym TextEnv (get_state / set_state and an expert), "
                        f"got {type(base).__name__}")
    if getattr(base, "backend", "native") != "native":
        raise ValueError("expert_distance needs ALFWorld's native backend (the expert plans on the native state)")
    snapshot = base.get_state()
    saved = {name: getattr(base, name) for name in ("max_steps", "expert", "render_mode", "_planner", "_plan")
             if hasattr(base, name)}
    try:
        base.max_steps, base.expert, base.render_mode, base._done = _NO_LIMIT, True, None, False
        if saved.get("_planner") is not None:  # ALFWorld: only rebinds its _plan/_at, so a shallow copy is enough
            base._planner = copy.copy(saved["_planner"])
        if "_plan" in saved:  # VirtualHome: popped in place; an empty plan may only mean "beyond max_steps"
            base._plan = list(saved["_plan"]) if saved["_plan"] else None
        if base._won():
            return 0
        action = base._expert_action()
        for n in range(1, limit + 1):
            if action is None:
                return None
            _, _, terminated, _, info = base.step(action)
            if info["won"]:
                return n
            if terminated:  # ended without a win (WebShop: bought something worth less than 1.0)
                return None
            action = info["expert_action"]
        return None
    finally:
        base.set_state(snapshot)
        for name, value in saved.items():
            setattr(base, name, value)


def true_progress(distances: Sequence[int | None], cap: int = DEFAULT_LIMIT) -> np.ndarray:
    """``1 - d_t / d_0`` for each distance of an episode (``distances[0]`` is ``d_0``, before any step).

    ``d_0`` is floored at 1 (an episode that starts won has progress ``1 - d_t``). A None distance (the
    expert cannot win from there) counts as ``cap`` steps away; the default is :func:`expert_distance`'s
    default ``limit``, a lower bound on such a state's true distance, so it ranks below every state the
    expert can win from.

    >>> true_progress([3, 2, 1, 0])
    array([0.        , 0.33333333, 0.66666667, 1.        ])
    >>> true_progress([0, 0])
    array([1., 1.])
    """
    if cap < 1:
        raise ValueError(f"cap must be >= 1, got {cap}")
    d = np.array([cap if x is None else x for x in distances], dtype=float)
    if (d < 0).any():
        raise ValueError(f"distances must be >= 0 or None, got {list(distances)}")
    if d.size == 0:
        return d
    return 1.0 - d / max(d[0], 1.0)


__all__ = ["DEFAULT_LIMIT", "expert_distance", "true_progress"]
