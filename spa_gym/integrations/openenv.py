"""OpenEnv: spa-gym's envs as an openenv-core ``Environment``, served by openenv-core's own server.

:class:`SPAOpenEnv` implements ``reset`` / ``step`` / ``state``; each observation carries the env's text,
``admissible_commands``, the SPA dense reward (``reward``) and the env's own reward (``env_reward``) beside
it. :func:`make_app` builds openenv-core's FastAPI app (WebSocket sessions, one env per session, a session
timeout so half-open clients cannot hold slots forever); :func:`serve` runs it with uvicorn, on loopback
unless told otherwise. ``spa-gym serve --protocol openenv --env ID --port N`` is the command-line form.
:class:`SPAEnvClient` is openenv-core's ``EnvClient`` typed for these messages.

    spa-gym serve --protocol openenv --env SPA-ALFWorld-v0 --port 8011 &

    from spa_gym.integrations.openenv import SPAEnvClient, SPATextAction
    with SPAEnvClient(base_url="http://127.0.0.1:8011").sync() as client:
        result = client.reset(task_id=0, split="train")
        result = client.step(SPATextAction(command=result.observation.admissible_commands[0]))
        print(result.reward, result.observation.env_reward, result.done)
"""

from __future__ import annotations

import ipaddress
import uuid
from typing import Any, Optional

from openenv.core import ConcurrencyConfig, EnvClient, Environment, create_app
from openenv.core.client_types import StepResult
from openenv.core.env_server.types import Action, Observation, State
from pydantic import Field

from spa_gym.integrations.episode import SPAEpisode, load_estimator

#: ``info`` keys copied into the observation's ``info`` (plain JSON values in every env; openenv-core's
#: serializer drops ``metadata`` on the wire, so they travel in a field of their own).
INFO_KEYS = ("task_id", "task_type", "split", "action_valid", "step", "won", "state_hash", "expert_action")


class SPATextAction(Action):
    """One text command."""

    command: str = Field(description="The command to send, e.g. 'go to countertop 1'")


class SPATextObservation(Observation):
    """The env's observation text and what a trainer needs beside it; ``reward`` is the SPA dense reward."""

    text: str = Field(default="", description="The env's observation, unchanged")
    task: str = Field(default="", description="The goal sentence")
    admissible_commands: list[str] = Field(default_factory=list)
    won: bool = False
    env_reward: float = Field(default=0.0, description="The env's own reward of this step (final reward at the end)")
    truncated: bool = Field(default=False, description="The episode hit its step limit (done is also True)")
    info: dict[str, Any] = Field(default_factory=dict, description="The env's info: task_id, action_valid, step, ...")


class SPAState(State):
    """Episode id and step count, plus which task this is."""

    env_id: str = ""
    task_id: Optional[int] = None
    split: Optional[str] = None
    dense_return: float = 0.0
    env_return: float = 0.0


