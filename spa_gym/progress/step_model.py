"""`StepProgressEstimator`: the fast CPU progress estimator, a causal sequence model over steps.

Where :class:`~spa_gym.progress.estimator.ProgressEstimator` reads an episode token by token with a causal
LM (the paper's estimator, the GPU path), this one reads it step by step:

* each step becomes one feature vector, built without a model: hashed word n-grams
  (:class:`~spa_gym.core.text_encoders.HashedNgramEncoder`) of the action and of the observation, their
  element-wise products with the task's vector (which words the step shares with the goal sentence:
  "you pick up the mug 1" for "put a clean mug in coffeemachine"), the grounding flag, and (``task_overlap``)
  two counts: the share of the task's content words that the observation and the action contain. The task
  sentence itself is cut out of an observation first: WebShop repeats the instruction on every page, which
  would make every page share every word with the goal;
* a GRU runs over those vectors, its first state made from the task and the first observation, so the
  state after step ``t`` sees the whole history so far and nothing after it;
* a linear head reads the progress ``P_t`` from that state; the step's contribution is
  ``c_t = P_t - P_{t-1}`` with ``P_0 = 0``, so the contributions of an episode sum to ``P_T``.

It keeps the estimator's API (``contributions``, ``score_episodes``, ``score_steps``, ``save``, ``load``,
``backbone`` and ``head`` for :func:`~spa_gym.progress.training.train_estimator`) and scores online in
O(1) per step (:class:`StepIncrementalScorer`: one GRU cell step per new step). About 0.6M parameters
with the defaults; an epoch over a thousand episodes takes seconds on one CPU core.

Saved folder format::

    estimator.json       {"format": "spa-gym-progress-estimator", "version": 1, "kind": "steps", "config": {...}}
    weights.safetensors  backbone and head weights (float32)

>>> from spa_gym.progress.episodes import Episode, Step
>>> est = StepProgressEstimator(seed=0)
>>> ep = Episode("reach 3", "You stand at 0.", [Step("go up", "You stand at 1.", True),
...                                            Step("go up", "You stand at 2.", True)], 0.0, False)
>>> c = est.score_steps(ep)
>>> c.shape, bool(abs(c.sum() - est.progress(ep)[-1]) < 1e-6)
((2,), True)
"""

from __future__ import annotations

import json
import os
from collections.abc import Hashable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from spa_gym.core.devices import resolve_device
from spa_gym.core.files import atomic_folder
from spa_gym.core.text_encoders import HashedNgramEncoder, words
from spa_gym.progress.episodes import Episode
from spa_gym.progress.estimator import ProgressEstimator

#: Words that say nothing about a goal: articles, pronouns, the request phrasing of task sentences.
FILLER_WORDS = frozenset(
    "a an and the or of for with to in on at by from is are it be i me my you your am looking want need find get "
    "buy please some that this these there price lower than dollars".split())
#: Multiplies the two overlap shares (each in [0, 1]), the value measured in benchmarks/RESULTS.md.
OVERLAP_SCALE = 4.0

FORMAT_NAME = "spa-gym-progress-estimator"
FORMAT_VERSION = 1
KIND = "steps"


@dataclass
class StepModelConfig:
    """Shape of a :class:`StepProgressEstimator`."""

    feature_dim: int = 512
    """Hashed n-gram buckets per text (action, observation, task)."""
    hidden_size: int = 128
    """Width of the step projection and of the GRU state."""
    ngram_max: int = 2
    """Longest word n-gram hashed (1: words only)."""
    interaction_scale: float = 8.0
    """Multiplies the task x text products, which are small for unit-norm vectors."""
    task_overlap: bool = True
    """Cut the task sentence out of observations and add the two overlap shares per step (module docstring).
    Folders saved before this field existed load with False, so they score as they did."""


def content_words(text: str) -> set[str]:
    """The words of ``text`` as the hashed encoder splits them (:func:`~spa_gym.core.text_encoders.words`),
    without :data:`FILLER_WORDS`."""
    return {w for w in words(text) if w not in FILLER_WORDS}


