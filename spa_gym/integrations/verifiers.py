"""verifiers adapter: our envs as a verifiers (0.4, ``verifiers.v1``) environment with the SPA reward as its rubric.

verifiers 0.4 builds an environment from a *taskset* (the rows), an *env* (how one task becomes an episode)
and a *harness* (the program that talks to the model, every call passing through verifiers' interception
server, which records the trace). This module is all three, loadable as one plugin: verifiers imports plugin
ids as top-level modules, so the id is ``spa-gym-verifiers`` (the package :mod:`spa_gym_verifiers` re-exports
this module).

* :class:`SPATaskset` yields one task per task id of a split; its prompt is the env's first observation.
* :class:`SPAEnv` plays a task host-side, the way verifiers' own TextArena env plays a game: the model's
  reply is parsed into a command (:func:`~spa_gym.agents.parsing.parse_action`), sent to an
  :class:`~spa_gym.integrations.episode.SPAEpisode`, and the env's observation is the next user turn, until
  the episode ends.
* :class:`SPATask` is the rubric: ``spa_reward`` (the episode's SPA return; weight 1) and ``env_reward`` (the
  benchmark's own final reward; weight ``env_reward_weight``, 0 by default: the potential form already adds
  it at the end), and metrics (won, turns, grounding). Per-turn rewards, admissible commands and state hashes
  are in the trace's ``info["spa_gym"]``.
* :class:`SPAChatHarness` runs the chat loop in-process: one chat-completions call per turn to the
  interception endpoint (verifiers' built-in ``null`` harness would do the same from a ``uv`` script whose
  dependencies it downloads, which an offline box cannot).

Run it from Python (README "verifiers" has the whole example) or with verifiers' CLI
(``--env.taskset.id spa-gym-verifiers --env.player.harness.id spa-gym-verifiers
--env.player.runtime.type subprocess``)::

    env = load_environment(env_id="SPA-ALFWorld-v0", split="test", num_tasks=2)
    ctx = vf.ModelContext(model="my-model", client=vf.EvalClientConfig(base_url="http://127.0.0.1:8000/v1"))
    async with env.serving():
        episodes = [await env.run_episode(task, ctx) for task in env.taskset]
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import verifiers.v1 as vf

from spa_gym.agents.parsing import parse_action
from spa_gym.integrations.episode import SPAEpisode, load_estimator

#: The plugin id (verifiers imports it as the top-level package spa_gym_verifiers, which re-exports this module).
PLUGIN_ID = "spa-gym-verifiers"
#: The system turn: how to answer (our words).
SYSTEM_PROMPT = ("You are an agent in a text world. Each turn you read what happened and reply with one command "
                 "for the world, using the exact names you have seen (a line 'Action: <command>' after any "
                 "reasoning, or just the command). A command the world cannot execute does nothing.")


class SPATasksetConfig(vf.TasksetConfig):
    """Which tasks load and how they are rewarded (``--env.taskset.*`` in verifiers' CLI)."""

    env_id: str = "SPA-ALFWorld-v0"
    """A registered spa-gym id."""
    split: str = "train"
    num_tasks: int | None = None
    """The first N task ids of the split (default: all)."""
    seed: int = 0
    """Reset seed of every episode (a task's episodes then start from the same state)."""
    estimator: str | None = None
    """A saved estimator's folder; None: the offline default (untrained until fit)."""
    form: str = "potential"
    alpha: float = 1.0
    beta: float = 0.5
    env_kwargs: dict[str, Any] = {}
    """Keyword arguments for ``gym.make`` (``max_steps``, ``num_products``, ...)."""


class SPATaskData(vf.TaskData):
    info: dict[str, Any]
    """``env_id``, ``split``, ``task_id``, ``seed``: what the env resets from."""


class SPATask(vf.Task[SPATaskData, vf.State, vf.TaskConfig]):
    """One task id of a split; its rubric (async, as verifiers awaits it) reads what :class:`SPAEnv` left in the
    trace."""

    @property
    def key(self) -> str:
        i = self.data.info
        return f"{i['env_id']}/{i['split']}/{i['task_id']}/{i['seed']}"

    @vf.reward(weight=1.0)
    async def spa_reward(self, trace: vf.Trace) -> float:
        """The episode's SPA return (sum of the per-turn dense rewards)."""
        return float(_played(trace)["dense_return"])

    @vf.reward(weight=0.0)
    async def env_reward(self, trace: vf.Trace) -> float:
        """The benchmark's own reward (ALFWorld / VirtualHome 1.0 on success, WebShop the purchase score)."""
        return float(_played(trace)["env_return"])

    @vf.metric
    async def won(self, trace: vf.Trace) -> float:
        return float(_played(trace)["won"])

    @vf.metric
    async def turns(self, trace: vf.Trace) -> float:
        return float(len(_played(trace)["dense_rewards"]))

    @vf.metric
    async def grounding(self, trace: vf.Trace) -> float:
        """Share of the turns whose command the env executed."""
        valid = _played(trace)["action_valid"]
        return float(sum(valid) / len(valid)) if valid else 0.0


def _played(trace: vf.Trace) -> dict[str, Any]:
    played = trace.info.get("spa_gym")
    if played is None:
        raise ValueError("the trace has no spa_gym record: it was not played by SPAEnv")
    return played


class SPATaskset(vf.Taskset[SPATask, SPATasksetConfig]):
    """The task ids of one split of a spa-gym env, the first observation as each task's prompt."""

    def load(self) -> Iterator[SPATask]:
        cfg = self.config
        base = _bare_env(cfg)  # no estimator needed for the first observations
        size = base.unwrapped.task_set.size(cfg.split)
        n = size if cfg.num_tasks is None else min(int(cfg.num_tasks), size)
        for task_id in range(n):
            obs, _ = base.reset(seed=cfg.seed, options={"split": cfg.split, "task_id": task_id})
            yield SPATask(SPATaskData(id=f"{cfg.env_id}/{cfg.split}/{task_id}", name=f"{cfg.split}-{task_id}",
                                      prompt=obs, system_prompt=SYSTEM_PROMPT,
                                      info={"env_id": cfg.env_id, "split": cfg.split, "task_id": task_id,
                                            "seed": cfg.seed}), cfg.task)


def _bare_env(cfg: SPATasksetConfig) -> Any:
    import gymnasium as gym

    import spa_gym  # noqa: F401  (registers the ids)

    return gym.make(cfg.env_id, **cfg.env_kwargs)


class SPAEnvConfig(vf.EnvConfig):
    player: vf.AgentConfig = vf.AgentConfig()


class SPAEnv(vf.Env[SPAEnvConfig]):
    """Plays a task host-side: the model's replies are commands, the env's observations the user turns."""

    def __init__(self, config: SPAEnvConfig) -> None:
        super().__init__(config)
        self._estimator: Any = None

    def estimator(self) -> Any:
        """The progress estimator, loaded once and shared by every episode of this env."""
        if self._estimator is None:
            self._estimator = load_estimator(self.taskset.config.estimator)
        return self._estimator

    async def run(self, task: SPATask, agents: vf.Agents) -> None:
        cfg, info = self.taskset.config, task.data.info
        episode = SPAEpisode(info["env_id"], self.estimator(), form=cfg.form, alpha=cfg.alpha, beta=cfg.beta,
                             env_kwargs=cfg.env_kwargs)
        first = episode.reset(info["task_id"], info["split"], info["seed"])
        if first != task.data.prompt:
            raise ValueError(f"task {task.data.id}: the env's first observation is not the task's prompt "
                             "(were the task rows made with other env settings?)")
        async with agents.player.interaction(task) as interaction:
            segment = await interaction.turn()  # the prompt (first observation) opens: the model moves first
            while not segment.terminated:
                turn = episode.step(parse_action(segment.last_reply))
                if turn.done:
                    break
                segment = await interaction.turn(turn.observation)
            interaction.trace.info["spa_gym"] = _record(episode)


def _record(episode: SPAEpisode) -> dict[str, Any]:
    """What the rubric and a trainer need from the episode, JSON-able."""
    return {"env_id": episode.env_id, "actions": list(episode.actions),
            "dense_rewards": episode.dense_rewards, "env_rewards": episode.env_rewards,
            "dense_return": episode.dense_return, "env_return": episode.env_return, "won": episode.won,
            "done": episode.done,
            "action_valid": [bool(t.info.get("action_valid", False)) for t in episode.turns],
            "state_hashes": [str(t.info.get("state_hash", "")) for t in episode.turns],
            "admissible_commands": episode.admissible_commands}


class SPAChatHarnessConfig(vf.HarnessConfig):
    max_tokens: int | None = None
    """Completion limit per turn (None: the endpoint's default)."""


class SPAChatHarness(vf.Harness[SPAChatHarnessConfig]):
    """A chat loop without tools, in-process: one chat-completions request per segment to the interception
    endpoint (verifiers records it into the trace), the whole conversation each time (stateless, so the base
    class's ``resume`` replays it)."""

    APPENDS_SYSTEM_PROMPT = True
    SUPPORTS_RESUME = True
    EXECUTES_CODE = False
    NEEDS_CONTAINER = False

    async def setup(self, runtime: vf.Runtime) -> None:
        return None  # nothing to install: the loop runs here

    async def launch(self, ctx: vf.ModelContext, trace: vf.Trace, runtime: vf.Runtime, endpoint: str, secret: str,
                     mcp_urls: dict[str, str], data: vf.TaskData) -> vf.ProgramResult:
        from openai import AsyncOpenAI

        from verifiers.v1.dialects.chat import message_to_wire

        system, prompt = self.resolve_prompt(data)
        messages: list[dict[str, Any]] = [{"role": "system", "content": system}] if system else []
        if isinstance(prompt, str):
            messages.append({"role": "user", "content": prompt})
        elif prompt:
            messages += [message_to_wire(m) for m in prompt]
        kwargs = {} if self.config.max_tokens is None else {"max_tokens": self.config.max_tokens}
        client = AsyncOpenAI(base_url=endpoint, api_key=secret, max_retries=0)
        try:
            reply = await client.chat.completions.create(model=ctx.model, messages=messages, **kwargs)
        except Exception as exc:  # noqa: BLE001 - reported as the program's failure, as a launched one would
            return vf.ProgramResult(exit_code=1, stdout="", stderr=f"{type(exc).__name__}: {exc}")
        finally:
            await client.close()
        return vf.ProgramResult(exit_code=0, stdout=reply.choices[0].message.content or "", stderr="")


def load_environment(env_id: str = "SPA-ALFWorld-v0", split: str = "train", num_tasks: int | None = None, *,
                     seed: int = 0, estimator: str | os.PathLike | None = None, form: str = "potential",
                     alpha: float = 1.0, beta: float = 0.5, env_reward_weight: float = 0.0,
                     env_kwargs: dict[str, Any] | None = None, model: str | None = None) -> SPAEnv:
    """A verifiers environment over ``env_id``'s ``split``, rewarded by SPA (see the module docstring).

    ``env_reward_weight`` weighs the env's own final reward in verifiers' total (the SPA reward weighs 1); ``model``
    pins the player's model name (else verifiers' run config gives it).
    """
    taskset = {"id": PLUGIN_ID, "env_id": env_id, "split": split, "num_tasks": num_tasks, "seed": seed,
               "estimator": None if estimator is None else str(estimator), "form": form, "alpha": alpha,
               "beta": beta, "env_kwargs": dict(env_kwargs or {}),
               "task": {"rewards": {"env_reward": {"weight": env_reward_weight}}}}
    # The chat loop runs in this process, so the local (subprocess) runtime: verifiers' default is a remote sandbox.
    player: dict[str, Any] = {"harness": {"id": PLUGIN_ID}, "runtime": {"type": "subprocess"}}
    if model is not None:
        player["model"] = model
    config = vf.resolve_env_config({"taskset": taskset, "player": player})
    return vf.load_environment(config)


__all__ = ["PLUGIN_ID", "SPAChatHarness", "SPAEnv", "SPATask", "SPATaskset", "load_environment"]
