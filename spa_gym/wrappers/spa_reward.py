"""SPA dense rewards for any text env: ``r_t = alpha * c_t + beta * g_t``.

``c_t`` is the progress estimator's contribution of step ``t`` (scored incrementally: each step costs
only its new tokens), ``g_t`` is 1.0 when the env executed the action (``info["action_valid"]``) else 0.0.
The env's own reward stays visible in ``info["spa"]["env_reward"]``.

Works with any Gymnasium env whose observations and actions are strings. The task sentence is read from
``info["task"]`` at reset (empty when the env gives none; the first observation usually states it).
"""

from __future__ import annotations

from typing import Any, SupportsFloat

import gymnasium as gym
import numpy as np
from gymnasium.vector import AutoresetMode, VectorEnv, VectorWrapper

from spa_gym.progress.estimator import ProgressEstimator
from spa_gym.progress.incremental import IncrementalScorer


def _check_weights(alpha: float, beta: float) -> None:
    if not (np.isfinite(alpha) and np.isfinite(beta)):
        raise ValueError(f"alpha and beta must be finite numbers, got {alpha} and {beta}")


class SPAReward(gym.Wrapper):
    """Replace the env's reward by SPA's dense reward ``alpha * c_t + beta * g_t``.

    Args:
        env: a Gymnasium env with string observations and actions.
        estimator: a (trained) :class:`~spa_gym.progress.ProgressEstimator`.
        alpha: weight of the estimator's contribution ``c_t``.
        beta: weight of the grounding signal ``g_t``.
        add_final_reward: also add the env's own reward (in our envs: the final reward, at the end).
        max_context: context of the incremental scorer (default: the estimator's).

    ``info["spa"]`` holds ``contribution``, ``grounding`` and ``env_reward`` of the step.

    >>> from spa_gym.progress import ProgressEstimator
    >>> from spa_gym.progress.toy import CountingEnv
    >>> env = SPAReward(CountingEnv(), ProgressEstimator.default(size="tiny"), alpha=1.0, beta=0.5)
    >>> obs, info = env.reset(seed=0)
    >>> obs, reward, terminated, truncated, info = env.step("fly away")
    >>> info["spa"]["grounding"], info["spa"]["env_reward"]
    (0.0, 0.0)
    >>> bool(np.isclose(reward, info["spa"]["contribution"]))
    True
    """

    def __init__(self, env: gym.Env, estimator: ProgressEstimator, alpha: float = 1.0, beta: float = 0.5,
                 add_final_reward: bool = False, max_context: int | None = None) -> None:
        super().__init__(env)
        _check_weights(alpha, beta)
        self.estimator = estimator.eval()
        self.alpha, self.beta, self.add_final_reward = float(alpha), float(beta), bool(add_final_reward)
        self.scorer = IncrementalScorer(estimator, max_context)

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None) -> tuple[Any, dict]:
        obs, info = self.env.reset(seed=seed, options=options)
        self.scorer.start(0, str(info.get("task", "")), str(obs))
        return obs, info

    def step(self, action: Any) -> tuple[Any, SupportsFloat, bool, bool, dict]:
        if 0 not in self.scorer:
            raise gym.error.ResetNeeded("call reset() before step()")
        obs, env_reward, terminated, truncated, info = self.env.step(action)
        contribution = float(self.scorer.add_steps([(0, str(action), str(obs))])[0])
        grounding = float(bool(info.get("action_valid", True)))
        reward = self.alpha * contribution + self.beta * grounding
        if self.add_final_reward:
            reward += float(env_reward)
        if terminated or truncated:
            self.scorer.end(0)
        info = dict(info, spa={"contribution": contribution, "grounding": grounding,
                               "env_reward": float(env_reward)})
        return obs, reward, terminated, truncated, info