class SPAOpenEnv(Environment[SPATextAction, SPATextObservation, SPAState]):
    """A spa-gym env with SPA rewards behind openenv-core's ``Environment`` interface.

    ``reset(seed=0, episode_id=None, task_id=None, split=None)`` starts a task (deterministic from them).
    Each instance owns its env, so sessions are independent (``SUPPORTS_CONCURRENT_SESSIONS``).

    >>> env = SPAOpenEnv("SPA-VirtualHome-v0")
    >>> obs = env.reset(task_id=0, split="train")
    >>> obs.done, obs.reward, len(obs.admissible_commands) > 0
    (False, None, True)
    >>> env.step(SPATextAction(command="fly")).info["action_valid"], env.state.step_count
    (False, 1)
    """

    SUPPORTS_CONCURRENT_SESSIONS = True

    def __init__(self, env_id: str = "SPA-ALFWorld-v0", estimator: Any = None, *, form: str = "potential",
                 alpha: float = 1.0, beta: float = 0.5) -> None:
        super().__init__()
        self.episode = SPAEpisode(env_id, estimator, form=form, alpha=alpha, beta=beta)
        self._state = SPAState(env_id=env_id)

    def reset(self, seed: Optional[int] = None, episode_id: Optional[str] = None, task_id: Optional[int] = None,
              split: Optional[str] = None, **kwargs: Any) -> SPATextObservation:
        text = self.episode.reset(task_id, split, 0 if seed is None else seed)
        info = self.episode.info
        self._state = SPAState(episode_id=episode_id or str(uuid.uuid4()), step_count=0,
                               env_id=self.episode.env_id, task_id=info.get("task_id"), split=info.get("split"))
        return self._observation(text, reward=None, env_reward=0.0, terminated=False, truncated=False)

    def step(self, action: SPATextAction, timeout_s: Optional[float] = None, **kwargs: Any) -> SPATextObservation:
        turn = self.episode.step(action.command)
        self._state.step_count = len(self.episode.turns)
        self._state.dense_return, self._state.env_return = self.episode.dense_return, self.episode.env_return
        return self._observation(turn.observation, turn.dense_reward, turn.env_reward, turn.terminated,
                                 turn.truncated)

    @property
    def state(self) -> SPAState:
        return self._state

    def _observation(self, text: str, reward: float | None, env_reward: float, terminated: bool,
                     truncated: bool) -> SPATextObservation:
        info = self.episode.info
        kept = {k: info[k] for k in INFO_KEYS if k in info}
        return SPATextObservation(text=text, task=self.episode.task, admissible_commands=self.episode.admissible_commands,
                                  won=self.episode.won, env_reward=env_reward, truncated=truncated,
                                  done=terminated or truncated, reward=reward, info=kept)


class SPAEnvClient(EnvClient[SPATextAction, SPATextObservation, SPAState]):
    """openenv-core's WebSocket client, typed for :class:`SPAOpenEnv`'s messages."""

    def _step_payload(self, action: SPATextAction) -> dict[str, Any]:
        return action.model_dump()

    def _parse_result(self, payload: dict[str, Any]) -> StepResult[SPATextObservation]:
        obs = dict(payload.get("observation", {}))
        obs.update(done=payload.get("done", False), reward=payload.get("reward"))
        return StepResult(observation=SPATextObservation(**obs), reward=payload.get("reward"),
                          done=payload.get("done", False))

    def _parse_state(self, payload: dict[str, Any]) -> SPAState:
        return SPAState(**payload)


def make_app(env_id: str = "SPA-ALFWorld-v0", estimator: Any = None, *, form: str = "potential",
             max_sessions: int = 8, session_timeout_s: float = 300.0) -> Any:
    """openenv-core's FastAPI app over ``env_id``: up to ``max_sessions`` WebSocket sessions, each with its
    own env; a session idle for ``session_timeout_s`` seconds is closed and its slot freed. One estimator is
    loaded and shared by the sessions (each scores its own episode)."""
    shared = load_estimator(estimator)

    class _Env(SPAOpenEnv):  # the factory openenv-core calls once per session
        def __init__(self) -> None:
            super().__init__(env_id, shared, form=form)

    config = ConcurrencyConfig(max_concurrent_envs=max_sessions, session_timeout=session_timeout_s)
    return create_app(_Env, SPATextAction, SPATextObservation, env_name=env_id, concurrency_config=config)


def serve(env_id: str = "SPA-ALFWorld-v0", host: str = "127.0.0.1", port: int = 8011, estimator: Any = None, *,
          form: str = "potential", max_sessions: int = 8, session_timeout_s: float = 300.0,
          allow_remote: bool = False) -> None:
    """Run :func:`make_app` with uvicorn until interrupted. A non-loopback ``host`` needs ``allow_remote``."""
    import uvicorn

    if not allow_remote and not _is_loopback(host):
        raise ValueError(f"--host {host} is not a loopback address; pass allow_remote=True (--allow-remote) to "
                         "serve the env to the network")
    app = make_app(env_id, estimator, form=form, max_sessions=max_sessions, session_timeout_s=session_timeout_s)
    uvicorn.run(app, host=host, port=port, log_level="warning")


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
