"""The potential form of the SPA reward cannot be farmed: a cycling policy earns less than the expert.

The estimator here is adversarial on purpose: it credits the very step the cycle repeats (``take``, ``switch
on``, clicking the product), as the estimator measured in issue 10 did. Under the paper's per-step form the
cycle then out-earns solving the task; under the potential form (the default) it cannot, whatever the
estimator says, because the shaped progress reward telescopes to a bounded potential.
"""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest

import spa_gym  # noqa: F401  (registers the env ids)
from spa_gym.wrappers import SPAReward, SPARewardVector, potential_rewards, redistribute
from spa_gym.progress.episodes import Episode, Step
from spa_gym.progress.toy import CountingEnv

LIKED = ("take ", "switch on ", "click[b")  # the steps the cycle repeats, one prefix per env
TASKS = {"SPA-ALFWorld-v0": 0, "SPA-VirtualHome-v0": 0, "SPA-WebShop-v0": 0}
STEPS = 30


class LikedStepEstimator:
    """Credits +0.4 to every step whose action starts with one of :data:`LIKED`, 0 to the others."""

    def eval(self) -> LikedStepEstimator:
        return self

    def incremental_scorer(self, max_context: int | None = None) -> LikedStepEstimator:
        return self

    def start(self, key, task, observation) -> None:
        self.live = True

    def end(self, key) -> None:
        self.live = False

    def reset(self) -> None:
        self.live = False

    def __contains__(self, key) -> bool:
        return getattr(self, "live", False)

    def add_steps(self, items) -> np.ndarray:
        return np.array([0.4 if item[1].lower().startswith(LIKED) else 0.0 for item in items])


def _inverse(action: str, admissible: list[str]) -> str | None:
    """The command that undoes ``action`` here, if the env offers one."""
    if action.startswith("take "):  # ALFWorld: take X from Y  <->  put X in/on Y (or move X to Y)
        obj, place = action[len("take "):].split(" from ")
        return next((c for c in admissible if c.startswith(("put " + obj, "move " + obj)) and c.endswith(place)), None)
    if action.startswith("switch on "):
        off = "switch off " + action[len("switch on "):]
        return off if off in admissible else None
    if action.lower().startswith("click[b"):  # WebShop: a product page  <->  back to the results
        return next((c for c in admissible if c.lower() == "click[< prev]"), None)
    return None


def play(env: gym.Env, task_id: int, cycle: bool) -> tuple[float, bool]:
    """Shaped return of the expert (``cycle=False``) or of the expert that starts cycling at its first
    undoable step, undoing and redoing it until the step limit."""
    obs, info = env.reset(seed=0, options={"split": "test", "task_id": task_id})
    total, cycling, last = 0.0, None, None
    for _ in range(STEPS):
        if cycling is None:
            action = info["expert_action"]
        else:
            action = cycling[0] if last == cycling[1] else cycling[1]
        obs, reward, terminated, truncated, info = env.step(action)
        total += reward
        if terminated or truncated:
            break
        if cycle and cycling is None:
            undo = _inverse(action, info["admissible_commands"])
            if undo is not None:
                cycling = (undo, action)
        last = action
    assert not cycle or cycling is not None, "the cycle never started: pick another task"
    return total, bool(info["won"])


@pytest.fixture(scope="module")
def make(tmp_path_factory):
    cache = tmp_path_factory.mktemp("webshop-cache")

    def make(env_id: str, form: str) -> gym.Env:
        kwargs = {"num_products": 300, "cache_dir": cache} if env_id == "SPA-WebShop-v0" else {}
        env = gym.make(env_id, expert=True, max_steps=STEPS, **kwargs)
        return SPAReward(env, LikedStepEstimator(), alpha=1.0, beta=0.5, form=form)

    return make


