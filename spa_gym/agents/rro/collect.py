"""Rising-reward collection: at every step sample candidates one at a time from a snapshot until one's
process reward rises (see :mod:`spa_gym.agents.rro` for the rule), continue with it, record the step."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from spa_gym.agents.parsing import expert_reply, snap_to_admissible
from spa_gym.agents.prompts import PromptConfig, build_messages
from spa_gym.agents.rro.records import Candidate, RROStep, append_step
from spa_gym.agents.rro.scoring import _as_scorer
from spa_gym.progress.episodes import Episode, Step

REWARD_SOURCES = ("cumulative", "spa")


@dataclass
class RROConfig:
    """Hyper-parameters of :func:`collect_rising_trajectories`."""

    max_candidates: int = 8  # policy samples per step at most; sampling stops earlier at the first rising one
    temperature: float = 1.0  # sampling temperature of an LLM policy (> 0: candidates must be able to differ)
    top_p: float = 1.0  # nucleus sampling of an LLM policy
    sample_batch: int = 1  # LLM policy: replies generated per model call, then tried in order (the ones left
    #                        when a candidate rises are dropped: same distribution, fewer model calls, more tokens)
    reward: str = "cumulative"  # what must rise: "cumulative" progress P_t, or "spa" step contribution c_t
    min_rise: float = 0.0  # a candidate rises when its reward >= the previous chosen reward + min_rise
    max_steps: int = 40  # steps per trajectory at most (the env's own step limit applies too)
    seed: int = 0  # episode i resets with seed + i; the policy's sampling is seeded with seed + i too
    split: str = "train"  # split the tasks are drawn from

    def __post_init__(self) -> None:
        if self.max_candidates < 1 or self.sample_batch < 1:
            raise ValueError(f"max_candidates and sample_batch must be >= 1, got {self.max_candidates}, "
                             f"{self.sample_batch}")
        if self.reward not in REWARD_SOURCES:
            raise ValueError(f"reward must be one of {REWARD_SOURCES}, got {self.reward!r}")
        if self.temperature < 0 or not 0 < self.top_p <= 1:
            raise ValueError(f"need temperature >= 0 and 0 < top_p <= 1, got {self.temperature}, {self.top_p}")
        if self.max_steps < 1:
            raise ValueError(f"max_steps must be >= 1, got {self.max_steps}")


# ---------------------------------------------------------------------------------------- proposers
class _LLMProposer:
    """Samples replies from an LLMPolicy, one prompt at a time, from a generator seeded per episode; commands
    are snapped to admissible ones by the policy's ``prompt_config.snap_to_admissible``, like its rollouts."""

    def __init__(self, policy: Any, config: RROConfig) -> None:
        self.policy, self.config = policy, config
        self.prompt_config = policy.prompt_config
        self.generator = None
        self._prompt: list[dict[str, str]] | None = None  # the prompt the pending replies answer
        self._pending: list[Any] = []

    def start_episode(self, seed: int) -> None:
        import torch

        self.generator = torch.Generator(device=self.policy.device).manual_seed(seed)
        self._prompt, self._pending = None, []

    def __call__(self, messages: list[dict[str, str]], observation: str, info: dict) -> tuple[str, str]:
        if messages is not self._prompt or not self._pending:
            k = min(self.config.sample_batch, self.config.max_candidates)
            self._prompt = messages
            self._pending = self.policy.act([messages] * k, temperature=self.config.temperature,
                                            top_p=self.config.top_p, generator=self.generator)
        gen = self._pending.pop(0)
        # The command is snapped as the policy's own rollouts snap it (PromptConfig.snap_to_admissible; 0: as
        # written), so a candidate is the action the agent would take; the reply stays the model's text.
        return gen.text, snap_to_admissible(gen.action, info.get("admissible_commands"),
                                            self.prompt_config.snap_to_admissible)


class _CallableProposer:
    """A ``policy(observation, info) -> command`` (reseeded per episode when it has ``reseed``)."""

    def __init__(self, policy: Callable[[str, dict], str], prompt_config: PromptConfig) -> None:
        self.policy, self.prompt_config = policy, prompt_config

    def start_episode(self, seed: int) -> None:
        if hasattr(self.policy, "reseed"):
            self.policy.reseed(seed)

    def __call__(self, messages: list[dict[str, str]], observation: str, info: dict) -> tuple[str, str]:
        action = str(self.policy(observation, info))
        # The reply an LLM trained on this data should write: same form as the SFT targets.
        return expert_reply(action, self.prompt_config.reply_style), action


def _as_proposer(policy: Any, config: RROConfig, prompt_config: PromptConfig | None) -> Any:
    if callable(getattr(policy, "act", None)) and hasattr(policy, "prompt_config"):
        return _LLMProposer(policy, config)
    if callable(policy):
        return _CallableProposer(policy, prompt_config or PromptConfig())
    raise TypeError(f"policy must be an LLMPolicy or a callable (observation, info) -> command, "
                    f"got {type(policy).__name__}")


