"""Hindsight progress targets: read off a task's episodes, summing to each episode's reward, state names exact."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
import torch

from spa_gym.progress.episodes import Episode, Step
from spa_gym.progress.hindsight import hindsight_targets, state_keys
from spa_gym.progress.recipes import mixed_outcome_episodes
from spa_gym.progress.training import objective_loss


def _walk(*positions: int, reward: float = 0.0, task_id: int = 0, task: str = "reach 3") -> Episode:
    steps = [Step("move", f"at {p}", True) for p in positions]
    return Episode(task, "at 0", steps, reward, reward > 0, env_id="toy", split="train", task_id=task_id)


def test_targets_measure_the_way_to_a_won_state():
    won = _walk(1, 2, 3, reward=1.0)
    detour = _walk(1, 5, 1, 2, reward=0.0)            # lost, but got two thirds of the way
    other_task = _walk(1, 2, reward=0.0, task_id=1)    # no episode of task 1 won: nothing to measure against
    t_won, t_detour, t_other = hindsight_targets([won, detour, other_task])
    np.testing.assert_allclose(t_won, [1 / 3, 2 / 3, 1.0], rtol=1e-6)
    np.testing.assert_allclose(t_detour, [1 / 3, 0.0, 1 / 3, 0.0], rtol=1e-6)  # last step: its own reward, 0
    np.testing.assert_array_equal(t_other, [0.0, 0.0])


def test_the_best_goal_counts_and_the_last_target_is_the_episode_reward():
    half = _walk(1, 9, reward=0.5)      # a partial purchase, say
    full = _walk(1, 2, 3, reward=1.0)
    t_half, t_full = hindsight_targets([half, full])
    # after "at 1": half way to the 0.5 goal (0.25) or a third of the way to the 1.0 goal (0.33): the best
    assert t_half[0] == pytest.approx(1 / 3) and t_half[-1] == pytest.approx(0.5)
    assert t_full[-1] == pytest.approx(1.0)


def test_state_hashes_name_states_and_invalid_steps_stay_put():
    # Without hashes an invalid step keeps the state it was in, whatever it printed.
    ep = Episode("t", "start", [Step("a", "room", True), Step("xyzzy", "Nothing happens.", False),
                                Step("b", "goal", True, 1.0)], 1.0, True)
    assert state_keys(ep) == ["obs:start", "obs:room", "obs:room", "obs:goal"]
    # With hashes, two different texts of one state are one state (and one text of two states, two).
    hashed = Episode("t", "start", [Step("a", "room", True, 0.0, "h1"), Step("look", "room, again", True, 0.0, "h1"),
                                    Step("b", "goal", True, 1.0, "h2")], 1.0, True, state="h0")
    assert state_keys(hashed) == ["h0", "h1", "h1", "h2"]
    np.testing.assert_allclose(hindsight_targets([hashed])[0], [0.5, 0.5, 1.0], rtol=1e-6)


@pytest.mark.parametrize("env_id, states_meet", [("SPA-ALFWorld-v0", True), ("SPA-WebShop-v0", True),
                                                 # VirtualHome's hash holds its RNG, which differs per seed
                                                 ("SPA-VirtualHome-v0", False)])
def test_real_episodes_record_states_and_get_sane_targets(env_id, states_meet):
    env = gym.make(env_id, expert=True, max_steps=100)
    eps = mixed_outcome_episodes(env, range(6), split="train", per_task=4, min_steps=3, max_steps=20, seed=0,
                                 progress=False)
    assert all(ep.state and all(s.state for s in ep.steps) for ep in eps)  # play_episode records info["state_hash"]
    targets = hindsight_targets(eps)
    assert any(ep.won for ep in eps) and any(not ep.won for ep in eps)
    for ep, y in zip(eps, targets):
        assert len(y) == len(ep) and y[-1] == pytest.approx(ep.final_reward)   # sums to the final reward
        assert (y >= 0).all() and (y <= max(e.final_reward for e in eps) + 1e-6).all()
    # some failed episode walked part of a winning path, and is credited for it before its last step
    assert any(not ep.won and y[:-1].max() > 0 for ep, y in zip(eps, targets)) == states_meet
    # the loss takes them; without them it refuses
    c = [torch.zeros(len(ep)) for ep in eps]
    rewards = torch.tensor([ep.final_reward for ep in eps])
    assert objective_loss("hindsight", c, rewards, 1.0, [torch.from_numpy(y) for y in targets]).item() > 0
    with pytest.raises(ValueError, match="needs one target"):
        objective_loss("hindsight", c, rewards)