class StepFeaturizer:
    """Text of an episode to the arrays the backbone reads (no model; deterministic in every process)."""

    def __init__(self, cfg: StepModelConfig) -> None:
        self.cfg = cfg
        self.encoder = HashedNgramEncoder(dim=cfg.feature_dim, ngram_range=(1, cfg.ngram_max), cache_size=50_000)

    @property
    def header_dim(self) -> int:
        return 3 * self.cfg.feature_dim

    @property
    def step_dim(self) -> int:
        return 4 * self.cfg.feature_dim + 1 + (2 if self.cfg.task_overlap else 0)

    def _without_task(self, task: str, observation: str) -> str:
        return observation.replace(task, " ") if self.cfg.task_overlap and task else observation

    def header(self, task: str, observation: str) -> np.ndarray:
        """``[task, first observation, task * first observation]``."""
        t, o = self.encoder.encode([task, self._without_task(task, observation)])
        return np.concatenate([t, o, self.cfg.interaction_scale * t * o])

    def steps(self, task: str, actions_observations_valid: Sequence[tuple[str, str, bool]]) -> np.ndarray:
        """One row per step: ``[action, observation, task * observation, task * action, valid]``, then with
        ``task_overlap`` the shares of the task's content words in the observation and in the action."""
        n, d = len(actions_observations_valid), self.cfg.feature_dim
        if n == 0:
            return np.zeros((0, self.step_dim), dtype=np.float32)
        observations = [self._without_task(task, o) for _, o, _ in actions_observations_valid]
        t = self.encoder.encode([task])[0]
        acts = self.encoder.encode([a for a, _, _ in actions_observations_valid])
        obs = self.encoder.encode(observations)
        out = np.empty((n, self.step_dim), dtype=np.float32)
        out[:, :d], out[:, d:2 * d] = acts, obs
        out[:, 2 * d:3 * d] = self.cfg.interaction_scale * t * obs
        out[:, 3 * d:4 * d] = self.cfg.interaction_scale * t * acts
        out[:, 4 * d] = [float(v) for _, _, v in actions_observations_valid]
        if self.cfg.task_overlap:
            goal = content_words(task)
            share = (lambda text: len(goal & content_words(text)) / len(goal)) if goal else (lambda text: 0.0)
            out[:, 4 * d + 1] = [OVERLAP_SCALE * share(o) for o in observations]
            out[:, 4 * d + 2] = [OVERLAP_SCALE * share(a) for a, _, _ in actions_observations_valid]
        return out

    def episode(self, ep: Episode) -> tuple[np.ndarray, np.ndarray]:
        return (self.header(ep.task, ep.observation),
                self.steps(ep.task, [(s.action, s.observation, s.action_valid) for s in ep.steps]))


class StepBackbone(nn.Module):
    """Header and step vectors to one hidden state per step (causal: a GRU)."""

    def __init__(self, header_dim: int, step_dim: int, hidden: int) -> None:
        super().__init__()
        self.header_in = nn.Sequential(nn.Linear(header_dim, hidden), nn.Tanh())
        self.step_in = nn.Sequential(nn.Linear(step_dim, hidden), nn.LayerNorm(hidden), nn.Tanh())
        self.gru = nn.GRU(hidden, hidden, batch_first=True)

    def forward(self, header: torch.Tensor, steps: torch.Tensor) -> torch.Tensor:
        """``header [B, Dh]``, ``steps [B, T, Ds]`` (right-padded) -> hidden ``[B, T, H]``."""
        out, _ = self.gru(self.step_in(steps), self.header_in(header)[None])
        return out

    def start(self, header: torch.Tensor) -> torch.Tensor:
        """The GRU state before the first step, ``[B, H]``."""
        return self.header_in(header)

    def advance(self, state: torch.Tensor, step: torch.Tensor) -> torch.Tensor:
        """One step of the GRU: ``state [B, H]``, ``step [B, Ds]`` -> the new state ``[B, H]``."""
        _, h = self.gru(self.step_in(step)[:, None], state[None])
        return h[0]


