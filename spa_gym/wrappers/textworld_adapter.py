"""A TextWorld game as a Gymnasium text env: proof that the SPA wrappers work on envs we did not write.

TextWorld (``pip install "spa-gym[textworld]"``) generates and compiles small text adventures itself;
:func:`make_textworld_game` asks its generator for one, :class:`TextWorldEnv` plays it through
``textworld.start`` and speaks the same ``info`` dialect as our envs, so ``SPAReward`` needs nothing else::

    path = make_textworld_game("games/", seed=1)
    env = SPAReward(TextWorldEnv(path, expert=True), estimator)

What the adapter decides (TextWorld does not say these itself):

* the first observation is the game's objective and the room description (TextWorld's own first feedback
  is mostly an ASCII-art banner);
* ``action_valid`` is True when the command was one of the admissible commands before the step;
* commands are cut to one line of printable ASCII without backslashes (the interpreter's escape);
* the reward is TextWorld's score increase; ``terminated`` when the game is won or lost;
* ``expert_action`` (with ``expert=True``) is the first of TextWorld's ``policy_commands``.
"""

from __future__ import annotations

import contextlib
import os
import warnings
from pathlib import Path
from typing import Any

import gymnasium as gym

from spa_gym.core.text import MAX_ACTION_LENGTH, MAX_OBSERVATION_LENGTH, to_charset
from spa_gym.core.text_env import text_space


def _textworld() -> Any:
    try:
        import textworld
        import textworld.generator
    except ImportError as err:  # optional extra: the module itself must import without it
        raise ImportError('TextWorldEnv needs the textworld package: pip install "spa-gym[textworld]"') from err
    return textworld


def make_textworld_game(out_dir: str | os.PathLike, seed: int = 0, *, nb_rooms: int = 2, nb_objects: int = 4,
                        quest_length: int = 3) -> Path:
    """Generate and compile a TextWorld game with TextWorld's own generator; return the game file."""
    textworld = _textworld()
    options = textworld.GameOptions()
    options.seeds = seed
    options.nb_rooms, options.nb_objects, options.quest_length = nb_rooms, nb_objects, quest_length
    options.path = str(Path(out_dir) / f"tw-game-{seed}.z8")
    options.file_ext = ".z8"
    options.force_recompile = True
    Path(out_dir).mkdir(parents=True, exist_ok=True)
    game = textworld.generator.make_game(options)
    return Path(textworld.generator.compile_game(game, options))


def _safe_command(action: str) -> str:
    """What the Z-machine interpreter can take: one line of printable ASCII, no backslash (its escape
    character, which breaks the game), at most 190 characters (Jericho cuts at 198 bytes). No admissible command is changed by it."""
    return "".join(c if " " <= c <= "~" and c != "\\" else " " for c in action)[:190]


@contextlib.contextmanager
def _quiet() -> Any:
    # Jericho warns on every reset/step that it cannot list valid actions itself; TextWorld lists them.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Unable to find valid actions")
        yield


class TextWorldEnv(gym.Env[str, str]):
    """A compiled TextWorld game file (``.z8`` / ``.ulx``) as a Gymnasium env with Text spaces.

    Args:
        gamefile: path of the compiled game.
        max_steps: step limit (``truncated`` on the step that reaches it).
        expert: add ``info["expert_action"]`` from TextWorld's walkthrough policy.
    """

    metadata = {"render_modes": ["ansi"]}

    def __init__(self, gamefile: str | os.PathLike, max_steps: int = 50, expert: bool = False,
                 render_mode: str | None = None) -> None:
        if not Path(gamefile).is_file():
            raise FileNotFoundError(f"TextWorld game file not found: {gamefile}")
        if max_steps < 1:
            raise ValueError(f"max_steps must be >= 1, got {max_steps}")
        textworld = _textworld()
        self.gamefile, self.max_steps, self.expert, self.render_mode = Path(gamefile), max_steps, expert, render_mode
        infos = textworld.EnvInfos(admissible_commands=True, objective=True, description=True, won=True,
                                   lost=True, score=True, max_score=True, policy_commands=expert)
        self._env = textworld.start(str(gamefile), request_infos=infos)
        self.observation_space = text_space(MAX_OBSERVATION_LENGTH)
        self.action_space = text_space(MAX_ACTION_LENGTH)
        self._state: Any = None
        self._obs, self._steps, self._done = "", 0, False

    def _info(self, action_valid: bool) -> dict[str, Any]:
        s = self._state
        info = {"admissible_commands": [to_charset(c) for c in s.admissible_commands or []],
                "won": bool(s.won), "lost": bool(s.lost), "task": to_charset(s.objective or ""),
                "task_id": -1, "task_type": "textworld", "action_valid": action_valid, "step": self._steps,
                "score": s.score, "max_score": s.max_score}
        if self.expert:
            info["expert_action"] = None if self._done or not s.policy_commands else s.policy_commands[0]
        return info

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None) -> tuple[str, dict]:
        super().reset(seed=seed)  # the game is deterministic; the seed only seeds self.np_random
        with _quiet():
            self._state = self._env.reset()
        self._steps, self._done = 0, False
        self._obs = to_charset(f"{self._state.objective}\n\n{self._state.description}".strip())
        return self._obs, self._info(True)

    def step(self, action: str) -> tuple[str, float, bool, bool, dict]:
        if self._state is None:
            raise gym.error.ResetNeeded("call reset() before step()")
        if self._done:  # TextWorld would answer with its restart prompt; keep the contract instead
            return self._obs, 0.0, True, False, self._info(False)
        action = _safe_command(str(action))
        valid = action.strip().lower() in {c.lower() for c in self._state.admissible_commands or []}
        before = self._state.score
        with _quiet():
            self._state, _, game_over = self._env.step(action)
        self._steps += 1
        self._obs = to_charset(self._state.feedback.strip().rstrip(">").strip())
        terminated = bool(game_over or self._state.won or self._state.lost)
        truncated = not terminated and self._steps >= self.max_steps
        self._done = terminated or truncated
        return self._obs, float(self._state.score - before), terminated, truncated, self._info(valid)

    def render(self) -> str | None:
        return self._obs if self.render_mode == "ansi" else None

    def close(self) -> None:
        self._env.close()


__all__ = ["TextWorldEnv", "make_textworld_game"]
