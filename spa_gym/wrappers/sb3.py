"""stable-baselines3 for spa_gym's text environments: env adapter, candidate-scoring extractor and policies.

SB3 has no ``Text`` space. The recipe is three layers, outermost last::

    text env  ->  [SPAReward (optional, dense rewards)]  ->  AdmissibleActionSpace  ->  TextFeatureObservation

and a policy that scores each candidate command against the context instead of mapping a fixed vector
to K fixed slots (the commands in a slot change from step to step)::

    import gymnasium as gym, spa_gym
    from sb3_contrib import MaskablePPO
    from spa_gym.wrappers.sb3 import MaskableCandidateScoringPolicy, make_sb3_env

    env = make_sb3_env("SPA-ALFWorld-v0", max_actions=64)          # or make_sb3_env(SPAReward(...), ...)
    model = MaskablePPO(MaskableCandidateScoringPolicy, env, n_steps=512, seed=0)
    model.learn(20_000)

``CandidateScoringPolicy`` is the same for plain ``stable_baselines3.PPO`` (and ``A2C``). The policy classes
need the ``sb3`` extra (``pip install "spa-gym[sb3]"``) and are imported lazily, so this module imports
without it; the extractor only needs torch.

``UniformRewardCallback`` gives PPO (and MaskablePPO) the uniform split ``R / T`` of each episode's return over
its ``T`` steps, which no env wrapper can do online (the step rewards depend on how the episode ends)::

    model.learn(20_000, callback=UniformRewardCallback())
"""

from __future__ import annotations

import math
from typing import Any, Callable, Sequence

import gymnasium as gym
import numpy as np
import torch
from gymnasium import spaces
from torch import nn

from spa_gym.wrappers.admissible_actions import AdmissibleActionSpace, search_with_task
from spa_gym.wrappers.text_features import TextEncoder, TextFeatureObservation

#: Observation keys that describe the situation (as opposed to the candidates).
CONTEXT_KEYS = ("observation", "task", "last_command", "history")

#: Logit given to empty slots: the same magnitude sb3-contrib uses for masked actions.
MASKED_LOGIT = -1e8


def make_sb3_env(env: gym.Env | str, max_actions: int, *, encoder: TextEncoder | None = None,
                 overflow: str = "truncate",
                 extra_commands: Callable[[dict], Sequence[str]] | None = search_with_task,
                 history_decay: float = 0.8, **make_kwargs: Any) -> gym.Env:
    """An env SB3 accepts: ``TextFeatureObservation(AdmissibleActionSpace(env, max_actions))``.

    Args:
        env: a spa_gym text env, or an env id for ``gym.make`` (``make_kwargs`` go to ``gym.make``).
        max_actions: K, the number of action slots (see :class:`AdmissibleActionSpace` for overflow).
        encoder: text encoder; default ``HashedNgramEncoder(dim=256)``.
        overflow: ``"truncate"`` or ``"error"`` when more than K commands are admissible.
        extra_commands: commands the env accepts but does not list; the default offers WebShop's search
            with the instruction as query (:func:`search_with_task`) and nothing for the other envs.
        history_decay: see :class:`TextFeatureObservation`.

    >>> from spa_gym.progress.toy import CountingEnv
    >>> env = make_sb3_env(CountingEnv(), max_actions=4)
    >>> env.action_space, env.observation_space["candidates"].shape
    (Discrete(4), (4, 256))
    """
    if isinstance(env, str):
        env = gym.make(env, **make_kwargs)
    elif make_kwargs:
        raise TypeError(f"keyword arguments {sorted(make_kwargs)} are only for an env id, not an env instance")
    actions = AdmissibleActionSpace(env, max_actions, overflow=overflow, extra_commands=extra_commands)
    return TextFeatureObservation(actions, encoder, history_decay=history_decay)


