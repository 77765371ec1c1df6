"""Trajectory export: episode files and live SPAEpisodes to chat messages + per-step rewards, and back."""

from __future__ import annotations

import json

import pytest

from spa_gym.cli import main as cli_main
from spa_gym.integrations import trajectories as tj
from spa_gym.integrations.episode import SPAEpisode
from spa_gym.progress import ProgressEstimator
from spa_gym.progress.episodes import RandomPolicy, collect_episodes, read_jsonl, write_jsonl
from spa_gym.wrappers import RecordEpisodes, SPAReward


@pytest.fixture(scope="module")
def estimator():
    return ProgressEstimator.default(device="cpu")


def recorded_episodes(make, estimator, path, env_id="SPA-ALFWorld-v0", n=3):
    """Expert episodes with an invalid command in each, recorded through SPAReward (what the agent got)."""
    env = RecordEpisodes(SPAReward(make(env_id, expert=True), estimator), path, true_progress=False,
                         info_keys=("state_hash", "admissible_commands", "won"), metadata={"source": "test"})
    agent_rewards = []
    for task_id in range(n):
        _, info = env.reset(seed=task_id, options={"split": "test", "task_id": task_id})
        rewards, k = [], 0
        while True:
            command = "fly to the moon" if k == 1 else info["expert_action"]
            _, reward, terminated, truncated, info = env.step(command)
            rewards.append(reward)
            k += 1
            if terminated or truncated:
                break
        agent_rewards.append(rewards)
    env.close()
    return agent_rewards


def assert_openai_messages(line):
    roles = [m["role"] for m in line["messages"]]
    assert all(set(m) == {"role", "content"} and isinstance(m["content"], str) for m in line["messages"])
    body = roles[1:] if roles[0] == "system" else roles
    assert body[0] == "user" and body == ["user"] + ["assistant", "user"] * len(line["steps"])


def test_recorded_episodes_export_and_round_trip(make, estimator, tmp_path):
    src = tmp_path / "episodes.jsonl"
    agent_rewards = recorded_episodes(make, estimator, src)
    out = tmp_path / "export" / "trajectories.jsonl"
    assert tj.export([src], out) == 3
    lines = tj.read(out)
    raw = [json.loads(x) for x in src.read_text().splitlines()]
    for line, record, rewards in zip(lines, raw, agent_rewards):
        assert_openai_messages(line)
        assert line["messages"][0] == {"role": "system", "content": tj.SYSTEM_PROMPT}
        assert line["format"] == tj.FORMAT and line["env_id"] == "SPA-ALFWorld-v0" and line["split"] == "test"
        assert [s["dense_reward"] for s in line["steps"]] == pytest.approx(rewards)  # what the agent got
        assert [s["env_reward"] for s in line["steps"]] == [s["reward"] for s in record["steps"]]
        assert line["env_return"] == 1.0 and line["won"] and line["ended"] == "terminated"
        assert line["dense_return"] == pytest.approx(sum(rewards))
        # each step: the observation the agent acted on, and the env's answer is the next step's observation
        assert line["steps"][0]["observation"] == record["observation"]
        assert [s["observation"] for s in line["steps"][1:]] == [s["observation"] for s in record["steps"][:-1]]
        assert line["final_observation"] == record["steps"][-1]["observation"]
        info = line["steps"][1]["info"]
        assert info["action_valid"] is False and len(info["state_hash"]) == 32 and "spa" in info
        assert isinstance(line["steps"][0]["info"]["admissible_commands"], list)
        assert line["meta"] == {"source": "test"} and line["task_type"]
    # back to the project's episodes, exactly as the recorder wrote them
    assert [tj.to_episode(x) for x in lines] == read_jsonl(src)
    # a trajectory file is itself a valid source: exporting it again changes nothing
    again = tmp_path / "again.jsonl"
    tj.export([out], again)
    assert tj.read(again) == lines


