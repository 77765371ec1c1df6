"""The shared progress estimator: one actor scores the steps of every worker's episodes, in batches.

:class:`SPAStepScorer` keeps, per running episode, its slot in one incremental scorer
(:class:`~spa_gym.progress.incremental.IncrementalScorer`, or the step-level model's
:class:`~spa_gym.progress.step_model.StepIncrementalScorer`) and its cumulative progress ``P_t``. One
:meth:`SPAStepScorer.score` call scores one step of many episodes in one batched forward pass and turns the
contributions into SPA rewards with the reward-form arithmetic of :class:`~spa_gym.wrappers.SPAReward`
itself (the potential and per-step forms, ``gamma``, the progress range, the final reward), so the rewards
are those a single-process ``SPAReward`` gives.

The actor's reward settings are a default: :meth:`SPAStepScorer.start` may give episodes their own (another
form, other weights), so drivers with different rewards (a PPO run with ``spa_potential`` beside one with
``spa``) share one estimator, and one copy of its weights on the GPU.

It is plain Python (the tests compare it with ``SPAReward`` in-process); :func:`start_estimator` makes it the
Ray actor, on a GPU when the cluster has one.
"""

from __future__ import annotations

import os
from collections.abc import Hashable, Sequence
from typing import Any

import numpy as np

# SPAReward's reward forms, shared rather than re-derived: the rewards must stay exactly those of the wrapper.
from spa_gym.wrappers.spa_reward import _Form


def _load(estimator: Any, device: str | None) -> Any:
    from spa_gym.progress import ProgressEstimator

    if estimator is None:
        return ProgressEstimator.default(device=device or "cpu")
    if isinstance(estimator, (str, os.PathLike)):
        return ProgressEstimator.load(estimator, device=device or "cpu")
    # An estimator object (pickled to the actor) goes to the actor's device: the driver's may not exist there.
    return estimator if device is None else estimator.to(device)