class CandidateScoringExtractor(nn.Module):
    """SB3 features extractor for :class:`TextFeatureObservation`: one score per candidate command.

    The context (observation, task, last command, history) and every candidate are embedded separately;
    a small MLP shared by all slots scores ``[context, candidate, context * candidate]``, so the policy
    is the same function of a command whichever slot it lands in. Output features are
    ``[scores (K), action_mask (K), context (hidden_dim)]``: :class:`CandidateLogits` turns the first two
    into logits, the value head reads all of them.

    It follows SB3's ``BaseFeaturesExtractor`` protocol (``features_dim`` and ``forward``) without
    importing SB3, so it is usable and testable with torch alone.

    >>> import numpy as np
    >>> space = spaces.Dict({k: spaces.Box(-1, 1, (8,), np.float32) for k in CONTEXT_KEYS})
    >>> space["candidates"] = spaces.Box(-1, 1, (3, 8), np.float32)
    >>> space["action_mask"] = spaces.Box(0, 1, (3,), np.float32)
    >>> extractor = CandidateScoringExtractor(space, hidden_dim=16)
    >>> batch = {k: torch.as_tensor(np.stack([v.sample(), v.sample()])) for k, v in space.items()}
    >>> extractor(batch).shape, extractor.features_dim
    (torch.Size([2, 22]), 22)
    """

    def __init__(self, observation_space: spaces.Dict, hidden_dim: int = 64) -> None:
        super().__init__()
        missing = [key for key in (*CONTEXT_KEYS, "candidates", "action_mask") if key not in observation_space.spaces]
        if missing:
            raise ValueError(f"observation space lacks {missing}: use TextFeatureObservation (make_sb3_env)")
        self.n_slots, candidate_dim = observation_space["candidates"].shape
        context_dim = sum(int(observation_space[key].shape[0]) for key in CONTEXT_KEYS)
        self.hidden_dim = hidden_dim
        self.context = nn.Sequential(nn.Linear(context_dim, hidden_dim), nn.Tanh(),
                                     nn.Linear(hidden_dim, hidden_dim), nn.Tanh())
        self.candidate = nn.Sequential(nn.Linear(candidate_dim, hidden_dim), nn.Tanh(),
                                       nn.Linear(hidden_dim, hidden_dim), nn.Tanh())
        self.score_hidden = nn.Sequential(nn.Linear(3 * hidden_dim, hidden_dim), nn.Tanh())
        self.score_out = nn.Linear(hidden_dim, 1)

    @property
    def features_dim(self) -> int:
        return 2 * self.n_slots + self.hidden_dim

    def forward(self, observations: dict[str, torch.Tensor]) -> torch.Tensor:
        context = self.context(torch.cat([observations[key] for key in CONTEXT_KEYS], dim=-1))  # (B, H)
        candidates = self.candidate(observations["candidates"])  # (B, K, H)
        paired = context.unsqueeze(1).expand_as(candidates)
        scores = self.score_out(self.score_hidden(torch.cat([paired, candidates, paired * candidates], dim=-1)))
        return torch.cat([scores.squeeze(-1), observations["action_mask"], context], dim=-1)


class CandidateLogits(nn.Module):
    """The policy's action head: candidate scores as logits, empty slots at :data:`MASKED_LOGIT`.

    Masking here (not only in MaskablePPO) keeps plain PPO from wasting steps on empty slots.

    >>> head = CandidateLogits(n_slots=2)
    >>> head(torch.tensor([[0.5, 2.0, 1.0, 0.0, 9.9]])).tolist()
    [[0.5, -100000000.0]]
    """

    def __init__(self, n_slots: int) -> None:
        super().__init__()
        self.n_slots = n_slots

    def forward(self, latent: torch.Tensor) -> torch.Tensor:
        scores = latent[..., : self.n_slots]
        mask = latent[..., self.n_slots: 2 * self.n_slots]
        return scores.masked_fill(mask < 0.5, MASKED_LOGIT)


