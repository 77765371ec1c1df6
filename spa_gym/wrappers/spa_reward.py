"""SPA dense rewards for any text env, in two forms (``form=``):

* ``"potential"`` (the default): ``r_t = alpha * (gamma * Phi_t - Phi_{t-1}) + beta * (g_t - 1) + env reward``,
  where ``Phi_t = clip(c_1 + ... + c_t, 0, 1)`` is the estimator's cumulative progress. An episode's progress
  reward telescopes to ``alpha * Phi_T`` (for ``gamma = 1``), so no cycle of actions can earn more than the
  progress range: the form that cannot be farmed online. Chosen as the default by measurement
  (benchmarks/spa_learning.py, see the README).
* ``"per_step"``: the paper's ``r_t = alpha * c_t + beta * g_t``. Sound for scoring finished episodes, but an
  online policy can collect a liked step's credit again and again.

``c_t`` is the progress estimator's contribution of step ``t`` (scored incrementally: each step costs only its
new tokens, or one GRU step for the step-level estimator), ``g_t`` is 1.0 when the env executed the action
(``info["action_valid"]``) else 0.0. :func:`~spa_gym.wrappers.redistribution.potential_rewards` explains the
grounding penalty. The env's own reward stays visible in ``info["spa"]["env_reward"]``.

Works with any Gymnasium env whose observations and actions are strings. The task sentence is read from
``info["task"]`` at reset (empty when the env gives none; the first observation usually states it).
"""

from __future__ import annotations

from typing import Any, SupportsFloat

import gymnasium as gym
import numpy as np
from gymnasium.vector import AutoresetMode, VectorEnv, VectorWrapper

from spa_gym.progress.estimator import ProgressEstimator
from spa_gym.wrappers.redistribution import clip_progress

#: The reward forms of :class:`SPAReward` and :class:`SPARewardVector`.
FORMS = ("potential", "per_step")