class SPAStepScorer:
    """SPA rewards of many episodes' steps, scored in batches.

    Args:
        estimator: an estimator, a saved estimator's folder, or ``None`` (the offline default, untrained).
        alpha, beta, form, add_final_reward, gamma, progress_range, max_context: as in
            :class:`~spa_gym.wrappers.SPAReward`; the reward settings are the default of episodes started
            without their own (:meth:`start`).
        device: where the estimator runs (``"cpu"``, ``"cuda"``, ...); ``None``: an estimator object stays
            where it is, a loaded one runs on the CPU.

    >>> from spa_gym.progress import ProgressEstimator
    >>> scorer = SPAStepScorer(ProgressEstimator.default(seed=0))
    >>> scorer.start([("a", "reach 3", "You stand at 0."), ("b", "reach 4", "You stand at 0.")])
    >>> out = scorer.score([("a", "go up", "You stand at 1.", True, 0.0, False),
    ...                     ("b", "dance", "Nothing happens.", False, 0.0, True)])
    >>> [sorted(spa) for _, spa in out][0]
    ['contribution', 'env_reward', 'grounding', 'progress']
    >>> len(scorer)                      # "b" ended and was forgotten
    1
    """

    def __init__(self, estimator: Any = None, alpha: float = 1.0, beta: float = 0.5, form: str = "potential",
                 add_final_reward: bool | None = None, gamma: float = 1.0,
                 progress_range: tuple[float, float] = (0.0, 1.0), max_context: int | None = None,
                 device: str | None = None) -> None:
        self.reward_form = _Form(alpha, beta, form, add_final_reward, gamma, progress_range)
        self._defaults = {"alpha": alpha, "beta": beta, "form": form, "add_final_reward": add_final_reward,
                          "gamma": gamma, "progress_range": tuple(progress_range)}
        self._forms: dict[tuple, _Form] = {}  # other reward settings of started episodes, made once each
        self.estimator = _load(estimator, device).eval()
        self.scorer = self.estimator.incremental_scorer(max_context)
        self._progress: dict[Hashable, float] = {}
        self._form_of: dict[Hashable, _Form] = {}
        self.steps_scored = 0
        self.batches = 0

    def __len__(self) -> int:
        return len(self._progress)

    def describe(self) -> dict[str, Any]:
        """The actor's process id, estimator device and the steps and batches scored so far."""
        return {"pid": os.getpid(), "device": str(self.estimator.device), "steps_scored": self.steps_scored,
                "batches": self.batches}

    def start(self, episodes: Sequence[tuple[Hashable, str, str]], reward: dict[str, Any] | None = None) -> None:
        """Begin (or restart) episodes ``(key, task, first observation)``.

        ``reward``: these episodes' reward settings (any of ``alpha``, ``beta``, ``form``, ``add_final_reward``,
        ``gamma``, ``progress_range``, as in :class:`~spa_gym.wrappers.SPAReward`), the actor's for the rest.
        """
        form = self._reward_form(reward)
        for key, task, observation in episodes:
            self.scorer.start(key, str(task), str(observation))
            self._progress[key] = 0.0
            self._form_of[key] = form

    def _reward_form(self, reward: dict[str, Any] | None) -> _Form:
        if reward is None:
            return self.reward_form
        if not isinstance(reward, dict):
            raise TypeError(f"reward settings must be a dict (form, alpha, beta, ...), got {type(reward).__name__}")
        unknown = sorted(set(reward) - set(self._defaults))
        if unknown:
            raise ValueError(f"unknown reward settings {unknown}; expected some of {sorted(self._defaults)}")
        settings = {**self._defaults, **reward}
        settings["progress_range"] = tuple(settings["progress_range"])
        key = tuple(settings[name] for name in sorted(settings))
        if key not in self._forms:
            self._forms[key] = _Form(**settings)
        return self._forms[key]

    def end(self, keys: Sequence[Hashable]) -> None:
        """Forget episodes (an episode is forgotten by itself when a scored step says ``done``)."""
        for key in keys:
            self.scorer.end(key)
            self._progress.pop(key, None)
            self._form_of.pop(key, None)

    def score(self, steps: Sequence[tuple[Hashable, str, str, bool, float, bool]]) -> list[tuple[float, dict]]:
        """Score ``(key, action, observation, action_valid, env_reward, done)`` steps, one per episode, in one
        batch. Returns ``(reward, spa)`` per step, ``spa`` as :class:`~spa_gym.wrappers.SPAReward` puts it in
        ``info["spa"]`` (``contribution``, ``progress``, ``grounding``, ``env_reward``)."""
        if not steps:
            return []
        missing = [s[0] for s in steps if s[0] not in self._progress]
        if missing:
            raise KeyError(f"episodes {missing!r} were not started (call start() first)")
        contributions = np.asarray(self.scorer.add_steps([(k, str(a), str(o), bool(v)) for k, a, o, v, _, _ in steps]),
                                   dtype=np.float64)
        out = []
        for (key, _, _, valid, env_reward, done), c in zip(steps, contributions):
            # Scalar by scalar, as SPAReward does: the same float64 operations in the same order.
            reward, progress = self._form_of[key].rewards(np.float64(float(c)), np.float64(float(bool(valid))),
                                                          np.float64(env_reward), np.float64(self._progress[key]))
            self._progress[key] = float(progress)
            out.append((float(reward), {"contribution": float(c), "progress": float(progress),
                                        "grounding": float(bool(valid)), "env_reward": float(env_reward)}))
            if done:
                self.end([key])
        self.steps_scored += len(steps)
        self.batches += 1
        return out


def start_estimator(estimator: Any = None, *, num_gpus: float | None = None, num_cpus: float = 0.0,
                    **kwargs: Any) -> Any:
    """Start :class:`SPAStepScorer` as a Ray actor; ``num_gpus=None`` takes one GPU when the cluster has one
    (and runs the estimator there). ``kwargs`` go to :class:`SPAStepScorer`."""
    import ray

    if num_gpus is None:
        num_gpus = 1.0 if ray.cluster_resources().get("GPU", 0) >= 1 else 0.0
    kwargs.setdefault("device", "cuda" if num_gpus > 0 else "cpu")
    actor = ray.remote(SPAStepScorer).options(num_gpus=num_gpus, num_cpus=num_cpus, max_restarts=0)
    return actor.remote(estimator, **kwargs)


__all__ = ["SPAStepScorer", "start_estimator"]
