"""SkyRL-gym: spa-gym's envs as a ``skyrl_gym`` ``BaseTextEnv``, with a per-turn SPA reward.

:class:`SPASkyRLEnv` follows skyrl-gym's text-env contract: ``init(prompt) -> (messages, metadata)`` starts the
task named by the dataset row and returns the chat prompt with the env's first observation in it;
``step(llm_output) -> BaseTextEnvStepOutput`` takes the model's text, sends one command, and returns the next
observation as a user message, ``reward`` = the SPA dense reward of that turn (SkyRL's turn-level rewards),
``done``, and ``metadata`` with the env's own reward (``env_reward``), ``admissible_commands``, ``won`` and
the env's ``info`` keys. The command is the text inside ``<action>...</action>`` when the model writes the
tag, else the whole reply stripped (``postprocessed_action`` says which command was sent).

:func:`register` adds our ids to skyrl-gym's registry (``skyrl_gym.make("SPA-ALFWorld-v0", env_config=...,
extras=row)``), so a SkyRL dataset's ``env_class`` column can name them; :func:`task_rows` writes such rows
(``prompt``, ``env_class``, ``task_id``, ``split``). In SkyRL-train call ``register()`` in the entry point
before the trainer starts, the way its examples register their own envs.

    import skyrl_gym
    from spa_gym.integrations.skyrl import register, task_rows

    register()
    row = task_rows("SPA-ALFWorld-v0", split="train", n=1)[0]
    env = skyrl_gym.make(row["env_class"], env_config={}, extras=row)
    messages, metadata = env.init(row["prompt"])
    out = env.step("<action>" + metadata["admissible_commands"][0] + "</action>")
    print(out["reward"], out["metadata"]["env_reward"], out["done"])
"""

from __future__ import annotations

import re
from typing import Any

import skyrl_gym
from skyrl_gym.envs.base_text_env import BaseTextEnv, BaseTextEnvStepOutput, ConversationType

from spa_gym.integrations.episode import SPAEpisode

#: The ids :func:`register` adds to skyrl-gym's registry (the same ids as gymnasium's).
ENV_IDS = ("SPA-ALFWorld-v0", "SPA-WebShop-v0", "SPA-VirtualHome-v0")

#: ``info`` keys copied into each step's ``metadata`` (plain JSON values in every env).
INFO_KEYS = ("task_id", "task_type", "split", "action_valid", "step", "won", "state_hash", "expert_action")

#: The system-free instruction :func:`task_rows` puts in each prompt (the first observation follows it).
INSTRUCTION = ("Solve the task in the text environment below. Reply with exactly one command per turn, "
               "written as <action>COMMAND</action>; you will see what it does. Stop when the task is done.")

_ACTION = re.compile(r"<action>(.*?)</action>", re.DOTALL | re.IGNORECASE)


def parse_action(text: str) -> str:
    """The command in a model reply: the last ``<action>...</action>`` if there is one, else the reply stripped."""
    found = _ACTION.findall(text)
    return (found[-1] if found else text).strip()


def _get(config: Any, key: str, default: Any = None) -> Any:
    """``config.get(key)`` for dicts, omegaconf ``DictConfig`` and ``None``."""
    if config is None:
        return default
    value = config.get(key, default) if hasattr(config, "get") else getattr(config, key, default)
    return default if value is None else value


