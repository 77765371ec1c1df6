"""RRO, Reward Rising Optimization (arXiv 2505.20737): process-supervision data from rising rewards.

Along a trajectory, at every step the collector snapshots the environment and asks the policy for
candidate next actions *one at a time*. Each candidate is tried from the snapshot, scored by a process
reward, and the environment is put back. Sampling stops at the first candidate whose reward **rises**
to the reward of the previous step's chosen action (``reward >= previous + min_rise``), so easy steps
cost one sample and hard ones more, up to ``max_candidates``. The rising candidate continues the
trajectory; the candidates sampled before it lost to it. When none rises, the best one continues and
the step is recorded with ``rose=False``.

Process reward. A *progress scorer* maps an episode prefix (its last step being the candidate) to the
estimated cumulative progress ``P_t`` reached after it. :class:`EstimatorProgress` reads it from a SPA
:class:`~spa_gym.progress.estimator.ProgressEstimator` (``P_t = c_1 + ... + c_t``, the sum of its step
contributions); :class:`ExpertPlanProgress` is an oracle for envs with an expert (``P_t = -`` the number
of expert steps still needed). ``RROConfig.reward`` picks what "rises":

* ``"cumulative"`` (the paper's choice: the value of the state reached): ``P_t >= P_{t-1} + min_rise``,
  i.e. the step does not lose progress;
* ``"spa"``: the step contribution ``c_t = P_t - P_{t-1}`` must reach the previous chosen step's
  contribution ``c_{t-1} + min_rise`` (``c_0 = 0``).

Records. One :class:`RROStep` per trajectory step, one JSON line each (appended and flushed as soon
as the step is decided, so a crash loses at most one line)::

    {"episode": 0, "t": 0, "env_id": "SPA-ALFWorld-v0", "split": "train", "task_id": 3, "task": "...",
     "first_observation": "-= Welcome to TextWorld, ALFRED! =- ...",
     "messages": [{"role": "user", "content": "..."}],       # the prompt the policy answered
     "candidates": [{"reply": "go to shelf 1", "action": "go to shelf 1", "observation": "...",
                     "action_valid": true, "env_reward": 0.0, "terminated": false,
                     "progress": -3.0, "contribution": 1.0, "reward": -3.0, "samples": 1}, ...],
     "chosen": 1, "n_samples": 2, "prev_reward": -4.0, "rose": true, "done": false, "won": false}

:func:`preference_pairs` turns them into ``(prompt, chosen, rejected)`` pairs for DPO-style training and
:func:`sft_samples` into supervised samples (the rising steps) for :func:`spa_gym.agents.sft.train_sft`.

Snapshots cover the unwrapped env only (``get_state`` / ``set_state``), so candidates step
``env.unwrapped``: a wrapper's own state (a ``TimeLimit`` counter, a reward wrapper) would otherwise
count every candidate tried. The env's own ``max_steps`` and ``RROConfig.max_steps`` bound episodes.

>>> from spa_gym.progress.episodes import NoisyExpertPolicy
>>> from spa_gym.progress.toy import CountingEnv
>>> steps = collect_rising_trajectories(CountingEnv(expert=True), NoisyExpertPolicy(epsilon=0.7),
...                                     ExpertPlanProgress(), n_episodes=2,
...                                     config=RROConfig(max_candidates=4, min_rise=1.0), progress=False)
>>> all(s.n_samples <= 4 for s in steps), all(s.won for s in steps if s.done)
(True, True)
>>> all(s.chosen_candidate.reward >= s.prev_reward + 1.0 for s in steps if s.rose)
True
>>> pairs = preference_pairs(steps)
>>> all(p["chosen_reward"] > p["rejected_reward"] for p in pairs)
True

Command line (writes ``steps.jsonl``, ``pairs.jsonl``, ``sft.jsonl`` and ``summary.json``)::

    python -m spa_gym.agents.rro --env SPA-ALFWorld-v0 --episodes 4 --out runs/rro
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from spa_gym.agents.parsing import expert_reply
from spa_gym.agents.prompts import PromptConfig, build_messages, render_prompt
from spa_gym.core.files import append_json_line, read_json_lines
from spa_gym.progress.episodes import Episode, Step
from spa_gym.progress.true_progress import expert_distance

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


# ---------------------------------------------------------------------------------------- records
@dataclass
class Candidate:
    """One distinct action proposed at a step, and what trying it from the snapshot gave."""

    reply: str  # the policy's text (the action itself for a scripted policy)
    action: str  # the command sent to the env
    observation: str
    action_valid: bool
    env_reward: float
    terminated: bool
    progress: float  # estimated cumulative progress P_t after this action
    contribution: float  # P_t - P_{t-1}: this action's own share
    reward: float  # the process reward compared by the rising rule (progress or contribution)
    samples: int = 1  # how often the policy proposed this action at this step


@dataclass
class RROStep:
    """One step of a collected trajectory: the prompt, every candidate tried, and which one continued."""

    episode: int
    t: int
    env_id: str
    split: str
    task_id: int
    task: str
    first_observation: str  # what reset returned (each line stands on its own)
    messages: list[dict[str, str]]
    candidates: list[Candidate]
    chosen: int  # index into candidates
    n_samples: int  # policy calls at this step (duplicates included), at most max_candidates
    prev_reward: float  # reward of the previous step's chosen action (the bar to rise to, before min_rise)
    rose: bool  # the chosen candidate met the rising rule (False: none did, the best one was kept)
    done: bool = False  # the trajectory ended after the chosen action
    won: bool = False  # the env reported success after the chosen action

    @property
    def chosen_candidate(self) -> Candidate:
        return self.candidates[self.chosen]

    @property
    def rejected(self) -> list[Candidate]:
        """Candidates whose reward is strictly below the chosen one's."""
        best = self.chosen_candidate.reward
        return [c for i, c in enumerate(self.candidates) if i != self.chosen and c.reward < best]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RROStep:
        """Build a step from its JSON form; ``ValueError`` says what is wrong."""
        if not isinstance(data, dict):
            raise ValueError(f"an RRO step must be a JSON object, got {type(data).__name__}")
        try:
            cands = [Candidate(**c) for c in data["candidates"]]
            step = cls(**{**data, "candidates": cands})
        except (KeyError, TypeError) as err:
            raise ValueError(f"not an RRO step record: {err}") from None
        if not 0 <= step.chosen < len(cands):
            raise ValueError(f"chosen={step.chosen} is not an index into {len(cands)} candidates")
        return step