@pytest.mark.parametrize("env_id", list(TASKS))
def test_cycling_earns_less_than_the_expert_under_the_default_form(make, env_id):
    env = make(env_id, form="potential")
    assert SPAReward.__init__.__defaults__[2] == "potential"  # the default form is the one tested here
    expert, expert_won = play(env, TASKS[env_id], cycle=False)
    cycler, cycler_won = play(env, TASKS[env_id], cycle=True)
    assert expert_won and not cycler_won
    assert cycler < expert
    assert cycler <= 1.0  # alpha * the progress range: the bound, whatever the estimator credits


@pytest.mark.parametrize("env_id", list(TASKS))
def test_the_per_step_form_is_farmed_by_the_same_cycle(make, env_id):
    env = make(env_id, form="per_step")
    expert, _ = play(env, TASKS[env_id], cycle=False)
    cycler, _ = play(env, TASKS[env_id], cycle=True)
    assert cycler > expert  # why the per-step form is not the default online


def test_potential_return_is_bounded_for_any_contributions():
    rng = np.random.default_rng(0)
    for _ in range(200):
        n = int(rng.integers(1, 40))
        c = rng.normal(0, 1, n)
        g = rng.integers(0, 2, n).astype(float)
        lost = potential_rewards(c, g, 0.0, alpha=1.0, beta=0.5)
        won = potential_rewards(c, np.ones(n), 1.0, alpha=1.0, beta=0.5)
        phi = np.clip(np.cumsum(c), 0.0, 1.0)
        assert lost.sum() == pytest.approx(phi[-1] - 0.5 * (1 - g).sum())  # telescopes, minus the penalties
        assert lost.sum() <= 1.0 + 1e-12 and won.sum() >= 1.0 - 1e-12


def test_wrapper_and_redistribution_agree_on_the_potential_form():
    from spa_gym.progress import ProgressEstimator

    est = ProgressEstimator.default(seed=3)
    env = SPAReward(CountingEnv(max_steps=10, expert=True), est, alpha=1.0, beta=0.5)
    obs, info = env.reset(seed=0, options={"task_id": 2})
    ep, online = Episode(info["task"], obs), []
    for action in ["go up", "fly", "go down", "go up", "go up", "look"]:
        obs, reward, terminated, truncated, info = env.step(action)
        ep.steps.append(Step(action, obs, info["action_valid"], info["spa"]["env_reward"]))
        online.append(reward)
        if terminated or truncated:
            break
    ep.final_reward = sum(s.reward for s in ep.steps)
    np.testing.assert_allclose(online, redistribute(ep, "spa_potential", est, alpha=1.0, beta=0.5), atol=1e-5)


def test_vector_form_matches_the_single_env_potential_rewards():
    from spa_gym.progress import ProgressEstimator

    est = ProgressEstimator.default(seed=1)
    envs = gym.vector.SyncVectorEnv([lambda: CountingEnv(max_steps=4) for _ in range(2)])
    venv = SPARewardVector(envs, est, alpha=1.0, beta=0.5)
    single = [SPAReward(CountingEnv(max_steps=4), est, alpha=1.0, beta=0.5) for _ in range(2)]
    venv.reset(seed=[0, 1])
    for i, env in enumerate(single):
        env.reset(seed=i)
    for actions in [("go up", "fly"), ("go down", "go up"), ("look", "go up")]:
        _, rewards, *_ = venv.step(actions)
        expected = [env.step(a)[1] for env, a in zip(single, actions)]
        np.testing.assert_allclose(rewards, expected, atol=1e-5)


def test_form_errors():
    from spa_gym.progress import ProgressEstimator

    est = ProgressEstimator.default()
    with pytest.raises(ValueError, match="unknown form"):
        SPAReward(CountingEnv(), est, form="dense")
    with pytest.raises(ValueError, match="gamma"):
        SPAReward(CountingEnv(), est, gamma=0.0)
    with pytest.raises(ValueError, match="progress_range"):
        SPAReward(CountingEnv(), est, progress_range=(1.0, 0.0))
    assert SPAReward(CountingEnv(), est).add_final_reward and not SPAReward(CountingEnv(), est, form="per_step").add_final_reward