class SPASkyRLEnv(BaseTextEnv):
    """A spa-gym env with SPA rewards as a skyrl-gym ``BaseTextEnv``.

    Args:
        env_config: SkyRL's per-env config (dict or ``DictConfig``); read keys: ``env_id``, ``estimator`` (a
            saved estimator folder; default the offline default estimator), ``form``, ``alpha``, ``beta``,
            ``show_admissible`` (append the admissible commands to each observation; default True),
            ``max_turns`` (default: the env's own step limit).
        extras: the dataset row: ``task_id`` and ``split`` (top level or in ``extra_info``), optionally
            ``seed`` and ``max_turns``.
        env_id: set by :func:`register` for each id; ``env_config["env_id"]`` overrides it.
        estimator: an estimator object to share between envs (otherwise ``env_config["estimator"]``).

    >>> env = SPASkyRLEnv(extras={"task_id": 0, "split": "train"}, env_id="SPA-VirtualHome-v0")
    >>> messages, meta = env.init([{"role": "user", "content": "Play."}])
    >>> len(messages), messages[-1]["role"], len(meta["admissible_commands"]) > 0
    (1, 'user', True)
    >>> out = env.step("<action>fly</action>")
    >>> out["postprocessed_action"], out["metadata"]["info"]["action_valid"], out["done"]
    ('fly', False, False)
    """

    def __init__(self, env_config: Any = None, extras: dict[str, Any] | None = None, *,
                 env_id: str = "SPA-ALFWorld-v0", estimator: Any = None) -> None:
        super().__init__()
        extras = dict(extras or {})
        extra_info = dict(extras.get("extra_info") or {})
        self.env_id = str(_get(env_config, "env_id", env_id))
        self.episode = SPAEpisode(self.env_id, estimator if estimator is not None else _get(env_config, "estimator"),
                                  form=str(_get(env_config, "form", "potential")),
                                  alpha=float(_get(env_config, "alpha", 1.0)), beta=float(_get(env_config, "beta", 0.5)))
        self.show_admissible = bool(_get(env_config, "show_admissible", True))
        self.task_id = extras.get("task_id", extra_info.get("task_id"))
        self.split = extras.get("split", extra_info.get("split"))
        self.seed = int(extras.get("seed", extra_info.get("seed", 0)) or 0)
        max_turns = extras.get("max_turns", extra_info.get("max_turns", _get(env_config, "max_turns")))
        self.max_turns = int(max_turns) if max_turns is not None else 0  # 0: the env's own step limit

    def init(self, prompt: ConversationType) -> tuple[ConversationType, dict[str, Any]]:
        """Reset to the row's task; the first observation is appended to the prompt's last user message (or
        added as a user message when the prompt does not end with one)."""
        text = self._render(self.episode.reset(self.task_id, self.split, self.seed))
        self.turns = 0
        messages = [dict(m) for m in (prompt or [])]
        if messages and messages[-1].get("role") == "user":
            messages[-1]["content"] = f"{messages[-1]['content']}\n\n{text}" if messages[-1]["content"] else text
        else:
            messages.append({"role": "user", "content": text})
        return messages, self._metadata(env_reward=0.0)

    def step(self, action: str) -> BaseTextEnvStepOutput:
        """One turn: parse the command from the model's reply, send it, return the SPA reward of the turn."""
        command = parse_action(action)
        turn = self.episode.step(command)
        self.turns += 1
        done = turn.done or (self.max_turns > 0 and self.turns >= self.max_turns)
        text = self._render(turn.observation)
        if turn.done:
            text += "\n\nThe episode is over" + (" (task completed)." if self.episode.won else ".")
        metadata = self._metadata(env_reward=turn.env_reward)
        metadata.update(terminated=turn.terminated, truncated=turn.truncated or (done and not turn.done))
        return BaseTextEnvStepOutput(observations=[] if done else [{"role": "user", "content": text}],
                                     reward=float(turn.dense_reward), done=bool(done), metadata=metadata,
                                     postprocessed_action=command)

    def get_metrics(self) -> dict[str, Any]:
        """Per-episode numbers SkyRL averages over a batch: ``won``, ``env_return``, ``dense_return``, ``steps``."""
        return {"won": float(self.episode.won), "env_return": self.episode.env_return,
                "dense_return": self.episode.dense_return, "steps": len(self.episode.turns)}

    @property
    def admissible_commands(self) -> list[str]:
        return self.episode.admissible_commands

    def _metadata(self, env_reward: float) -> dict[str, Any]:
        info = self.episode.info
        return {"env_reward": float(env_reward), "admissible_commands": self.episode.admissible_commands,
                "won": self.episode.won, "task": self.episode.task,
                "info": {k: info[k] for k in INFO_KEYS if k in info}}

    def _render(self, observation: str) -> str:
        if not self.show_admissible:
            return observation
        return observation + "\n\nAdmissible commands: " + ", ".join(self.episode.admissible_commands)


def _creator(env_id: str) -> Any:
    def make(env_config: Any = None, extras: dict[str, Any] | None = None, **kwargs: Any) -> SPASkyRLEnv:
        return SPASkyRLEnv(env_config, extras, env_id=env_id, **kwargs)

    make.__name__ = make.__qualname__ = f"make_{env_id.replace('-', '_')}"
    return make


def register(env_ids: tuple[str, ...] = ENV_IDS) -> list[str]:
    """Add ``env_ids`` to skyrl-gym's registry (skipping those already there); returns the ids registered.
    ``skyrl_gym.make(id, env_config=..., extras=row)`` then builds a :class:`SPASkyRLEnv`."""
    added = []
    for env_id in env_ids:
        if env_id not in skyrl_gym.registry:
            skyrl_gym.register(id=env_id, entry_point=_creator(env_id))
            added.append(env_id)
    return added


def task_rows(env_id: str = "SPA-ALFWorld-v0", split: str = "train", n: int | None = None,
              instruction: str = INSTRUCTION) -> list[dict[str, Any]]:
    """SkyRL dataset rows for the split's tasks: ``prompt`` (one user message), ``env_class`` (= ``env_id``),
    ``task_id``, ``split``, and ``extra_info`` with the same ids (SkyRL passes the row's other columns to the env
    as ``extras``). Write them with ``pandas.DataFrame(rows).to_parquet(...)`` for SkyRL-train."""
    from spa_gym.integrations.trl import _NoEstimator

    size = SPAEpisode(env_id, estimator=_NoEstimator()).num_tasks(split)
    ids = range(size if n is None else min(n, size))
    return [{"data_source": env_id, "prompt": [{"role": "user", "content": instruction}], "env_class": env_id,
             "task_id": i, "split": split, "extra_info": {"task_id": i, "split": split}} for i in ids]