def append_step(path: str | os.PathLike, step: RROStep) -> None:
    """Append one step as a JSON line and flush (a crash loses at most the line being written)."""
    append_json_line(path, step.to_dict())


def read_steps(path: str | os.PathLike) -> list[RROStep]:
    """Read a steps file; a malformed line is a ``ValueError`` naming the file and line."""
    return read_json_lines(path, RROStep.from_dict, "RRO step")


def trajectories(steps: Iterable[RROStep]) -> list[Episode]:
    """The chosen trajectories as :class:`~spa_gym.progress.episodes.Episode` objects (e.g. to refit the
    estimator on them)."""
    episodes: dict[int, Episode] = {}
    for s in steps:
        if s.episode not in episodes:
            episodes[s.episode] = Episode(s.task, s.first_observation, env_id=s.env_id, split=s.split,
                                          task_id=s.task_id)
        ep, c = episodes[s.episode], s.chosen_candidate
        ep.steps.append(Step(c.action, c.observation, c.action_valid, c.env_reward))
        ep.final_reward += c.env_reward
        ep.won = s.won
    return list(episodes.values())


# ---------------------------------------------------------------------------------------- training data
def preference_pairs(steps: Iterable[RROStep], *, tokenizer: Any | None = None, rising_only: bool = False,
                     min_margin: float = 0.0) -> list[dict[str, Any]]:
    """``(prompt, chosen, rejected)`` pairs: the chosen reply against each candidate with a lower reward.

    Args:
        tokenizer: renders ``prompt`` with its chat template; without one the plain rendering is used
            (``messages`` is always there too).
        rising_only: keep only steps whose chosen candidate met the rising rule.
        min_margin: keep pairs whose reward gap is larger than this.
    """
    pairs = []
    for s in steps:
        if rising_only and not s.rose:
            continue
        chosen, prompt = s.chosen_candidate, None
        for r in s.rejected:
            if chosen.reward - r.reward > min_margin:
                if prompt is None:  # rendered once per step, not once per pair
                    prompt = render_prompt(tokenizer, s.messages)
                pairs.append({"prompt": prompt, "messages": s.messages,
                              "chosen": chosen.reply, "rejected": r.reply, "chosen_reward": chosen.reward,
                              "rejected_reward": r.reward, "episode": s.episode, "t": s.t})
    return pairs


