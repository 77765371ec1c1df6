"""The TextEnv base keeps the contract for any family; checked here on a tiny counting world."""

from __future__ import annotations

import pickle

import gymnasium as gym
import pytest
from gymnasium.utils.env_checker import check_env

from spa_gym.core import CHARSET, INFO_KEYS, TaskSet, TextEnv, stable_seed, to_charset
from spa_gym.core.text import charset_with, extra_characters


class CountTo(TextEnv):
    """Say numbers up to the task's target; 'up' is the only admissible command."""

    _tasks = TaskSet("count", "v1", {"train": 5, "valid": 2, "test": 2})

    @property
    def task_set(self) -> TaskSet:
        return self._tasks

    def _start_episode(self, split, task_id):
        self._world = {"n": 0, "target": 2 + stable_seed("count", split, task_id) % 3}
        return f"Count to {self._world['target']}."

    def _execute(self, action):
        if action.strip() != "up":
            return self.invalid_action_message, 0.0, False, False
        self._world["n"] += 1
        won = self._won()
        return f"You say {self._world['n']}.", float(won), won, True

    def _admissible_commands(self):
        return ["up"]

    def _won(self):
        return self._world["n"] >= self._world["target"]

    def _task_description(self):
        return f"count to {self._world['target']}", "count"

    def _expert_action(self):
        return "up"


def test_check_env_passes():
    check_env(CountTo(), skip_render_check=True)


def test_info_has_every_contract_key_and_expert():
    env = CountTo(expert=True)
    _, info = env.reset(seed=1)
    assert set(INFO_KEYS) <= set(info)
    assert info["expert_action"] == "up"
    _, _, _, _, info = env.step("up")
    assert set(INFO_KEYS) <= set(info) and info["step"] == 1 and info["action_valid"]


@pytest.mark.parametrize("action", ["", "x" * 10_000, "\u00e9\u4e2d\U0001F600", "\x00\x07\n\r", 42])
def test_any_action_never_raises_and_changes_nothing(action):
    env = CountTo()
    env.reset(seed=0, options={"task_id": 0})
    before = env.get_state()["world"]
    obs, reward, terminated, truncated, info = env.step(action)
    assert obs == "Nothing happens." and reward == 0.0 and not terminated
    assert not info["action_valid"] and env.get_state()["world"] == before


def test_options_select_task_and_bad_options_fail_clearly():
    env = CountTo()
    obs_a, info = env.reset(options={"split": "test", "task_id": 1})
    assert info["split"] == "test" and info["task_id"] == 1
    assert env.reset(options={"split": "test", "task_id": 1})[0] == obs_a
    with pytest.raises(ValueError, match="out of range"):
        env.reset(options={"split": "test", "task_id": 9})
    with pytest.raises(ValueError, match="unknown split"):
        env.reset(options={"split": "nope"})
    with pytest.raises(ValueError, match="unknown reset option"):
        env.reset(options={"taskid": 1})


def test_same_seed_same_task():
    a, b = CountTo(), CountTo()
    assert [a.reset(seed=s)[1]["task_id"] for s in range(6)] == [b.reset(seed=s)[1]["task_id"] for s in range(6)]


def test_truncates_at_step_limit_and_finished_episode_is_inert():
    env = CountTo(max_steps=2)
    env.reset(options={"task_id": 0})
    env.step("nope")
    _, _, terminated, truncated, info = env.step("nope")
    assert truncated and not terminated and info["step"] == 2
    obs, reward, terminated, truncated, info = env.step("up")
    assert reward == 0.0 and terminated and info["step"] == 2


def test_snapshot_round_trip_is_exact_and_picklable():
    env = CountTo()
    env.reset(seed=3, options={"task_id": 2})
    env.step("up")
    snap = pickle.loads(pickle.dumps(env.get_state()))
    after_one = env.step("up")
    env.set_state(snap)
    assert env.step("up")[:4] == after_one[:4]


def test_step_before_reset_is_a_clear_error():
    with pytest.raises(gym.error.ResetNeeded):
        CountTo().step("up")


class CafeCount(CountTo):
    """CountTo whose data adds non-ASCII characters (and, once, forgets to declare one)."""

    def _emitted_characters(self):
        return "\u00e9\u203a"

    def _start_episode(self, split, task_id):
        return "Caf\u00e9 \u203a " + super()._start_episode(split, task_id)

    def _execute(self, action):
        if action == "undeclared":
            return "\u4e2d\u2019", 0.0, False, False
        return super()._execute(action)


def test_spaces_hold_the_characters_the_data_adds_and_text_is_never_rewritten():
    env = CafeCount()
    space = env.observation_space
    assert space.character_list[-2:] == ("\u00e9", "\u203a")
    assert space.character_list[:len(CHARSET)] == tuple(CHARSET) and env.action_space.character_set == space.character_set
    check_env(env, skip_render_check=True)
    obs, _ = env.reset(seed=0)
    assert obs.startswith("Caf\u00e9 \u203a Count to ") and space.contains(obs)
    with pytest.warns(UserWarning, match="lacks"):
        obs, *_ = env.step("undeclared")
    assert obs == "\u4e2d\u2019"  # kept as it is, not turned into "??"
    assert not CountTo().observation_space.contains("caf\u00e9")  # plain ASCII envs stay ASCII
    assert extra_characters(["ab\u00e9", "\r\u00e9", "x\ty"]) == "\r\u00e9"


def test_to_charset_is_only_a_lossy_fallback_for_foreign_text():
    assert to_charset("a\u2019b\u00e9") == "a'b?"
    assert to_charset("a\u2019b\u00e9", frozenset(charset_with("\u00e9"))) == "a'b\u00e9"
    assert CountTo().observation_space.contains(to_charset("x\u4e2d\ny"))