# ---------------------------------------------------------------------------------------- the collector
def collect_rising_trajectories(env: Any, policy: Any, estimator: Any, n_episodes: int,
                                config: RROConfig = RROConfig(), out_path: str | os.PathLike | None = None, *,
                                task_ids: Sequence[int] | None = None, prompt_config: PromptConfig | None = None,
                                progress: bool = True) -> list[RROStep]:
    """Play ``n_episodes`` trajectories with the rising-reward rule; return (and append) their steps.

    Args:
        env: a spa_gym text env (``get_state`` / ``set_state`` on ``env.unwrapped``).
        policy: an :class:`~spa_gym.agents.policy.LLMPolicy`, or any ``policy(observation, info) -> command``
            (e.g. :class:`~spa_gym.progress.episodes.NoisyExpertPolicy`), asked again for every candidate.
        estimator: a :class:`~spa_gym.progress.estimator.ProgressEstimator` or any :class:`ProgressScorer`.
        n_episodes: trajectories to collect; episode ``i`` resets with ``config.seed + i``.
        config: the hyper-parameters.
        out_path: JSONL file the steps are appended to as they are decided.
        task_ids: task of episode ``i`` (default: drawn by the env from its seed).
        prompt_config: prompt layout recorded for a callable policy (an LLMPolicy uses its own).
        progress: show a progress bar.
    """
    from tqdm.auto import tqdm

    if n_episodes < 0:
        raise ValueError(f"n_episodes must be >= 0, got {n_episodes}")
    if task_ids is not None and len(task_ids) < n_episodes:
        raise ValueError(f"task_ids has {len(task_ids)} entries, need n_episodes={n_episodes}")
    base = env.unwrapped
    if not (hasattr(base, "get_state") and hasattr(base, "set_state")):
        raise TypeError("RRO needs env.unwrapped.get_state() / set_state(): a spa_gym text env")
    scorer = _as_scorer(estimator)
    proposer = _as_proposer(policy, config, prompt_config)
    spec = getattr(env, "spec", None)
    env_id = spec.id if spec is not None else type(base).__name__
    rising_bar = config.reward == "cumulative"

    steps: list[RROStep] = []
    bar = tqdm(range(n_episodes), desc="RRO trajectories", unit="ep", disable=not progress)
    for i in bar:
        seed = config.seed + i
        options: dict[str, Any] = {"split": config.split}
        if task_ids is not None:
            options["task_id"] = int(task_ids[i])
        obs, info = env.reset(seed=seed, options=options)
        proposer.start_episode(seed)
        episode = Episode(str(info.get("task", "")), obs, env_id=env_id, split=config.split,
                          task_id=int(info.get("task_id", -1)))
        history: list[tuple[str, str]] = []
        prev_progress = float(scorer(episode, base, info))
        prev_reward = prev_progress if rising_bar else 0.0
        for t in range(config.max_steps):
            snapshot = base.get_state()
            messages = build_messages(episode.task, episode.observation, history, proposer.prompt_config,
                                      info.get("admissible_commands"))
            tried: dict[str, Candidate] = {}
            accepted: Candidate | None = None
            n_samples = 0
            while n_samples < config.max_candidates:
                reply, action = proposer(messages, obs, info)
                n_samples += 1
                if action in tried:  # same command, same outcome: already known to fall short
                    tried[action].samples += 1
                    continue
                base.set_state(snapshot)
                c_obs, c_reward, c_term, _, c_info = base.step(action)
                valid = bool(c_info.get("action_valid", True))
                branch = Episode(episode.task, episode.observation,
                                 episode.steps + [Step(action, c_obs, valid, float(c_reward))])
                p = float(scorer(branch, base, c_info))
                cand = Candidate(reply=reply, action=action, observation=c_obs, action_valid=valid,
                                 env_reward=float(c_reward), terminated=bool(c_term), progress=p,
                                 contribution=p - prev_progress, reward=p if rising_bar else p - prev_progress)
                tried[action] = cand
                if cand.reward >= prev_reward + config.min_rise:
                    accepted = cand
                    break
            cands = list(tried.values())
            best = accepted or max(cands, key=lambda c: c.reward)  # max keeps the first of equals
            # Replay the chosen action from the snapshot: this also checks that set_state restores exactly.
            base.set_state(snapshot)
            obs, reward, terminated, truncated, info = base.step(best.action)
            if obs != best.observation:
                raise RuntimeError(f"{env_id}: the same action from the same snapshot gave a different "
                                   f"observation ({best.action!r}); set_state does not restore the env exactly")
            episode.steps.append(Step(best.action, obs, best.action_valid, float(reward)))
            episode.final_reward += float(reward)
            history.append((best.reply, obs))
            done = bool(terminated or truncated) or t + 1 == config.max_steps
            record = RROStep(episode=i, t=t, env_id=env_id, split=config.split, task_id=episode.task_id,
                             task=episode.task, first_observation=episode.observation, messages=messages,
                             candidates=cands, chosen=cands.index(best), n_samples=n_samples,
                             prev_reward=prev_reward, rose=accepted is not None, done=done,
                             won=bool(info.get("won", False)))
            steps.append(record)
            if out_path is not None:
                append_step(out_path, record)
            prev_progress, prev_reward = best.progress, best.reward
            if done:
                break
        if progress and steps:
            bar.set_postfix(steps=len(steps), samples_per_step=f"{np.mean([s.n_samples for s in steps]):.2f}")
    bar.close()
    return steps


def summarize(steps: Sequence[RROStep]) -> dict[str, float]:
    """Counts and rates of a collection: episodes, steps, samples per step, share of rising steps, wins.

    >>> summarize([])["steps"]
    0
    """
    ends = [s for s in steps if s.done]
    return {
        "episodes": len({s.episode for s in steps}),
        "steps": len(steps),
        "mean_samples_per_step": float(np.mean([s.n_samples for s in steps])) if steps else 0.0,
        "max_samples_per_step": max((s.n_samples for s in steps), default=0),
        "rising_share": float(np.mean([s.rose for s in steps])) if steps else 0.0,
        "success_rate": float(np.mean([s.won for s in ends])) if ends else 0.0,
        "mean_episode_steps": float(np.mean([s.t + 1 for s in ends])) if ends else 0.0,
        "preference_pairs": sum(len(s.rejected) for s in steps),
    }


__all__ = ["REWARD_SOURCES", "RROConfig", "collect_rising_trajectories", "summarize"]