def sft_samples(steps: Iterable[RROStep], *, rising_only: bool = True) -> list[Any]:
    """The chosen replies as :class:`~spa_gym.agents.sft.SFTSample` (by default only steps that rose)."""
    from spa_gym.agents.sft import SFTSample

    return [SFTSample(s.messages, s.chosen_candidate.reply) for s in steps if s.rose or not rising_only]


# ---------------------------------------------------------------------------------------- progress scorers
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

    Args:
        estimator: the progress estimator.
        reuse_prefix: keep the prefix cache (``False``: score every call in full; same numbers, slower).
    """

    def __init__(self, estimator: Any, reuse_prefix: bool = True) -> None:
        self.estimator = estimator
        self.reuse_prefix = reuse_prefix
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


# ---------------------------------------------------------------------------------------- proposers
class _LLMProposer:
    """Samples replies from an LLMPolicy, one prompt at a time, from a generator seeded per episode."""

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
        return gen.text, gen.action


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


__all__ = ["Candidate", "EstimatorProgress", "ExpertPlanProgress", "ProgressScorer", "RROConfig", "RROStep",
           "append_step", "collect_rising_trajectories", "preference_pairs", "read_steps", "sft_samples",
           "summarize", "trajectories"]


# ---------------------------------------------------------------------------------------- command line
def main(argv: Sequence[str] | None = None) -> dict[str, float]:
    """``python -m spa_gym.agents.rro``: collect, then write steps, pairs, SFT samples and a summary."""
    import argparse
    import time

    parser = argparse.ArgumentParser(prog="python -m spa_gym.agents.rro", description=(
        "Collect rising-reward (RRO) process-supervision data: steps.jsonl, pairs.jsonl, sft.jsonl, summary.json."))
    parser.add_argument("--env", default="SPA-ALFWorld-v0", help="registered env id")
    parser.add_argument("--episodes", type=int, default=4, help="trajectories to collect")
    parser.add_argument("--out", default="runs/rro", help="output folder")
    parser.add_argument("--policy", default="noisy-expert",
                        help="'noisy-expert' (the env's expert, a random admissible command with probability "
                             "--epsilon) or a local Hugging Face model folder (an LLMPolicy)")
    parser.add_argument("--epsilon", type=float, default=0.5, help="noise of the noisy expert")
    parser.add_argument("--estimator", default="expert",
                        help="'expert' (oracle: minus the expert's remaining plan length) or a folder saved "
                             "by ProgressEstimator.save")
    parser.add_argument("--device", default="cpu", help="torch device of the model(s): cpu, cuda, auto")
    parser.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: torch's default)")
    parser.add_argument("--full-scoring", action="store_true",
                        help="score every candidate by re-encoding the whole episode (no prefix cache; same numbers)")
    parser.add_argument("--compare", action="store_true",
                        help="also play the policy alone (no candidate search) on the same tasks and seeds")
    parser.add_argument("--overwrite", action="store_true", help="replace the files of an earlier run in --out")
    defaults = RROConfig()
    for name, value in asdict(defaults).items():
        parser.add_argument("--" + name.replace("_", "-"), type=type(value), default=value,
                            help=f"RROConfig.{name} (default: {value})")
    args = parser.parse_args(argv)
    config = RROConfig(**{name: getattr(args, name) for name in asdict(defaults)})

    from spa_gym.agents.rollout import make_env

    if args.threads > 0:
        import torch

        torch.set_num_threads(args.threads)
    out = Path(args.out)
    files = {name: out / f"{name}.jsonl" for name in ("steps", "pairs", "sft")}
    if files["steps"].exists() and not args.overwrite:
        parser.error(f"{files['steps']} exists; pass --overwrite to replace it")
    tokenizer = None
    try:  # a wrong env id, model folder or device is one line of error, not a traceback
        env = make_env(args.env, expert=True)
        if args.policy == "noisy-expert":
            from spa_gym.progress.episodes import NoisyExpertPolicy

            policy: Any = NoisyExpertPolicy(epsilon=args.epsilon, seed=config.seed)
        else:
            from spa_gym.agents.policy import LLMPolicy

            policy = LLMPolicy.from_pretrained(args.policy, device=args.device)
            tokenizer = policy.tokenizer
        if args.estimator == "expert":
            estimator: Any = ExpertPlanProgress()
        else:
            from spa_gym.progress.estimator import ProgressEstimator

            estimator = EstimatorProgress(ProgressEstimator.load(args.estimator, device=args.device),
                                          reuse_prefix=not args.full_scoring)
    except (FileNotFoundError, ValueError, RuntimeError) as err:
        parser.error(str(err))
    files["steps"].unlink(missing_ok=True)  # --overwrite: the steps are appended, so start from an empty file
    start = time.perf_counter()
    steps = collect_rising_trajectories(env, policy, estimator, args.episodes, config, files["steps"])
    seconds = time.perf_counter() - start
    for name, rows in (("pairs", preference_pairs(steps, tokenizer=tokenizer)),
                       ("sft", [asdict(s) for s in sft_samples(steps)])):
        files[name].write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    summary: dict[str, Any] = {**summarize(steps), "seconds": round(seconds, 2),
                               "candidates_tried": sum(len(s.candidates) for s in steps)}
    if args.compare:
        summary["policy_alone_success_rate"] = _policy_alone_success(args, config, policy, env, steps)
    (out / "summary.json").write_text(json.dumps({"config": asdict(config), "env": args.env, "policy": args.policy,
                                                  "estimator": args.estimator, **summary}, indent=2))
    print(json.dumps(summary, indent=2))
    return summary


def _policy_alone_success(args: Any, config: RROConfig, policy: Any, env: Any, steps: Sequence[RROStep]) -> float:
    """Success rate of the policy playing the RRO run's tasks and seeds on its own (one sample per step)."""
    tasks = [(s.split, s.task_id) for s in steps if s.t == 0]
    if args.policy == "noisy-expert":
        from spa_gym.progress.episodes import NoisyExpertPolicy, collect_episodes

        episodes = collect_episodes(env, NoisyExpertPolicy(epsilon=args.epsilon), len(tasks), config.seed,
                                    split=config.split, task_ids=[t for _, t in tasks], max_steps=config.max_steps,
                                    progress=False)
    else:
        from spa_gym.agents.rollout import make_env, run_episodes

        max_steps = min(config.max_steps, env.unwrapped.max_steps)  # the same step limit as the RRO run
        episodes = [tr.episode for tr in run_episodes(policy, lambda: make_env(args.env, max_steps=max_steps), tasks,
                                                      seed=config.seed, n_envs=1, temperature=config.temperature,
                                                      top_p=config.top_p)]
    return float(np.mean([ep.won for ep in episodes])) if episodes else 0.0


if __name__ == "__main__":
    main()