class _CandidateScoringMixin:
    """Turns an SB3 actor-critic policy into a candidate scorer (see :class:`CandidateScoringExtractor`).

    ``net_arch["pi"]`` must be empty so the actor's latent is the extractor's output; the value head keeps
    an MLP (``vf``, default ``[64, 64]``).
    """

    def __init__(self, observation_space: spaces.Dict, action_space: spaces.Discrete, lr_schedule: Any,
                 net_arch: dict[str, list[int]] | None = None,
                 features_extractor_class: type = CandidateScoringExtractor, **kwargs: Any) -> None:
        net_arch = {"pi": [], "vf": [64, 64]} if net_arch is None else net_arch
        if not isinstance(net_arch, dict) or net_arch.get("pi"):
            raise ValueError(f"candidate-scoring policies need net_arch=dict(pi=[], vf=[...]), got {net_arch!r}")
        if observation_space["candidates"].shape[0] != action_space.n:
            raise ValueError("the observation's candidate rows and the action slots disagree in number")
        super().__init__(observation_space, action_space, lr_schedule, net_arch=net_arch,  # type: ignore[call-arg]
                         features_extractor_class=features_extractor_class, **kwargs)

    def _build(self, lr_schedule: Any) -> None:
        super()._build(lr_schedule)  # type: ignore[misc]
        self.action_net = CandidateLogits(int(self.action_space.n))  # type: ignore[attr-defined]
        if self.ortho_init:  # type: ignore[attr-defined]
            # SB3 starts its action layer near zero (gain 0.01) for a near-uniform first policy; do the same
            # for the layer that produces the scores.
            for extractor in {self.features_extractor, self.pi_features_extractor}:  # type: ignore[attr-defined]
                nn.init.orthogonal_(extractor.score_out.weight, gain=0.01)
                nn.init.zeros_(extractor.score_out.bias)
        # The action head changed after SB3 built its optimizer: rebuild it over the final parameters.
        self.optimizer = self.optimizer_class(self.parameters(), lr=lr_schedule(1),  # type: ignore[attr-defined]
                                              **self.optimizer_kwargs)  # type: ignore[attr-defined]