def test_collected_episode_files_round_trip(make, tmp_path):
    episodes = collect_episodes(make("SPA-WebShop-v0"), RandomPolicy(seed=1, invalid_prob=0.3), 4, seed=0,
                                progress=False)
    src = write_jsonl(tmp_path / "runs" / "collect.jsonl", episodes)
    out = tmp_path / "t.jsonl"
    assert tj.export([tmp_path / "runs"], out, system_prompt=None) == 4  # a folder: every *.jsonl under it
    lines = tj.read(out)
    assert all(x["messages"][0]["role"] == "user" for x in lines)
    assert [tj.to_episode(x) for x in lines] == read_jsonl(src)
    for line in lines:
        assert_openai_messages(line)
        assert all(s["dense_reward"] == s["env_reward"] for s in line["steps"])  # unshaped: the same


def test_live_spa_episode_exports_every_turn(estimator, tmp_path):
    ep = SPAEpisode("SPA-VirtualHome-v0", estimator, env_kwargs={"expert": True})
    ep.reset(task_id=1, split="test", seed=4)
    while not ep.done:
        ep.step(ep.info["expert_action"] or "look")
    line = tj.from_episode(ep, meta={"run": "t"})
    path = tj.write(tmp_path / "live.jsonl", [line])
    (back,) = tj.read(path)
    assert back == json.loads(json.dumps(line))
    assert_openai_messages(back)
    assert [s["dense_reward"] for s in back["steps"]] == pytest.approx(ep.dense_rewards)
    assert [s["env_reward"] for s in back["steps"]] == ep.env_rewards
    assert [s["action"] for s in back["steps"]] == ep.actions
    assert back["steps"][0]["observation"] == ep.first_observation and back["won"] and back["seed"] == 4
    assert back["final_observation"] == ep.observation and back["task_id"] == 1 and back["split"] == "test"
    info = back["steps"][-1]["info"]
    assert info["state_hash"] == ep.info["state_hash"] and info["spa"]["env_reward"] == 1.0
    assert back["meta"]["run"] == "t" and back["meta"]["reward_form"] == "potential"


def test_hugging_face_datasets_reads_the_export(make, estimator, tmp_path):
    """What others ingest: the file loads with `datasets`' JSON reader (what TRL's SFT and GRPO trainers take;
    steps' info dicts differ in keys from step to step, which its schema inference must take)."""
    datasets = pytest.importorskip("datasets")
    src = tmp_path / "episodes.jsonl"
    recorded_episodes(make, estimator, src, n=2)
    out = tmp_path / "t.jsonl"
    tj.export([src], out)
    ds = datasets.load_dataset("json", data_files=str(out), split="train", cache_dir=str(tmp_path / "hf"))
    assert len(ds) == 2 and ds[0]["messages"] == tj.read(out)[0]["messages"]
    assert [s["dense_reward"] for s in ds[1]["steps"]] == [s["dense_reward"] for s in tj.read(out)[1]["steps"]]


def test_bad_lines_are_refused(make, estimator, tmp_path):
    src = tmp_path / "episodes.jsonl"
    recorded_episodes(make, estimator, src, n=1)
    out = tmp_path / "t.jsonl"
    tj.export([src], out)
    (line,) = tj.read(out)
    line["messages"][3]["content"] = "something else"
    with pytest.raises(ValueError, match="do not match"):
        tj.check(line)
    line = tj.read(out)[0]
    line["messages"].pop()
    with pytest.raises(ValueError, match="messages for"):
        tj.check(line)
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"task": "x"}\n')
    with pytest.raises(ValueError, match="bad.jsonl"):
        tj.export([bad], tmp_path / "never.jsonl")
    assert not (tmp_path / "never.jsonl").exists()
    with pytest.raises(ValueError, match="never reset"):
        tj.from_episode(SPAEpisode("SPA-ALFWorld-v0", estimator))


def test_cli_export(make, estimator, tmp_path, capsys):
    src = tmp_path / "episodes.jsonl"
    recorded_episodes(make, estimator, src, n=1)
    out = tmp_path / "cli.jsonl"
    assert cli_main(["export", str(src), "--out", str(out), "--no-system"]) == 0
    assert "1 trajectories" in capsys.readouterr().out
    assert tj.read(out)[0]["messages"][0]["role"] == "user"
    assert cli_main(["export", str(tmp_path / "missing.jsonl"), "--out", str(out)]) == 2