class StepProgressEstimator(nn.Module):
    """Step-level progress estimator (see the module docstring).

    Args:
        config: the model's shape.
        seed: seeds the initial weights.
        device: ``"auto"``, ``"cpu"``, ``"cuda"``, ...
    """

    kind = KIND
    #: What :func:`~spa_gym.progress.training.train_estimator` uses when its config leaves a field None
    #: (measured best in benchmarks/progress_quality.py; see benchmarks/RESULTS.md).
    training_defaults = {"objective": "hindsight", "learning_rate": 3e-3, "weight_decay": 0.1,
                         "failure_weight": 0.3}

    def __init__(self, config: StepModelConfig | None = None, seed: int = 0,
                 device: str | torch.device = "cpu") -> None:
        super().__init__()
        self.config = config or StepModelConfig()
        self.featurizer = StepFeaturizer(self.config)
        gen_state = torch.random.get_rng_state()
        torch.manual_seed(seed)
        try:
            self.backbone = StepBackbone(self.featurizer.header_dim, self.featurizer.step_dim, self.config.hidden_size)
            self.head = nn.Linear(self.config.hidden_size, 1)
            with torch.no_grad():  # progress starts near 0 everywhere, like an untrained critic
                self.head.weight.mul_(0.1)
                self.head.bias.zero_()
        finally:
            torch.random.set_rng_state(gen_state)  # no hidden change to the caller's global stream
        self.to(resolve_device(device))

    @property
    def device(self) -> torch.device:
        return self.head.weight.device

    # ------------------------------------------------------------------ forward
    def potentials(self, episodes: Sequence[Episode], batch_size: int = 64) -> list[torch.Tensor]:
        """``P_1..P_T`` of each episode (differentiable)."""
        out: list[torch.Tensor] = []
        for b in range(0, len(episodes), batch_size):
            feats = [self.featurizer.episode(ep) for ep in episodes[b:b + batch_size]]
            width = max(1, max(len(s) for _, s in feats))
            steps = np.zeros((len(feats), width, self.featurizer.step_dim), dtype=np.float32)
            for r, (_, s) in enumerate(feats):
                steps[r, :len(s)] = s
            header = torch.from_numpy(np.stack([h for h, _ in feats])).to(self.device)
            hidden = self.backbone(header, torch.from_numpy(steps).to(self.device))
            values = self.head(hidden).squeeze(-1)
            out.extend(values[r, :len(s)] for r, (_, s) in enumerate(feats))
        return out

    def contributions(self, episodes: Sequence[Episode], batch_size: int = 64,
                      max_context: int | None = None) -> list[torch.Tensor]:
        """Per-step contributions ``c_t = P_t - P_{t-1}`` (``P_0 = 0``), differentiable."""
        return [torch.diff(p, prepend=p.new_zeros(1)) for p in self.potentials(episodes, batch_size)]

    def forward(self, episodes: Sequence[Episode], batch_size: int = 64) -> list[torch.Tensor]:
        return self.contributions(episodes, batch_size)

    # ------------------------------------------------------------------ scoring (no gradients)
    # The same for every estimator kind (eval mode, no gradients, numpy out): one definition, the LM estimator's.
    score_episodes = ProgressEstimator.score_episodes
    score_steps = ProgressEstimator.score_steps

    def progress(self, episode: Episode) -> np.ndarray:
        """Cumulative progress ``P_1..P_T`` of one episode."""
        return np.cumsum(self.score_steps(episode))

    def incremental_scorer(self, max_context: int | None = None) -> StepIncrementalScorer:
        """An online scorer over this estimator (what :class:`~spa_gym.wrappers.SPAReward` uses)."""
        return StepIncrementalScorer(self)

    # ------------------------------------------------------------------ storage
    def save(self, path: str | os.PathLike) -> Path:
        """Write the estimator folder (format in the module docstring), atomically."""
        from safetensors.torch import save_file

        path = Path(path)
        with atomic_folder(path) as staging:
            save_file({k: v.detach().float().cpu().contiguous() for k, v in self.state_dict().items()},
                      str(staging / "weights.safetensors"))
            meta = {"format": FORMAT_NAME, "version": FORMAT_VERSION, "kind": KIND, "config": asdict(self.config)}
            (staging / "estimator.json").write_text(json.dumps(meta, indent=2) + "\n")
        return path

    @classmethod
    def load(cls, path: str | os.PathLike, device: str | torch.device = "cpu", **_: Any) -> StepProgressEstimator:
        """Load a folder written by :meth:`save`."""
        from safetensors.torch import load_file

        path = Path(path)
        meta = json.loads((path / "estimator.json").read_text())
        if meta.get("kind") != KIND:
            raise ValueError(f"{path} holds a {meta.get('kind', 'lm')!r} estimator, not {KIND!r}")
        est = cls(StepModelConfig(**{"task_overlap": False, **meta["config"]}), device="cpu")  # older folders: off
        est.load_state_dict(load_file(str(path / "weights.safetensors")))
        return est.to(resolve_device(device)).eval()


