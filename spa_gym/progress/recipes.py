"""Training data for a progress estimator that has to learn progress, not a shortcut.

An estimator trained on final rewards learns whatever separates successes from failures most cheaply. Two
properties of naive data make that separation trivial and teach nothing about progress (measured in
benchmarks/RESULTS.md): every failure running to the step cap (length alone tells the outcome), and tasks
that are always won or always lost (the task sentence alone tells it). :func:`mixed_outcome_episodes` removes
both:

* **mixed outcomes per task**: every task is played ``per_task`` times with different noise levels
  ``epsilons`` (the noisy expert: a random admissible command with probability epsilon, else the expert's),
  so the same task appears won and lost and only the steps tell which;
* **varied lengths**: each episode gets its own step cap, drawn uniformly from ``[min_steps, max_steps]``,
  so failures end at every length, like successes do;
* **switching policies**: each episode switches, at a step drawn uniformly from its cap, to a noise level drawn
  from ``epsilons``. Without it the history tells the estimator which policy is playing (a random one never
  wins), and a value-style target learns "this agent is bad" instead of "this state is close to the goal";
  with it, what a prefix is worth depends on the state it reached more than on the policy that reached it;
* **on-policy data** is the caller's part: pass ``policy_factory`` to play the agent's own policy (the
  paper collects with the policy being trained), alone or mixed with the noisy expert.

The env must be made with ``expert=True`` for the noisy expert.

>>> from spa_gym.progress.toy import CountingEnv
>>> eps = mixed_outcome_episodes(CountingEnv(expert=True, max_steps=100), range(3), per_task=4,
...                              epsilons=(0.0, 1.0), min_steps=3, max_steps=12, seed=0, progress=False)
>>> len(eps), sorted({ep.task_id for ep in eps})
(12, [0, 1, 2])
>>> all(3 <= len(ep) <= 12 for ep in eps)
True
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np

from spa_gym.progress.episodes import Episode, NoisyExpertPolicy, Policy, play_episode


class SwitchingPolicy:
    """Play ``first`` for ``switch_step`` steps of an episode, then ``second``."""

    def __init__(self, first: Policy, second: Policy, switch_step: int) -> None:
        self.first, self.second, self.switch_step, self.steps = first, second, switch_step, 0

    def __call__(self, observation: str, info: dict) -> str:
        self.steps += 1
        return (self.first if self.steps <= self.switch_step else self.second)(observation, info)


def mixed_outcome_episodes(env: Any, task_ids: Iterable[int], *, split: str | None = None, per_task: int = 4,
                           epsilons: Sequence[float] = (0.1, 0.4, 0.7, 1.0), min_steps: int = 4,
                           max_steps: int = 30, seed: int = 0,
                           policy_factory: Callable[[int], Policy] | None = None,
                           policy_fraction: float = 0.0, switch: bool = True,
                           progress: bool = True) -> list[Episode]:
    """Play every task ``per_task`` times (see the module docstring); episodes come in task order.

    Args:
        env: a text env (made with ``expert=True`` unless every episode is played by ``policy_factory``).
        task_ids: tasks of ``split`` to play.
        split: reset option ``split`` (None: the env's default split).
        per_task: episodes per task; the ``k``-th uses ``epsilons[k % len(epsilons)]``.
        epsilons: noise levels of the noisy expert.
        min_steps, max_steps: each episode's own step cap is drawn uniformly from this range.
        seed: episode ``i`` resets with ``seed + i``; caps and noise draws come from the same seed.
        policy_factory: ``seed -> policy``, the agent's own policy for on-policy data.
        policy_fraction: share of the episodes played by ``policy_factory``'s policy.
        switch: switch each noisy-expert episode to a second noise level at a random step.
        progress: show a progress bar.
    """
    if per_task < 1:
        raise ValueError(f"per_task must be >= 1, got {per_task}")
    if not 1 <= min_steps <= max_steps:
        raise ValueError(f"need 1 <= min_steps <= max_steps, got {min_steps} and {max_steps}")
    if not epsilons or any(not 0.0 <= e <= 1.0 for e in epsilons):
        raise ValueError(f"epsilons must be a non-empty list of numbers in [0, 1], got {list(epsilons)}")
    if not 0.0 <= policy_fraction <= 1.0 or (policy_fraction > 0 and policy_factory is None):
        raise ValueError("policy_fraction must be in [0, 1], and > 0 only with a policy_factory")
    from tqdm.auto import tqdm

    tasks = [int(t) for t in task_ids]
    rng = np.random.default_rng(seed)
    episodes = []
    bar = tqdm(total=len(tasks) * per_task, desc="collecting estimator data", unit="ep", disable=not progress)
    i = 0
    for task_id in tasks:
        for k in range(per_task):
            cap = int(rng.integers(min_steps, max_steps + 1))
            episode_seed = seed + i
            if policy_factory is not None and rng.random() < policy_fraction:
                policy = policy_factory(episode_seed)
            else:
                policy = NoisyExpertPolicy(float(epsilons[k % len(epsilons)]), seed=episode_seed)
                if switch:
                    later = NoisyExpertPolicy(float(rng.choice(epsilons)), seed=episode_seed + 7_919)
                    policy = SwitchingPolicy(policy, later, int(rng.integers(0, cap + 1)))
            options: dict[str, Any] = {"task_id": task_id}
            if split is not None:
                options["split"] = split
            episodes.append(play_episode(env, policy, seed=episode_seed, options=options, max_steps=cap))
            i += 1
            bar.update()
    bar.close()
    return episodes


__all__ = ["SwitchingPolicy", "mixed_outcome_episodes"]
