"""Episodes: the JSONL format (round trip, atomic writes, clear errors), policies and collection."""

from __future__ import annotations

import json

import pytest

from spa_gym.progress.episodes import (Episode, NoisyExpertPolicy, RandomPolicy, Step, append_jsonl,
                                       collect_episodes, read_jsonl, write_jsonl)
from spa_gym.progress.toy import CountingEnv


def _episode(k: int = 0) -> Episode:
    return Episode(task=f"reach {k}", observation="You stand at 0 on a number line.",
                   steps=[Step("go up", "You stand at 1.", True), Step("dance \u00e9", "Nothing happens.", False),
                          Step("go up", "You reached it.", True, 1.0)],
                   final_reward=1.0, won=True, env_id="toy", split="train", task_id=k)


def test_jsonl_round_trip_and_schema(tmp_path):
    path = write_jsonl(tmp_path / "eps.jsonl", [_episode(0), _episode(1)])
    assert read_jsonl(path) == [_episode(0), _episode(1)]
    line = json.loads(path.read_text().splitlines()[0])
    assert set(line) == {"env_id", "split", "task_id", "task", "observation", "steps", "final_reward", "won", "state"}
    assert set(line["steps"][0]) == {"action", "observation", "action_valid", "reward", "state"}
    # files written before states were recorded still load (state "")
    old = {k: v for k, v in line.items() if k != "state"}
    old["steps"] = [{k: v for k, v in s.items() if k != "state"} for s in line["steps"]]
    assert Episode.from_dict(old) == _episode(0)
    assert [p.name for p in tmp_path.iterdir()] == ["eps.jsonl"]  # no temp file left behind


def test_write_is_atomic_when_serialisation_fails(tmp_path):
    path = write_jsonl(tmp_path / "eps.jsonl", [_episode(0)])
    bad = _episode(1)
    bad.steps[0].reward = object()  # not JSON serialisable: fails halfway through the write
    with pytest.raises(TypeError):
        write_jsonl(path, [_episode(2), bad])
    assert read_jsonl(path) == [_episode(0)]
    assert [p.name for p in tmp_path.iterdir()] == ["eps.jsonl"]


def test_append_jsonl_adds_lines(tmp_path):
    for k in range(3):
        append_jsonl(tmp_path / "eps.jsonl", _episode(k))
    assert [ep.task_id for ep in read_jsonl(tmp_path / "eps.jsonl")] == [0, 1, 2]


@pytest.mark.parametrize("content, message", [
    ("", "no episodes"),
    ("\n\n", "no episodes"),
    ('{"task": "t"\n', ":1: malformed episode"),
    ('{"task": "t", "observation": "o", "steps": [], "final_reward": 1}\n[1, 2]\n', ":2: malformed episode"),
    ('{"task": "t", "observation": "o", "steps": [{"action": 3}], "final_reward": 1}\n', "step 0"),
    ('{"task": "t", "observation": "o", "steps": [], "final_reward": "high"}\n', "final_reward"),
    ('{"observation": "o", "steps": [], "final_reward": 0}\n', "'task'"),
])
def test_read_jsonl_errors_name_file_and_line(tmp_path, content, message):
    path = tmp_path / "bad.jsonl"
    path.write_text(content)
    with pytest.raises(ValueError, match=message) as err:
        read_jsonl(path)
    assert "bad.jsonl" in str(err.value)


def test_read_missing_file():
    with pytest.raises(FileNotFoundError, match="not found"):
        read_jsonl("/nonexistent/eps.jsonl")


def test_collect_is_deterministic_and_streams(tmp_path):
    env = CountingEnv(expert=True)
    a = collect_episodes(env, NoisyExpertPolicy(0.5), 6, seed=3, progress=False, out_path=tmp_path / "a.jsonl")
    b = collect_episodes(env, NoisyExpertPolicy(0.5), 6, seed=3, progress=False)
    assert a == b and read_jsonl(tmp_path / "a.jsonl") == a
    c = collect_episodes(env, NoisyExpertPolicy(0.5), 6, seed=4, progress=False)
    assert a != c
    for ep in a:
        assert ep.final_reward == sum(s.reward for s in ep.steps)
        assert ep.won == (ep.final_reward > 0) and ep.task.startswith("reach ")


def test_policies():
    env = CountingEnv(expert=True)
    experts = collect_episodes(env, NoisyExpertPolicy(0.0), 5, seed=0, progress=False)
    assert all(ep.won and all(s.action_valid for s in ep.steps) for ep in experts)
    randoms = collect_episodes(env, RandomPolicy(invalid_prob=0.5), 5, seed=0, progress=False)
    actions = {s.action for ep in randoms for s in ep.steps}
    assert "xyzzy" in actions and actions <= {"go up", "go down", "look", "xyzzy"}
    assert all(s.action_valid == (s.action != "xyzzy") for ep in randoms for s in ep.steps)
    split = collect_episodes(env, RandomPolicy(), 3, seed=0, split="test", task_ids=[5, 6, 7], progress=False)
    assert [(ep.split, ep.task_id) for ep in split] == [("test", 5), ("test", 6), ("test", 7)]


def test_bad_arguments():
    with pytest.raises(ValueError, match="expert=True"):
        collect_episodes(CountingEnv(), NoisyExpertPolicy(0.1), 1, progress=False)
    with pytest.raises(ValueError, match="epsilon"):
        NoisyExpertPolicy(1.5)
    with pytest.raises(ValueError, match="task_ids"):
        collect_episodes(CountingEnv(), RandomPolicy(), 3, task_ids=[1], progress=False)
