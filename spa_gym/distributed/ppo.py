"""PPO's rollouts on Ray: a drop-in for :func:`~spa_gym.agents.rollout.run_episodes` (``spa-gym train --ray``).

:func:`~spa_gym.agents.ppo.train_ppo` takes :func:`ray_rollout_fn` as ``rollout_fn``; the LLM stays on the driver
(:class:`~spa_gym.distributed.policy.LLMBatchPolicy`), the envs step on the workers, and with the same
``n_envs`` the trajectories are those of ``run_episodes``.

The SPA reward modes (``spa``, ``spa_potential``) are scored on the shared estimator actor while the episodes
run, each step as :class:`~spa_gym.wrappers.SPAReward` scores it (incrementally, with the wrapper's own
reward-form arithmetic), and :func:`online_rewards` hands them to ``train_ppo`` as ``rewards_fn``. Each PPO
mode is one of SPAReward's forms with SPAReward's defaults (:data:`ONLINE_FORMS`), so the rewards equal those
PPO scores after the episodes without Ray (:func:`~spa_gym.agents.ppo.turn_rewards`) to float rounding: the
estimator scored step by step rather than whole episodes at once. The other modes need no estimator and stay
on the driver.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from spa_gym.agents.rollout import Trajectory
from spa_gym.distributed.driver import RayRollouts, RayTrajectory
from spa_gym.distributed.policy import LLMBatchPolicy

#: The :class:`~spa_gym.wrappers.SPAReward` form of each PPO reward mode that needs an estimator: ``spa`` is
#: the per-step form (``alpha * c_t + beta * g_t``, no env reward added), ``spa_potential`` the potential form
#: (``gamma = 1``, the env reward added: in our envs the final reward, on the last step).
ONLINE_FORMS = {"spa": "per_step", "spa_potential": "potential"}


def online_reward_settings(mode: str, alpha: float = 1.0, beta: float = 0.5) -> dict[str, Any] | None:
    """The estimator actor's reward settings for PPO reward ``mode`` (``None``: a mode without an estimator).

    Every setting is given (SPAReward's defaults for the rest), so the actor's own defaults never leak in.

    >>> online_reward_settings("spa_potential", beta=0.2)
    {'form': 'potential', 'alpha': 1.0, 'beta': 0.2, 'add_final_reward': None, 'gamma': 1.0, 'progress_range': (0.0, 1.0)}
    >>> online_reward_settings("sparse") is None
    True
    """
    form = ONLINE_FORMS.get(mode)
    if form is None:
        return None
    return {"form": form, "alpha": float(alpha), "beta": float(beta), "add_final_reward": None, "gamma": 1.0,
            "progress_range": (0.0, 1.0)}


def ray_rollout_fn(rollouts: RayRollouts, on_episode: Callable[[int, RayTrajectory], None] | None = None, *,
                   estimator: Any = None, reward: dict[str, Any] | None = None) -> Callable[..., list[Trajectory]]:
    """A function with ``run_episodes``' signature that plays on ``rollouts``' workers (its ``env_fn`` argument
    is not used: the workers made their envs). ``on_episode`` sees each episode as it ends.

    With ``estimator`` (a :func:`~spa_gym.distributed.estimator_actor.start_estimator` actor) every step is scored
    there with the ``reward`` settings (:func:`online_reward_settings`); the trajectories carry the rewards
    (``dense_rewards``) and the seconds the driver waited for them are added to ``timings["rewards"]``.
    """

    def run(policy: Any, env_fn: Any, tasks: Sequence[tuple[str, int]], *, seed: int = 0, n_envs: int = 8,
            temperature: float = 1.0, top_p: float = 1.0, progress: bool = False, desc: str = "rollouts",
            timings: dict[str, float] | None = None) -> list[Trajectory]:
        if n_envs > rollouts.capacity:
            raise ValueError(f"n_envs={n_envs} but the Ray workers hold {rollouts.capacity} envs; start them with "
                             f"envs_per_worker >= {-(-n_envs // rollouts.n_workers)}")
        spent: dict[str, float] = {}
        trajs = rollouts.run(LLMBatchPolicy(policy, temperature, top_p), tasks, seed=seed,
                             n_envs=min(n_envs, max(len(tasks), 1)), on_episode=on_episode, timings=spent,
                             estimator=estimator, reward=reward, progress=progress, desc=desc)
        if timings is not None:
            for key, spent_key in (("generation", "generation"), ("env", "env"), ("rewards", "estimator")):
                timings[key] = timings.get(key, 0.0) + spent[spent_key]
        return list(trajs)

    return run


def online_rewards(trajs: Sequence[Trajectory]) -> list[list[float]]:
    """The per-step rewards the estimator actor scored during the rollouts: ``train_ppo``'s ``rewards_fn``."""
    out = []
    for k, traj in enumerate(trajs):
        rewards = getattr(traj, "dense_rewards", None)
        if rewards is None or len(rewards) != len(traj.episode.steps):
            got = "none" if rewards is None else len(rewards)
            raise RuntimeError(f"trajectory {k} has {got} scored rewards for {len(traj.episode.steps)} steps: "
                               "play the rollouts with ray_rollout_fn(..., estimator=...)")
        out.append([float(r) for r in rewards])
    return out


__all__ = ["ONLINE_FORMS", "online_reward_settings", "online_rewards", "ray_rollout_fn"]
