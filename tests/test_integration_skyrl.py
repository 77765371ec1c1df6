"""The SkyRL adapter against the real skyrl-gym: registered ids, skyrl_gym.make, a full expert episode."""

from __future__ import annotations

import pytest

skyrl_gym = pytest.importorskip("skyrl_gym", reason="needs the skyrl extra: pip install 'spa-gym[skyrl]'")

from skyrl_gym.envs.base_text_env import BaseTextEnv  # noqa: E402

from spa_gym.integrations.episode import SPAEpisode  # noqa: E402
from spa_gym.integrations.skyrl import ENV_IDS, SPASkyRLEnv, parse_action, register, task_rows  # noqa: E402


@pytest.fixture(scope="module", autouse=True)
def registered():
    register()
    assert register() == []  # idempotent
    assert all(env_id in skyrl_gym.registry for env_id in ENV_IDS)


def test_full_expert_episode_through_skyrl_make():
    row = task_rows("SPA-ALFWorld-v0", split="train", n=3)[2]
    env = skyrl_gym.make(row["env_class"], env_config={"show_admissible": False}, extras=row)
    assert isinstance(env, BaseTextEnv) and isinstance(env, SPASkyRLEnv)
    expert = SPAEpisode(env_kwargs={"expert": True})
    expert.reset(task_id=2, split="train")

    messages, meta = env.init(row["prompt"])
    assert len(messages) == 1 and messages[0]["role"] == "user"
    assert messages[0]["content"].startswith(row["prompt"][0]["content"])
    assert messages[0]["content"].endswith(expert.observation)
    assert meta["admissible_commands"] == expert.admissible_commands and meta["info"]["task_id"] == 2

    rewards = []
    while not expert.done:
        command = expert.info["expert_action"]
        turn = expert.step(command)
        out = env.step(f"I will do this.\n<action>{command}</action>")
        assert out["postprocessed_action"] == command
        assert out["reward"] == pytest.approx(turn.dense_reward)
        assert out["metadata"]["env_reward"] == turn.env_reward
        assert out["done"] == turn.done
        if not out["done"]:
            assert out["observations"] == [{"role": "user", "content": turn.observation}]
            assert out["metadata"]["admissible_commands"] == expert.admissible_commands
        rewards.append(out["reward"])
    assert out["observations"] == [] and out["metadata"]["won"] and out["metadata"]["env_reward"] == 1.0
    metrics = env.get_metrics()
    assert metrics["won"] == 1.0 and metrics["env_return"] == 1.0 and metrics["steps"] == len(rewards)
    assert metrics["dense_return"] == pytest.approx(sum(rewards))
    assert SPASkyRLEnv.aggregate_metrics([metrics, metrics])["won"] == 1.0


def test_max_turns_invalid_command_and_parsing():
    env = skyrl_gym.make("SPA-WebShop-v0", env_config={"max_turns": 2}, extras={"extra_info": {"task_id": 1, "split": "test"}})
    messages, meta = env.init([{"role": "system", "content": "You shop."}])
    assert [m["role"] for m in messages] == ["system", "user"] and "Admissible commands:" in messages[1]["content"]
    first = env.step("dance")
    assert first["metadata"]["info"]["action_valid"] is False and not first["done"]
    second = env.step("<action>search[red shirt]</action>")
    assert second["metadata"]["info"]["action_valid"] and second["done"] and second["metadata"]["truncated"] and second["observations"] == []
    assert parse_action("  look  ") == "look"
    assert parse_action("<action>a</action> then <ACTION> b </ACTION>") == "b"


def test_same_row_same_start_state():
    row = task_rows("SPA-VirtualHome-v0", split="train", n=1)[0]
    a, b = (skyrl_gym.make(row["env_class"], env_config={}, extras=row) for _ in range(2))
    assert a.init(row["prompt"]) == b.init(row["prompt"])
    command = a.admissible_commands[0]
    assert a.step(command) == b.step(command)