class StepIncrementalScorer:
    """Online scoring for :class:`StepProgressEstimator`: each episode keeps its GRU state and ``P_{t-1}``.

    Same interface as :class:`~spa_gym.progress.incremental.IncrementalScorer` (``start``, ``add_steps``,
    ``end``, ``reset``); one batched GRU cell step per :meth:`add_steps` call; equal to full scoring within
    float tolerance.
    """

    def __init__(self, estimator: StepProgressEstimator) -> None:
        self.estimator = estimator
        self._live: dict[Hashable, tuple[str, torch.Tensor, float]] = {}  # task, GRU state, P_{t-1}

    def __contains__(self, key: Hashable) -> bool:
        return key in self._live

    def __len__(self) -> int:
        return len(self._live)

    @torch.no_grad()
    def start(self, key: Hashable, task: str, observation: str) -> None:
        """Begin (or restart) episode ``key``."""
        est = self.estimator
        header = torch.from_numpy(est.featurizer.header(task, observation)).to(est.device)[None]
        self._live[key] = (task, est.backbone.start(header)[0], 0.0)

    def end(self, key: Hashable) -> None:
        """Forget episode ``key`` (unknown keys are ignored)."""
        self._live.pop(key, None)

    def reset(self) -> None:
        """Forget every episode."""
        self._live.clear()

    @torch.no_grad()
    def add_steps(self, items: Sequence[tuple[Hashable, str, str]] | Sequence[tuple[Hashable, str, str, bool]]
                  ) -> np.ndarray:
        """Score one new step of each listed episode: ``(key, action, observation[, action_valid])``."""
        if not items:
            return np.zeros(0, dtype=np.float64)
        est = self.estimator
        missing = [item[0] for item in items if item[0] not in self._live]
        if missing:
            raise KeyError(f"episodes {missing!r} were not started (call start() first)")
        rows = [est.featurizer.steps(self._live[item[0]][0],
                                     [(item[1], item[2], bool(item[3]) if len(item) > 3 else True)])[0]
                for item in items]
        state = torch.stack([self._live[item[0]][1] for item in items])
        new_state = est.backbone.advance(state, torch.from_numpy(np.stack(rows)).to(est.device))
        values = est.head(new_state).squeeze(-1).double().cpu().numpy()
        out = np.empty(len(items), dtype=np.float64)
        for r, item in enumerate(items):
            task, _, previous = self._live[item[0]]
            out[r] = values[r] - previous
            self._live[item[0]] = (task, new_state[r], float(values[r]))
        return out


__all__ = ["FILLER_WORDS", "StepBackbone", "StepFeaturizer", "StepIncrementalScorer", "StepModelConfig",
           "StepProgressEstimator", "content_words"]
