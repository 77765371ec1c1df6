"""RecordEpisodes: the JSONL lines it writes, true progress, info['spa'], rotation, concurrent writers."""

from __future__ import annotations

import json
import threading

import gymnasium as gym
import pytest

import spa_gym  # noqa: F401  (registers the ids)
from spa_gym.progress import ProgressEstimator
from spa_gym.progress.episodes import Episode, NoisyExpertPolicy, RandomPolicy, collect_episodes, read_jsonl
from spa_gym.progress.toy import CountingEnv
from spa_gym.progress.true_progress import expert_distance, true_progress
from spa_gym.wrappers import RecordEpisodes, SPAReward


def _lines(path):
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_lines_are_episodes_with_true_progress(tmp_path):
    path = tmp_path / "eps.jsonl"
    env = RecordEpisodes(gym.make("SPA-ALFWorld-v0", expert=True), path, metadata={"source": "test"})
    eps = collect_episodes(env, NoisyExpertPolicy(0.3, seed=1), 3, seed=5, progress=False)
    env.close()
    lines = _lines(path)
    assert len(lines) == 3 and env.episodes_written == 3
    assert [Episode.from_dict(line) for line in lines] == eps == read_jsonl(path)
    for line in lines:
        assert line["env_id"] == "SPA-ALFWorld-v0" and line["split"] == "train" and line["task_type"]
        assert line["ended"] in ("terminated", "truncated") and line["meta"] == {"source": "test"}
        d = [line["expert_distance"]] + [s["expert_distance"] for s in line["steps"]]
        assert [s["true_progress"] for s in line["steps"]] == pytest.approx(list(true_progress(d)[1:]))
        assert line["won"] == (d[-1] == 0)


def test_true_progress_replays_independently(tmp_path):
    # The recorded distances are those of the states the episode passed through, and recording them
    # does not change the episode (the env is put back after every measurement).
    path = tmp_path / "eps.jsonl"
    plain = collect_episodes(gym.make("SPA-VirtualHome-v0", expert=True), NoisyExpertPolicy(0.4), 2, seed=3,
                             progress=False)
    env = RecordEpisodes(gym.make("SPA-VirtualHome-v0", expert=True), path)
    recorded = collect_episodes(env, NoisyExpertPolicy(0.4), 2, seed=3, progress=False)
    assert recorded == plain
    replay = gym.make("SPA-VirtualHome-v0")
    for line in _lines(path):
        replay.reset(seed=line["seed"], options={"split": line["split"], "task_id": line["task_id"]})
        assert expert_distance(replay) == line["expert_distance"]
        for step in line["steps"]:
            replay.step(step["action"])
            assert expert_distance(replay) == step["expert_distance"]


def test_spa_info_dense_reward_and_env_reward(tmp_path):
    path = tmp_path / "eps.jsonl"
    env = RecordEpisodes(SPAReward(CountingEnv(expert=True), ProgressEstimator.default(seed=0)), path)
    collect_episodes(env, NoisyExpertPolicy(0.2), 2, progress=False)
    for line in _lines(path):
        steps = line["steps"]
        assert all(set(s["spa"]) == {"contribution", "progress", "grounding", "env_reward"} for s in steps)
        assert [s["reward"] for s in steps] == [s["spa"]["env_reward"] for s in steps]
        assert line["final_reward"] == pytest.approx(sum(s["reward"] for s in steps)) == 1.0
        assert any("dense_reward" in s for s in steps)
        assert "true_progress" in steps[-1]


def test_unfinished_episode_written_on_reset_and_close(tmp_path):
    path = tmp_path / "eps.jsonl"
    env = RecordEpisodes(CountingEnv(), path)
    env.reset(seed=0)
    env.reset(seed=1)  # nothing played: no line
    env.step("go up")
    env.reset(seed=2)
    env.step("dance")
    env.close()
    lines = _lines(path)
    assert [(line["ended"], line["seed"], len(line["steps"])) for line in lines] == [("abandoned", 1, 1),
                                                                                      ("closed", 2, 1)]
    assert lines[1]["steps"][0]["action_valid"] is False


def test_truncated_episode(tmp_path):
    path = tmp_path / "eps.jsonl"
    env = RecordEpisodes(CountingEnv(max_steps=3), path)
    collect_episodes(env, lambda obs, info: "look", 1, progress=False)
    (line,) = _lines(path)
    assert line["ended"] == "truncated" and not line["won"] and len(line["steps"]) == 3


def test_no_expert_no_true_progress(tmp_path):
    class Plain(gym.Env):
        observation_space = action_space = gym.spaces.Text(20)

        def reset(self, *, seed=None, options=None):
            return "start", {}

        def step(self, action):
            return "end", 1.0, True, False, {}

    env = RecordEpisodes(Plain(), tmp_path / "eps.jsonl")
    env.reset()
    env.step("x")
    (line,) = _lines(tmp_path / "eps.jsonl")
    assert "expert_distance" not in line and line["won"] and line["final_reward"] == 1.0
    with pytest.raises(ValueError, match="expert"):
        RecordEpisodes(Plain(), tmp_path / "x.jsonl", true_progress=True)


def test_rotation_keeps_every_episode(tmp_path):
    path = tmp_path / "eps.jsonl"
    env = RecordEpisodes(CountingEnv(), path, max_bytes=2000)
    collect_episodes(env, RandomPolicy(), 12, progress=False)
    files = sorted(tmp_path.glob("eps*.jsonl"))
    assert len(files) > 2 and path in files
    assert all(f.stat().st_size <= 2000 or len(f.read_text().splitlines()) == 1 for f in files)
    assert sum(len(read_jsonl(f)) for f in files) == 12


def test_concurrent_writers_keep_lines_whole(tmp_path):
    path = tmp_path / "eps.jsonl"

    def work(k):
        env = RecordEpisodes(CountingEnv(), path)
        collect_episodes(env, RandomPolicy(), 10, seed=100 * k, progress=False)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(read_jsonl(path)) == 40


def test_collect_command_records_true_progress(tmp_path):
    from spa_gym.cli import main

    out = tmp_path / "expert.jsonl"
    out.write_text("stale\n")  # a collection replaces the file
    assert main(["collect", "--env", "SPA-ALFWorld-v0", "--model", "expert", "--tasks", "2", "--out", str(out)]) == 0
    lines = _lines(out)
    assert len(lines) == 2 and all(line["won"] and line["meta"]["source"] == "collect" for line in lines)
    assert all(line["steps"][-1]["true_progress"] == 1.0 for line in lines) and len(read_jsonl(out)) == 2