class SPARewardVector(VectorWrapper):
    """:class:`SPAReward` for Gymnasium vector envs: one batched estimator call per vector step.

    Handles the ``NEXT_STEP`` (Gymnasium's default) and ``SAME_STEP`` autoreset modes. ``info["spa"]``
    holds arrays ``contribution``, ``grounding`` and ``env_reward`` (one entry per sub-env) and
    ``info["_spa"]`` marks the sub-envs that really stepped (not the ones being auto-reset).

    >>> from spa_gym.progress import ProgressEstimator
    >>> from spa_gym.progress.toy import CountingEnv
    >>> envs = gym.vector.SyncVectorEnv([lambda: CountingEnv(max_steps=3) for _ in range(2)])
    >>> envs = SPARewardVector(envs, ProgressEstimator.default(size="tiny"))
    >>> obs, info = envs.reset(seed=0)
    >>> obs, rewards, terminated, truncated, info = envs.step(("go up", "dance"))
    >>> rewards.shape, info["spa"]["grounding"].tolist()
    ((2,), [1.0, 0.0])
    """

    def __init__(self, env: VectorEnv, estimator: ProgressEstimator, alpha: float = 1.0, beta: float = 0.5,
                 add_final_reward: bool = False, max_context: int | None = None) -> None:
        super().__init__(env)
        _check_weights(alpha, beta)
        self.autoreset_mode = env.metadata.get("autoreset_mode", AutoresetMode.NEXT_STEP)
        if self.autoreset_mode not in (AutoresetMode.NEXT_STEP, AutoresetMode.SAME_STEP):
            raise ValueError(f"SPARewardVector supports NEXT_STEP and SAME_STEP autoreset, got {self.autoreset_mode}")
        self.estimator = estimator.eval()
        self.alpha, self.beta, self.add_final_reward = float(alpha), float(beta), bool(add_final_reward)
        self.scorer = IncrementalScorer(estimator, max_context)
        self._autoresetting = np.zeros(self.num_envs, dtype=bool)

    @staticmethod
    def _task(info: dict, i: int) -> str:
        tasks, mask = info.get("task"), info.get("_task")
        if tasks is None or (mask is not None and not mask[i]):
            return ""
        return str(tasks[i])

    def reset(self, *, seed: int | list[int] | None = None,
              options: dict[str, Any] | None = None) -> tuple[Any, dict]:
        obs, info = self.env.reset(seed=seed, options=options)
        self.scorer.reset()
        for i in range(self.num_envs):
            self.scorer.start(i, self._task(info, i), str(obs[i]))
        self._autoresetting[:] = False
        return obs, info

    def step(self, actions: Any) -> tuple[Any, np.ndarray, np.ndarray, np.ndarray, dict]:
        obs, env_rewards, terminated, truncated, info = self.env.step(actions)
        n = self.num_envs
        done = np.logical_or(terminated, truncated)
        stepped = ~self._autoresetting if self.autoreset_mode == AutoresetMode.NEXT_STEP else np.ones(n, bool)
        grounding = np.zeros(n, dtype=np.float64)
        items = []
        for i in range(n):
            if not stepped[i]:
                continue
            step_obs, step_info = obs[i], info
            if self.autoreset_mode == AutoresetMode.SAME_STEP and done[i]:
                # The step's own observation and info were moved aside by the autoreset.
                step_obs = info["final_obs"][i]
                step_info = info["final_info"]
            valid = step_info.get("action_valid")
            grounding[i] = float(bool(valid[i])) if valid is not None else 1.0
            items.append((i, str(actions[i]), str(step_obs)))
        contribution = np.zeros(n, dtype=np.float64)
        if items:  # the one batched estimator call of this vector step
            contribution[[i for i, _, _ in items]] = self.scorer.add_steps(items)
        rewards = np.where(stepped, self.alpha * contribution + self.beta * grounding, 0.0)
        if self.add_final_reward:
            rewards = rewards + np.asarray(env_rewards, dtype=np.float64)

        for i in range(n):
            if self.autoreset_mode == AutoresetMode.NEXT_STEP and not stepped[i]:
                self.scorer.start(i, self._task(info, i), str(obs[i]))  # this call was the reset
            elif done[i]:
                self.scorer.end(i)
                if self.autoreset_mode == AutoresetMode.SAME_STEP:
                    self.scorer.start(i, self._task(info, i), str(obs[i]))
        if self.autoreset_mode == AutoresetMode.NEXT_STEP:
            self._autoresetting = done.copy()

        info = dict(info)
        info["spa"] = {"contribution": contribution, "grounding": grounding,
                       "env_reward": np.asarray(env_rewards, dtype=np.float64)}
        info["_spa"] = stepped.copy()
        return obs, rewards, terminated, truncated, info


__all__ = ["SPAReward", "SPARewardVector"]
