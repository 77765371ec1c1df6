"""Process rewards for RRO: a *progress scorer* maps an episode prefix to the cumulative progress ``P_t``
reached after its last step (SPA's estimator, or the expert's remaining plan as an oracle)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol

from spa_gym.progress.episodes import Episode, Step
from spa_gym.progress.true_progress import expert_distance


class ProgressScorer(Protocol):
    """Estimated cumulative progress after the last step of ``episode`` (0 steps allowed).

    ``env`` is the unwrapped env in the state right after that step and ``info`` what its ``step``
    returned; a scorer may look at them but must leave the env as it found it.
    """

    def __call__(self, episode: Episode, env: Any, info: dict[str, Any]) -> float: ...


class EstimatorProgress:
    """``P_t``: the sum of a :class:`~spa_gym.progress.estimator.ProgressEstimator`'s step contributions.

    The estimator is causal, so the contributions of earlier steps do not change when a candidate is
    appended: ``P_t - P_{t-1}`` is exactly the candidate's contribution ``c_t``. That is also why the
    trajectory so far (the header and the chosen steps) is encoded once, into a key/value cache that every
    candidate reuses: a candidate then costs only its own tokens instead of the whole episode. Once an
    episode outgrows ``estimator.max_context`` the estimator's sliding window applies and the episode is
    scored in full, as :meth:`~spa_gym.progress.estimator.ProgressEstimator.score_steps` does.

    The cache is for the causal-LM estimator; the step-level
    :class:`~spa_gym.progress.step_model.StepProgressEstimator` (``ProgressEstimator.default()``) reads a step
    as one vector, so it is always scored in full (a GRU step per episode step, cheap).

    Args:
        estimator: the progress estimator.
        reuse_prefix: keep the prefix cache (``False``: score every call in full; same numbers, slower).
            Ignored for an estimator without a token-level prefix (no ``encode_header``).
    """

    def __init__(self, estimator: Any, reuse_prefix: bool = True) -> None:
        self.estimator = estimator
        self.reuse_prefix = reuse_prefix and hasattr(estimator, "encode_header")
        self._header: tuple[str, str] | None = None  # (task, first observation) of the cached prefix
        self._steps: list[tuple[str, str]] = []  # its (action, observation) steps
        self._kv: list[tuple[Any, Any]] = []  # per layer (keys, values) of the prefix tokens
        self._tokens = 0  # tokens in the prefix
        self._progress = 0.0  # sum of the prefix steps' contributions

    def __call__(self, episode: Episode, env: Any = None, info: dict[str, Any] | None = None) -> float:
        if not episode.steps:
            return 0.0
        if self.reuse_prefix:
            was_training = self.estimator.training
            self.estimator.eval()
            try:
                last = episode.steps[-1]
                if self._extend(episode.task, episode.observation, episode.steps[:-1]):
                    ids = self.estimator.encode_steps([(last.action, last.observation)])[0]
                    if self._tokens + len(ids) <= self.estimator.max_context:
                        return self._progress + self._forward(ids)
            finally:
                self.estimator.train(was_training)
        return float(self.estimator.score_steps(episode).sum())

    def _extend(self, task: str, observation: str, steps: Sequence[Step]) -> bool:
        """Make the cache hold ``steps`` after the header; False once they no longer fit the context."""
        wanted = [(s.action, s.observation) for s in steps]
        if self._header != (task, observation) or wanted[: len(self._steps)] != self._steps:
            self._header, self._steps, self._kv, self._tokens, self._progress = (task, observation), [], [], 0, 0.0
            self._forward(self.estimator.encode_header(task, observation))
        for action, obs in wanted[len(self._steps):]:
            ids = self.estimator.encode_steps([(action, obs)])[0]
            if self._tokens + len(ids) > self.estimator.max_context:
                return False
            self._progress += self._forward(ids, keep=True)
            self._steps.append((action, obs))
        return True

    def _forward(self, ids: list[int], keep: bool = False) -> float:
        """Run ``ids`` after the cached prefix; the head's value at the last token. ``keep``: append them
        to the prefix (a header is always kept: it is the first thing encoded)."""
        import torch
        from transformers import DynamicCache

        est, dev = self.estimator, self.estimator.device
        n = self._tokens + len(ids)
        with torch.no_grad():
            # A cache built from the prefix tensors: updates concatenate into new tensors, the prefix stays.
            cache = DynamicCache(list(self._kv)) if self._kv else DynamicCache()
            input_ids = torch.tensor([ids], device=dev)
            mask = torch.ones((1, n), dtype=torch.long, device=dev)
            positions = torch.arange(self._tokens, n, device=dev)[None]
            hidden, cache = est.hidden_states(input_ids, mask, position_ids=positions, past_key_values=cache,
                                              use_cache=True)
            value = float(est.head(hidden[0, -1].float()))
        if keep or not self._kv:
            self._kv = [(layer.keys, layer.values) for layer in cache.layers]
            self._tokens = n
        return value


class ExpertPlanProgress:
    """An oracle process reward for envs made with ``expert=True``: ``P = -(expert steps still needed)``.

    The distance is :func:`~spa_gym.progress.true_progress.expert_distance`: the expert is played from the
    current state, past the episode's step limit and after it ended, then the state is restored. An
    expert step gains one, a step away from the goal loses. Only a state the expert cannot win from within
    ``max_plan`` steps (a WebShop purchase that scored below 1.0, say) counts as ``max_plan`` steps away.
    """

    def __init__(self, max_plan: int = 100) -> None:
        self.max_plan = max_plan

    def __call__(self, episode: Episode, env: Any, info: dict[str, Any]) -> float:
        if "expert_action" not in info:
            raise ValueError("ExpertPlanProgress needs info['expert_action']: make the env with expert=True")
        distance = expert_distance(env, limit=self.max_plan)
        return -float(self.max_plan if distance is None else distance)


def _as_scorer(estimator: Any) -> Callable[[Episode, Any, dict[str, Any]], float]:
    if hasattr(estimator, "score_steps"):
        return EstimatorProgress(estimator)
    if callable(estimator):
        return estimator
    raise TypeError("estimator must be a ProgressEstimator or a callable (episode, env, info) -> progress, "
                    f"got {type(estimator).__name__}")


__all__ = ["EstimatorProgress", "ExpertPlanProgress", "ProgressScorer"]