def uniform_split(raw_rewards: np.ndarray, episode_starts: np.ndarray, last_dones: np.ndarray,
                  lengths: np.ndarray, returns: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The uniform split ``R / T`` of every episode that ends inside one rollout of a vectorised env.

    Arrays are laid out as SB3's ``RolloutBuffer`` keeps them, ``(n_steps, n_envs)``: ``raw_rewards`` are the
    env's rewards, ``episode_starts[t]`` is 1 where the observation of step ``t`` begins an episode, and
    ``last_dones`` are the dones of the rollout's last step. An episode that began in an earlier rollout counts
    its earlier steps and reward through ``lengths`` and ``returns`` (per env: steps and summed reward of the
    episode still running when the last rollout ended), which this function updates in place for the next
    rollout. ``T`` is the whole episode's length and ``R`` its whole return.

    Returns ``(rewards, finished)``: the steps of episodes that end in this rollout get ``R / T``
    (``finished`` True); the steps of an episode still running keep their raw reward. Steps of a finished
    episode that lay in an earlier rollout were already trained on and cannot be rewritten.

    >>> raw = np.array([[0.0], [1.0], [0.0], [0.0]])       # one env: a 2-step win, then a running episode
    >>> starts = np.array([[1.0], [0.0], [1.0], [0.0]])
    >>> lengths, returns = np.zeros(1, int), np.zeros(1)
    >>> rewards, finished = uniform_split(raw, starts, np.array([False]), lengths, returns)
    >>> rewards[:, 0].tolist(), finished[:, 0].tolist(), lengths.tolist()
    ([0.5, 0.5, 0.0, 0.0], [True, True, False, False], [2])
    """
    n_steps, n_envs = raw_rewards.shape
    dones = np.concatenate([episode_starts[1:], np.asarray(last_dones, dtype=np.float32)[None]], axis=0) > 0.5
    rewards = np.array(raw_rewards, dtype=np.float32, copy=True)
    finished = np.zeros((n_steps, n_envs), dtype=bool)
    for env in range(n_envs):
        first = 0  # first step of the current episode inside this rollout
        for step in range(n_steps):
            lengths[env] += 1
            returns[env] += raw_rewards[step, env]
            if dones[step, env]:
                rewards[first: step + 1, env] = returns[env] / lengths[env]
                finished[first: step + 1, env] = True
                lengths[env], returns[env], first = 0, 0.0, step + 1
    return rewards, finished


def _build_uniform_reward_callback() -> type:
    from stable_baselines3.common.callbacks import BaseCallback
    from stable_baselines3.common.utils import obs_as_tensor

    class UniformRewardCallback(BaseCallback):
        """Train on the uniform split ``R / T`` of each episode's return instead of the env's step rewards.

        At the end of every rollout the rewards of the episodes that finished inside it are rewritten to
        ``R / T`` (:func:`uniform_split`) and the returns and advantages are computed again, from the same last
        values and dones as SB3's ``collect_rollouts`` uses. SB3's bootstrap for time-limit truncation (added
        to the reward of a truncated step) is kept. The env's own rewards stay what ``Monitor`` logs.

        Limits, because the split is not causal: an episode still running at a rollout's end keeps its raw
        rewards in this rollout (0 in our envs, whose reward comes at the end), and its steps there are not
        rewritten once it ends; choose ``n_steps`` well above the episode length.
        """

        def __init__(self, verbose: int = 0) -> None:
            super().__init__(verbose)
            self._raw: list[np.ndarray] = []
            self._lengths: np.ndarray | None = None
            self._returns: np.ndarray | None = None

        def _on_rollout_start(self) -> None:
            self._raw = []
            if self._lengths is None:
                self._lengths = np.zeros(self.training_env.num_envs, dtype=np.int64)
                self._returns = np.zeros(self.training_env.num_envs, dtype=np.float64)

        def _on_step(self) -> bool:
            # on_step runs before SB3 adds the truncation bootstrap to the same array: these are the env's rewards.
            self._raw.append(np.array(self.locals["rewards"], dtype=np.float32, copy=True))
            return True

        def _on_rollout_end(self) -> None:
            buffer = self.model.rollout_buffer
            if len(self._raw) != buffer.buffer_size:  # a rollout cut short by another callback
                return
            raw = np.stack(self._raw)
            bootstrap = buffer.rewards - raw
            dones = np.asarray(self.model._last_episode_starts, dtype=np.float32)  # the last step's dones
            rewards, _ = uniform_split(raw, buffer.episode_starts, dones, self._lengths, self._returns)
            buffer.rewards[:] = rewards + bootstrap
            with torch.no_grad():
                last_values = self.model.policy.predict_values(obs_as_tensor(self.model._last_obs, self.model.device))
            buffer.compute_returns_and_advantage(last_values=last_values, dones=dones)

    UniformRewardCallback.__module__ = __name__
    return UniformRewardCallback


_POLICY_BASES = {
    "CandidateScoringPolicy": ("stable_baselines3.common.policies", "ActorCriticPolicy"),
    "MaskableCandidateScoringPolicy": ("sb3_contrib.common.maskable.policies", "MaskableActorCriticPolicy"),
}


def __getattr__(name: str) -> type:
    """Build ``CandidateScoringPolicy`` (PPO, A2C), ``MaskableCandidateScoringPolicy`` (MaskablePPO) and
    ``UniformRewardCallback`` on first use.

    They subclass SB3 classes, so they exist only where SB3 is installed; building them lazily keeps this
    module importable without the ``sb3`` extra. Each is built once and stored as a module attribute, so
    pickling (``model.save``/``load``) finds it by name like any class.
    """
    if name == "UniformRewardCallback":
        try:
            cls = _build_uniform_reward_callback()
        except ImportError as error:
            raise ImportError(f"{name} needs stable-baselines3: pip install 'spa-gym[sb3]'") from error
        globals()[name] = cls
        return cls
    if name not in _POLICY_BASES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    module_name, base_name = _POLICY_BASES[name]
    try:
        base = getattr(importlib.import_module(module_name), base_name)
    except ImportError as error:
        raise ImportError(f"{name} needs stable-baselines3 and sb3-contrib: pip install 'spa-gym[sb3]'") from error
    cls = type(name, (_CandidateScoringMixin, base), {
        "__module__": __name__, "__qualname__": name,
        "__doc__": f"{base_name} whose actions are candidate scores (see CandidateScoringExtractor)."})
    globals()[name] = cls
    return cls


__all__ = ["CONTEXT_KEYS", "MASKED_LOGIT", "CandidateLogits", "CandidateScoringExtractor", "make_sb3_env",
           "uniform_split"]
