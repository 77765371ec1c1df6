"""The SPA wrappers on an env we did not write: a TextWorld game made by TextWorld's own generator."""

from __future__ import annotations

import numpy as np
import pytest

textworld = pytest.importorskip("textworld", reason="needs the textworld extra: pip install 'spa-gym[textworld]'")

from gymnasium.utils.env_checker import check_env  # noqa: E402

from spa_gym.progress.episodes import NoisyExpertPolicy, RandomPolicy, collect_episodes  # noqa: E402
from spa_gym.progress.estimator import ProgressEstimator  # noqa: E402
from spa_gym.wrappers import GroundingReward, SPAReward, TextWorldEnv, make_textworld_game  # noqa: E402

pytestmark = pytest.mark.textworld


@pytest.fixture(scope="module")
def gamefile(tmp_path_factory):
    return make_textworld_game(tmp_path_factory.mktemp("tw"), seed=7, nb_rooms=2, nb_objects=3, quest_length=2)


@pytest.fixture(scope="module")
def estimator(tmp_path_factory):
    return ProgressEstimator.default(size="tiny", seed=0, device="cpu", cache_dir=tmp_path_factory.mktemp("m"))


def test_adapter_keeps_the_gymnasium_contract(gamefile):
    env = TextWorldEnv(gamefile, max_steps=10, expert=True)
    check_env(env, skip_render_check=True)  # includes random strings with escape characters
    obs, info = env.reset()
    assert info["task"] and info["task"] in obs and info["admissible_commands"]
    assert info["expert_action"] in info["admissible_commands"]
    obs, reward, terminated, truncated, info = env.step("fly to the moon")
    assert not info["action_valid"] and reward == 0.0 and not terminated
    env.close()


def test_expert_wins_and_spa_rewards_match_offline_scoring(gamefile, estimator):
    env = SPAReward(TextWorldEnv(gamefile, max_steps=15, expert=True), estimator, alpha=1.0, beta=0.5, form="per_step")
    [ep] = collect_episodes(env, NoisyExpertPolicy(0.0), 1, seed=0, progress=False)
    assert ep.won and ep.final_reward >= 1 and all(s.action_valid for s in ep.steps)
    # Replay it to read the wrapper's rewards, and compare with full re-encoding of the same episode.
    obs, info = env.reset(seed=0)
    rewards = [env.step(s.action)[1] for s in ep.steps]
    np.testing.assert_allclose(rewards, estimator.score_steps(ep) + 0.5, atol=1e-5)
    env.close()


def test_grounding_reward_on_textworld(gamefile):
    env = GroundingReward(TextWorldEnv(gamefile, max_steps=6), beta=1.0, add_final_reward=False)
    [ep] = collect_episodes(env, RandomPolicy(seed=0, invalid_prob=0.5), 1, seed=0, progress=False)
    assert {s.action_valid for s in ep.steps} == {True, False}  # both kinds of steps were played
    env.close()
