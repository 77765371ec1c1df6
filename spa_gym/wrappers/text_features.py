"""Text to numbers for classic RL agents: text encoders and the `TextFeatureObservation` wrapper.

The encoders (:class:`HashedNgramEncoder`, the default, and :class:`SentenceEmbeddingEncoder`) live in
:mod:`spa_gym.core.text_encoders` and are re-exported here.

:class:`TextFeatureObservation` uses an encoder to turn a text env wrapped in
:class:`~spa_gym.wrappers.admissible_actions.AdmissibleActionSpace` into a ``Dict`` of ``Box`` spaces that
stable-baselines3 understands, with one feature row per candidate command so a policy can score them.
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from spa_gym.core.text_encoders import HashedNgramEncoder, SentenceEmbeddingEncoder, TextEncoder


class TextFeatureObservation(gym.Wrapper[dict, int, Any, int]):
    """Encode a text env (already wrapped in ``AdmissibleActionSpace``) as a ``Dict`` of ``Box`` spaces.

    Keys of every observation (D = ``encoder.dim``, K = the number of action slots):

    ========================  ==========  ==========================================================
    ``"observation"``         ``(D,)``    the env's text observation
    ``"task"``                ``(D,)``    ``info["task"]``, the goal sentence
    ``"last_command"``        ``(D,)``    the command just sent (zeros after ``reset``)
    ``"history"``             ``(D,)``    decayed sum of all earlier observations and commands, a cheap
                                          memory (the envs are partially observable), L2-normalised
    ``"candidates"``          ``(K, D)``  row ``i`` encodes the command in slot ``i`` (zeros if empty)
    ``"action_mask"``         ``(K,)``    1.0 where a slot holds a command
    ========================  ==========  ==========================================================

    The text itself stays in ``info`` (``info["text_observation"]`` holds the env's observation).

    Args:
        env: an env wrapped in :class:`~spa_gym.wrappers.admissible_actions.AdmissibleActionSpace` (its
            ``info["action_slots"]`` gives the candidate order).
        encoder: a :class:`TextEncoder`; default ``HashedNgramEncoder(dim=256)``.
        history_decay: weight of the past in ``"history"`` (0 keeps only the previous step).

    >>> from spa_gym.progress.toy import CountingEnv
    >>> from spa_gym.wrappers.admissible_actions import AdmissibleActionSpace
    >>> env = TextFeatureObservation(AdmissibleActionSpace(CountingEnv(), max_actions=4),
    ...                              encoder=HashedNgramEncoder(dim=32))
    >>> obs, info = env.reset(seed=0)
    >>> {key: value.shape for key, value in obs.items()}["candidates"], obs["action_mask"].tolist()
    ((4, 32), [1.0, 1.0, 1.0, 0.0])
    >>> env.observation_space.contains(obs)
    True
    >>> obs, reward, terminated, truncated, info = env.step(1)
    >>> info["text_observation"]
    'You stand at 1 on a number line.'
    """

    def __init__(self, env: gym.Env, encoder: TextEncoder | None = None, *, history_decay: float = 0.8) -> None:
        super().__init__(env)
        if not isinstance(env.action_space, spaces.Discrete):
            raise TypeError("TextFeatureObservation needs a Discrete action space: wrap the text env in "
                            "AdmissibleActionSpace(env, max_actions=K) first")
        if not 0.0 <= history_decay < 1.0:
            raise ValueError(f"history_decay must be in [0, 1), got {history_decay}")
        self.encoder = encoder if encoder is not None else HashedNgramEncoder()
        self.history_decay = float(history_decay)
        dim, slots = int(self.encoder.dim), int(env.action_space.n)
        vector = spaces.Box(-1.0, 1.0, shape=(dim,), dtype=np.float32)
        self.observation_space = spaces.Dict({
            "observation": vector,
            "task": vector,
            "last_command": vector,
            "history": vector,
            "candidates": spaces.Box(-1.0, 1.0, shape=(slots, dim), dtype=np.float32),
            "action_mask": spaces.Box(0.0, 1.0, shape=(slots,), dtype=np.float32),
        })
        self._history = np.zeros(dim, dtype=np.float32)

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None) -> tuple[dict, dict]:
        text, info = self.env.reset(seed=seed, options=options)
        self._history = np.zeros(self.encoder.dim, dtype=np.float32)
        return self._encode(text, info, command=None), {**info, "text_observation": text}

    def step(self, action: int) -> tuple[dict, float, bool, bool, dict]:
        text, reward, terminated, truncated, info = self.env.step(action)
        return self._encode(text, info, command=info.get("command")), reward, terminated, truncated, {
            **info, "text_observation": text}

    def _encode(self, text: str, info: dict, command: str | None) -> dict[str, np.ndarray]:
        if "action_slots" not in info:
            raise KeyError("TextFeatureObservation needs info['action_slots']: wrap the text env in "
                           "AdmissibleActionSpace(env, max_actions=K) first")
        slots = info["action_slots"]
        n_slots = self.observation_space["candidates"].shape[0]
        texts = [text, info.get("task", ""), command or ""] + list(slots)
        # Clip: float rounding of a normalised vector can step a hair outside the Box bounds.
        vectors = np.clip(self.encoder.encode(texts), -1.0, 1.0)
        candidates = np.zeros((n_slots, self.encoder.dim), dtype=np.float32)
        candidates[: len(slots)] = vectors[3:]
        mask = np.zeros(n_slots, dtype=np.float32)
        mask[: len(slots)] = 1.0
        observation = {
            "observation": vectors[0],
            "task": vectors[1],
            "last_command": vectors[2],
            "history": self._history.copy(),
            "candidates": candidates,
            "action_mask": mask,
        }
        # The memory seen at the next step includes this step's observation and command.
        history = self.history_decay * self._history + vectors[0] + vectors[2]
        norm = float(np.linalg.norm(history))
        self._history = (history / norm if norm > 0 else history).astype(np.float32)
        return observation


__all__ = ["HashedNgramEncoder", "SentenceEmbeddingEncoder", "TextEncoder", "TextFeatureObservation"]