class _Form:
    """The arithmetic both wrappers share: weights, form, and the reward of one step."""

    def __init__(self, alpha: float, beta: float, form: str, add_final_reward: bool | None, gamma: float,
                 progress_range: tuple[float, float]) -> None:
        if not (np.isfinite(alpha) and np.isfinite(beta)):
            raise ValueError(f"alpha and beta must be finite numbers, got {alpha} and {beta}")
        if form not in FORMS:
            raise ValueError(f"unknown form {form!r}; choose one of {FORMS}")
        if not 0.0 < gamma <= 1.0:
            raise ValueError(f"gamma must be in (0, 1], got {gamma}")
        clip_progress(0.0, progress_range)  # validates the range
        self.alpha, self.beta, self.form, self.gamma = float(alpha), float(beta), form, float(gamma)
        self.add_final_reward = (form == "potential") if add_final_reward is None else bool(add_final_reward)
        self.progress_range = (float(progress_range[0]), float(progress_range[1]))

    def rewards(self, contribution: np.ndarray, grounding: np.ndarray, env_reward: np.ndarray,
                progress: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Rewards of one step and the new cumulative progress ``P_t`` (arrays over episodes)."""
        new_progress = progress + contribution
        if self.form == "potential":
            phi_before, phi = clip_progress(progress, self.progress_range), clip_progress(new_progress, self.progress_range)
            reward = self.alpha * (self.gamma * phi - phi_before) + self.beta * (grounding - 1.0)
        else:
            reward = self.alpha * contribution + self.beta * grounding
        if self.add_final_reward:
            reward = reward + env_reward
        return reward, new_progress


class SPAReward(gym.Wrapper):
    """Replace the env's reward by SPA's dense reward (potential form by default; see the module docstring).

    Args:
        env: a Gymnasium env with string observations and actions.
        estimator: a (trained) progress estimator (:meth:`~spa_gym.progress.ProgressEstimator.load` gives one).
        alpha: weight of the progress term.
        beta: weight of the grounding term.
        form: ``"potential"`` (default) or ``"per_step"`` (the paper's ``alpha * c_t + beta * g_t``).
        add_final_reward: also add the env's own reward (in our envs: the final reward, at the end); default
            True for the potential form (its guarantee assumes it), False for the per-step form.
        gamma: the trainer's discount, for the potential form's ``gamma * Phi_t - Phi_{t-1}``; 1.0 (plain
            differences) telescopes exactly in the undiscounted return.
        progress_range: bounds of the potential ``Phi`` (our envs' final rewards lie in [0, 1]).
        max_context: context of the LM estimator's incremental scorer (default: the estimator's).

    ``info["spa"]`` holds ``contribution`` (``c_t``), ``progress`` (``P_t = c_1 + ... + c_t``), ``grounding``
    and ``env_reward`` of the step.

    >>> from spa_gym.progress import ProgressEstimator
    >>> from spa_gym.progress.toy import CountingEnv
    >>> env = SPAReward(CountingEnv(), ProgressEstimator.default(), alpha=1.0, beta=0.5)
    >>> obs, info = env.reset(seed=0)
    >>> obs, reward, terminated, truncated, info = env.step("fly away")
    >>> info["spa"]["grounding"], info["spa"]["env_reward"]
    (0.0, 0.0)
    >>> phi = min(max(info["spa"]["progress"], 0.0), 1.0)
    >>> bool(np.isclose(reward, phi - 0.0 - 0.5))     # potential gained, minus the grounding penalty
    True
    """

    def __init__(self, env: gym.Env, estimator: Any, alpha: float = 1.0, beta: float = 0.5,
                 form: str = "potential", add_final_reward: bool | None = None, gamma: float = 1.0,
                 progress_range: tuple[float, float] = (0.0, 1.0), max_context: int | None = None) -> None:
        super().__init__(env)
        self.reward_form = _Form(alpha, beta, form, add_final_reward, gamma, progress_range)
        self.alpha, self.beta, self.form = self.reward_form.alpha, self.reward_form.beta, form
        self.add_final_reward = self.reward_form.add_final_reward
        self.estimator = estimator.eval()
        self.scorer = estimator.incremental_scorer(max_context)
        self._progress = 0.0

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None) -> tuple[Any, dict]:
        obs, info = self.env.reset(seed=seed, options=options)
        self.scorer.start(0, str(info.get("task", "")), str(obs))
        self._progress = 0.0
        return obs, info

    def step(self, action: Any) -> tuple[Any, SupportsFloat, bool, bool, dict]:
        if 0 not in self.scorer:
            raise gym.error.ResetNeeded("call reset() before step()")
        obs, env_reward, terminated, truncated, info = self.env.step(action)
        valid = bool(info.get("action_valid", True))
        contribution = float(self.scorer.add_steps([(0, str(action), str(obs), valid)])[0])
        reward, progress = self.reward_form.rewards(np.float64(contribution), np.float64(float(valid)),
                                                    np.float64(env_reward), np.float64(self._progress))
        self._progress = float(progress)
        if terminated or truncated:
            self.scorer.end(0)
        info = dict(info, spa={"contribution": contribution, "progress": self._progress, "grounding": float(valid),
                               "env_reward": float(env_reward)})
        return obs, float(reward), terminated, truncated, info


class SPARewardVector(VectorWrapper):
    """:class:`SPAReward` for Gymnasium vector envs: one batched estimator call per vector step.

    Handles the ``NEXT_STEP`` (Gymnasium's default) and ``SAME_STEP`` autoreset modes. ``info["spa"]``
    holds arrays ``contribution``, ``grounding`` and ``env_reward`` (one entry per sub-env) and
    ``info["_spa"]`` marks the sub-envs that really stepped (not the ones being auto-reset).

    >>> from spa_gym.progress import ProgressEstimator
    >>> from spa_gym.progress.toy import CountingEnv
    >>> envs = gym.vector.SyncVectorEnv([lambda: CountingEnv(max_steps=3) for _ in range(2)])
    >>> envs = SPARewardVector(envs, ProgressEstimator.default())
    >>> obs, info = envs.reset(seed=0)
    >>> obs, rewards, terminated, truncated, info = envs.step(("go up", "dance"))
    >>> rewards.shape, info["spa"]["grounding"].tolist()
    ((2,), [1.0, 0.0])
    """

    def __init__(self, env: VectorEnv, estimator: Any, alpha: float = 1.0, beta: float = 0.5,
                 form: str = "potential", add_final_reward: bool | None = None, gamma: float = 1.0,
                 progress_range: tuple[float, float] = (0.0, 1.0), max_context: int | None = None) -> None:
        super().__init__(env)
        self.reward_form = _Form(alpha, beta, form, add_final_reward, gamma, progress_range)
        self.alpha, self.beta, self.form = self.reward_form.alpha, self.reward_form.beta, form
        self.add_final_reward = self.reward_form.add_final_reward
        self.autoreset_mode = env.metadata.get("autoreset_mode", AutoresetMode.NEXT_STEP)
        if self.autoreset_mode not in (AutoresetMode.NEXT_STEP, AutoresetMode.SAME_STEP):
            raise ValueError(f"SPARewardVector supports NEXT_STEP and SAME_STEP autoreset, got {self.autoreset_mode}")
        self.estimator = estimator.eval()
        self.scorer = estimator.incremental_scorer(max_context)
        self._autoresetting = np.zeros(self.num_envs, dtype=bool)
        self._progress = np.zeros(self.num_envs, dtype=np.float64)

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
        self._progress[:] = 0.0
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
            items.append((i, str(actions[i]), str(step_obs), bool(grounding[i])))
        contribution = np.zeros(n, dtype=np.float64)
        if items:  # the one batched estimator call of this vector step
            contribution[[item[0] for item in items]] = self.scorer.add_steps(items)
        env_rewards_ = np.asarray(env_rewards, dtype=np.float64)
        shaped, new_progress = self.reward_form.rewards(contribution, grounding, env_rewards_, self._progress)
        rewards = np.where(stepped, shaped, env_rewards_ if self.add_final_reward else 0.0)
        self._progress = np.where(stepped, new_progress, self._progress)
        progress = self._progress.copy()

        for i in range(n):
            if self.autoreset_mode == AutoresetMode.NEXT_STEP and not stepped[i]:
                self.scorer.start(i, self._task(info, i), str(obs[i]))  # this call was the reset
                self._progress[i] = 0.0
            elif done[i]:
                self.scorer.end(i)
                self._progress[i] = 0.0
                if self.autoreset_mode == AutoresetMode.SAME_STEP:
                    self.scorer.start(i, self._task(info, i), str(obs[i]))
        if self.autoreset_mode == AutoresetMode.NEXT_STEP:
            self._autoresetting = done.copy()

        info = dict(info)
        info["spa"] = {"contribution": contribution, "progress": progress, "grounding": grounding,
                       "env_reward": env_rewards_}
        info["_spa"] = stepped.copy()
        return obs, rewards, terminated, truncated, info


__all__ = ["FORMS", "SPAReward", "SPARewardVector"]
