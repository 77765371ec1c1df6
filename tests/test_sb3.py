"""stable-baselines3 adapters: SB3's own check_env, slots and masks, the no-op, encoders, and real learn() runs."""

from __future__ import annotations

import os
import subprocess
import sys
import warnings

import gymnasium as gym
import numpy as np
import pytest
import torch

from spa_gym.core import TaskSet, TextEnv, stable_seed
from spa_gym.progress.toy import CountingEnv
from spa_gym.wrappers.admissible_actions import INVALID_COMMAND, AdmissibleActionSpace, slot_of
from spa_gym.wrappers.sb3 import CandidateScoringExtractor, make_sb3_env
from spa_gym.wrappers.text_features import HashedNgramEncoder, SentenceEmbeddingEncoder, TextFeatureObservation

sb3 = pytest.importorskip("stable_baselines3", reason="needs the sb3 extra: pip install 'spa-gym[sb3]'")
sb3_contrib = pytest.importorskip("sb3_contrib", reason="needs the sb3 extra: pip install 'spa-gym[sb3]'")
from stable_baselines3.common.env_checker import check_env as sb3_check_env  # noqa: E402

COLORS = ("red", "blue", "green", "white", "black", "yellow")


class DoorsEnv(TextEnv):
    """Open the door the task names (2 to 5 doors). The env lists its commands in a new order every step."""

    _tasks = TaskSet("doors", "v1", {"train": 50, "valid": 10, "test": 20})

    def __init__(self, **kwargs):
        kwargs.setdefault("max_steps", 4)
        super().__init__(**kwargs)

    @property
    def task_set(self):
        return self._tasks

    def _start_episode(self, split, task_id):
        seed = stable_seed("doors", split, task_id)
        n = 2 + seed % 4
        doors = [COLORS[(seed // 7 + i) % len(COLORS)] for i in range(n)]
        self._world = {"doors": doors, "goal": doors[(seed // 101) % n], "open": None, "t": 0}
        return f"You are in a hall with {n} doors."

    def _execute(self, action):
        action = action.strip()
        if action == "look":
            self._world["t"] += 1
            return f"You see {len(self._world['doors'])} doors.", 0.0, False, True
        for color in self._world["doors"]:
            if action == f"open the {color} door":
                self._world["t"] += 1
                if color == self._world["goal"]:
                    self._world["open"] = color
                    return "The door opens. You are free!", 1.0, True, True
                return f"The {color} door is locked.", 0.0, False, True
        return self.invalid_action_message, 0.0, False, False

    def _admissible_commands(self):
        commands = [f"open the {c} door" for c in self._world["doors"]] + ["look"]
        shift = (self._world["t"] * 3) % len(commands)
        return commands[shift:] + commands[:shift]

    def _won(self):
        return self._world["open"] == self._world["goal"]

    def _task_description(self):
        return f"open the {self._world['goal']} door", "doors"

    def _expert_action(self):
        return f"open the {self._world['goal']} door"


def _task_with_doors(n: int, split: str = "train") -> int:
    return next(t for t in range(DoorsEnv._tasks.size(split)) if 2 + stable_seed("doors", split, t) % 4 == n)


def _sb3_check(env: gym.Env) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # anything SB3 complains about fails the test, except:
        # the (K, D) candidate matrix, which is deliberate: CandidateScoringExtractor reads it row by row.
        warnings.filterwarnings("ignore", message=".*unconventional shape.*")
        sb3_check_env(env)


# ---------------------------------------------------------------------------------------------- check_env
@pytest.mark.parametrize("make_text_env", [CountingEnv, DoorsEnv], ids=["counting", "doors"])
def test_sb3_check_env_passes_on_adapted_toy_envs(make_text_env):
    _sb3_check(make_sb3_env(make_text_env(), max_actions=8, encoder=HashedNgramEncoder(dim=32)))


# ---------------------------------------------------------------------------------------------- slots
def test_slots_are_sorted_whatever_order_the_env_lists():
    env = AdmissibleActionSpace(DoorsEnv(), max_actions=8)
    _, info = env.reset(options={"task_id": _task_with_doors(3)})
    listed_before = info["admissible_commands"]
    assert info["action_slots"] == sorted(listed_before)
    assert env.action_masks().tolist() == [True] * 4 + [False] * 4
    assert (info["action_mask"] == env.action_masks()).all()
    look = slot_of("look", info["action_slots"])
    _, _, _, _, info = env.step(look)
    assert info["command"] == "look" and info["action_valid"]
    assert info["admissible_commands"] != listed_before  # the env reordered its list...
    assert info["action_slots"] == sorted(listed_before)  # ...the slots did not move


def test_taking_the_expert_slot_solves_the_task():
    env = AdmissibleActionSpace(DoorsEnv(expert=True), max_actions=6)
    _, info = env.reset(options={"split": "test", "task_id": 3})
    _, reward, terminated, _, info = env.step(np.int64(slot_of(info["expert_action"], info["action_slots"])))
    assert reward == 1.0 and terminated and info["won"]


@pytest.mark.parametrize("action", [5, 7, 1000, -1, np.int64(6), np.array([7])])
def test_empty_or_out_of_range_slot_is_a_noop_with_the_envs_answer(action):
    env = AdmissibleActionSpace(DoorsEnv(), max_actions=8)
    env.reset(options={"task_id": _task_with_doors(2)})  # 3 commands: slots 0..2 used
    before = env.unwrapped.get_state()["world"]
    obs, reward, terminated, truncated, info = env.step(action)
    assert obs == "Nothing happens." and reward == 0.0 and not terminated and not truncated
    assert info["command"] == INVALID_COMMAND and not info["action_valid"]
    assert env.unwrapped.get_state()["world"] == before and info["step"] == 1  # nothing changed but a step


def test_noop_steps_still_reach_truncation():
    env = AdmissibleActionSpace(DoorsEnv(max_steps=3), max_actions=8)
    env.reset(options={"task_id": 0})
    results = [env.step(7) for _ in range(3)]
    assert [r[3] for r in results] == [False, False, True]


@pytest.mark.parametrize("action", ["open", 1.0, np.array([1, 2]), None])
def test_non_integer_actions_are_a_clear_error(action):
    env = AdmissibleActionSpace(DoorsEnv(), max_actions=8)
    env.reset(seed=0)
    with pytest.raises(TypeError, match="one integer action"):
        env.step(action)


def test_more_commands_than_slots_truncates_in_slot_order_or_raises():
    env = AdmissibleActionSpace(DoorsEnv(), max_actions=2)
    with pytest.warns(UserWarning, match="admissible commands > max_actions"):
        _, info = env.reset(options={"task_id": _task_with_doors(5)})
    assert info["action_slots"] == sorted(info["admissible_commands"])[:2]
    assert info["commands_dropped"] == 4 and env.action_masks().all()
    strict = AdmissibleActionSpace(DoorsEnv(), max_actions=2, overflow="error")
    with pytest.raises(RuntimeError, match="raise max_actions"):
        strict.reset(options={"task_id": _task_with_doors(5)})


def test_bad_arguments_fail_clearly():
    for bad in (0, -3, 2.5, True):
        with pytest.raises(ValueError, match="max_actions"):
            AdmissibleActionSpace(DoorsEnv(), max_actions=bad)
    with pytest.raises(ValueError, match="overflow"):
        AdmissibleActionSpace(DoorsEnv(), max_actions=4, overflow="drop")
    with pytest.raises(TypeError, match="AdmissibleActionSpace"):
        TextFeatureObservation(DoorsEnv())
    with pytest.raises(TypeError, match="only for an env id"):
        make_sb3_env(DoorsEnv(), max_actions=4, max_steps=3)


# ---------------------------------------------------------------------------------------------- features
def test_hashed_features_are_the_same_in_every_process():
    # Load the one module file (numpy only) rather than the package, whose other wrappers pull in torch.
    import spa_gym.wrappers.text_features as module

    code = ("import importlib.util as u; spec = u.spec_from_file_location('tf', %r); m = u.module_from_spec(spec); "
            "spec.loader.exec_module(m); "
            "print(m.HashedNgramEncoder(dim=64).encode(['take mug 1 from desk 2'])[0].tobytes().hex())"
            % module.__file__)
    runs = {subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                           env={**os.environ, "PYTHONHASHSEED": seed}).stdout.strip() for seed in ("1", "2")}
    assert runs == {HashedNgramEncoder(dim=64).encode(["take mug 1 from desk 2"])[0].tobytes().hex()}


def test_feature_rows_follow_the_slots_and_history_remembers():
    encoder = HashedNgramEncoder(dim=64)
    env = make_sb3_env(DoorsEnv(), max_actions=6, encoder=encoder)
    obs, info = env.reset(options={"task_id": _task_with_doors(3)})
    assert env.observation_space.contains(obs)
    n = len(info["action_slots"])
    assert np.allclose(obs["candidates"][:n], encoder.encode(info["action_slots"]))
    assert not obs["candidates"][n:].any() and obs["action_mask"].tolist() == [1.0] * n + [0.0] * (6 - n)
    assert np.allclose(obs["task"], encoder.encode([info["task"]])[0])
    assert not obs["last_command"].any() and not obs["history"].any()
    obs, _, _, _, info = env.step(slot_of("look", info["action_slots"]))
    assert env.observation_space.contains(obs)
    assert np.allclose(obs["last_command"], encoder.encode(["look"])[0])
    assert np.allclose(obs["observation"], encoder.encode([info["text_observation"]])[0])
    assert obs["history"].any()


def test_extractor_scores_a_command_the_same_in_any_slot():
    env = make_sb3_env(DoorsEnv(), max_actions=6, encoder=HashedNgramEncoder(dim=32))
    obs, _ = env.reset(options={"task_id": _task_with_doors(3)})
    extractor = CandidateScoringExtractor(env.observation_space, hidden_dim=16)
    batch = {k: torch.as_tensor(v)[None] for k, v in obs.items()}
    swapped = {**batch, "candidates": batch["candidates"][:, [2, 0, 1, 3, 4, 5]]}
    scores, swapped_scores = extractor(batch)[0, :6], extractor(swapped)[0, :6]
    assert torch.allclose(swapped_scores[[1, 2, 0]], scores[[0, 1, 2]])


def _write_tiny_encoder_model(folder) -> None:
    """A randomly initialised 2-layer BERT with a word-level tokenizer: a stand-in for a user's local model."""
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import BertConfig, BertModel, PreTrainedTokenizerFast

    words = "[PAD] [UNK] open the red blue green door look you are in a hall with doors".split()
    tokenizer = Tokenizer(models.WordLevel({w: i for i, w in enumerate(words)}, unk_token="[UNK]"))
    tokenizer.pre_tokenizer = pre_tokenizers.Whitespace()
    PreTrainedTokenizerFast(tokenizer_object=tokenizer, pad_token="[PAD]", unk_token="[UNK]").save_pretrained(folder)
    torch.manual_seed(0)
    config = BertConfig(vocab_size=len(words), hidden_size=16, num_hidden_layers=2, num_attention_heads=2,
                        intermediate_size=32, max_position_embeddings=64)
    BertModel(config).save_pretrained(folder)


def test_sentence_embedding_encoder_reads_a_local_model(tmp_path):
    _write_tiny_encoder_model(tmp_path)
    encoder = SentenceEmbeddingEncoder(str(tmp_path))
    vectors = encoder.encode(["open the red door", "look", "open the red door"])
    assert vectors.shape == (3, 16) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5) and np.allclose(vectors[0], vectors[2])
    _sb3_check(make_sb3_env(DoorsEnv(), max_actions=6, encoder=encoder))
    with pytest.raises(FileNotFoundError, match="never downloads"):
        SentenceEmbeddingEncoder(str(tmp_path / "missing"))


# ---------------------------------------------------------------------------------------------- learning
def test_ppo_learn_save_load_plumbing(tmp_path):
    from stable_baselines3 import PPO

    from spa_gym.wrappers.sb3 import CandidateScoringPolicy

    env = make_sb3_env(DoorsEnv(), max_actions=6, encoder=HashedNgramEncoder(dim=32))
    model = PPO(CandidateScoringPolicy, env, n_steps=32, batch_size=16, n_epochs=1, seed=0,
                policy_kwargs={"features_extractor_kwargs": {"hidden_dim": 16}})
    model.learn(64)
    obs, info = env.reset(options={"task_id": _task_with_doors(2)})
    action, _ = model.predict(obs, deterministic=True)
    assert int(action) < len(info["action_slots"])  # empty slots are masked even for plain PPO
    model.save(tmp_path / "ppo")
    loaded = PPO.load(tmp_path / "ppo")
    assert type(loaded.policy).__name__ == "CandidateScoringPolicy"
    assert int(loaded.predict(obs, deterministic=True)[0]) == int(action)
    with pytest.raises(ValueError, match="pi=\\[\\]"):
        PPO(CandidateScoringPolicy, env, policy_kwargs={"net_arch": {"pi": [64], "vf": [64]}})


def test_maskable_ppo_learns_to_open_the_named_door():
    """A real learning check: 3k steps take the first-try success on held-out tasks far above chance."""
    from sb3_contrib import MaskablePPO

    from spa_gym.wrappers.sb3 import MaskableCandidateScoringPolicy

    def first_try_successes(policy) -> int:
        env = make_sb3_env(DoorsEnv(split="test"), max_actions=6, encoder=HashedNgramEncoder(dim=64))
        wins = 0
        for task_id in range(20):
            obs, _ = env.reset(options={"task_id": task_id})
            _, _, _, _, info = env.step(policy(obs, env.get_wrapper_attr("action_masks")()))
            wins += info["won"]
        return wins

    env = make_sb3_env(DoorsEnv(), max_actions=6, encoder=HashedNgramEncoder(dim=64))
    model = MaskablePPO(MaskableCandidateScoringPolicy, env, n_steps=128, batch_size=64, n_epochs=4,
                        learning_rate=3e-3, seed=0, policy_kwargs={"features_extractor_kwargs": {"hidden_dim": 32}})
    untrained = first_try_successes(lambda obs, mask: model.predict(obs, deterministic=True, action_masks=mask)[0])
    model.learn(3072)
    trained = first_try_successes(lambda obs, mask: model.predict(obs, deterministic=True, action_masks=mask)[0])
    # Chance is about 4.6 of 20 (one of 3 to 6 commands); measured 17 with this seed.
    assert trained >= 12 and trained > untrained


# ---------------------------------------------------------------------------------------------- the real envs
def _make_registered(env_id: str, tmp_path) -> gym.Env:
    import spa_gym  # noqa: F401  (registers the ids)

    kwargs = {"num_products": 300, "cache_dir": str(tmp_path)} if env_id == "SPA-WebShop-v0" else {}
    try:
        return gym.make(env_id, **kwargs)
    except (ImportError, AttributeError) as error:  # a family another part has not landed yet
        pytest.skip(f"{env_id} is not available yet: {error}")


@pytest.mark.parametrize("env_id", ["SPA-ALFWorld-v0", "SPA-WebShop-v0", "SPA-VirtualHome-v0"])
def test_sb3_check_env_passes_on_every_registered_env(env_id, tmp_path):
    env = make_sb3_env(_make_registered(env_id, tmp_path), max_actions=128)  # most commands seen: 92 (VirtualHome)
    _sb3_check(env)
    obs, info = env.reset(seed=0)
    assert info["commands_dropped"] == 0 and obs["action_mask"].any()  # something to do on the first page


def test_webshop_start_page_offers_search_with_the_instruction(tmp_path):
    env = make_sb3_env(_make_registered("SPA-WebShop-v0", tmp_path), max_actions=32)
    _, info = env.reset(seed=0)
    assert info["action_slots"] == [f"search[{info['task']}]"]
    _, _, _, _, info = env.step(0)
    assert info["action_valid"] and info["page"] != "start"
    assert any(slot.startswith("click[") for slot in info["action_slots"])


# ---------------------------------------------------------------------------------------------- SPA rewards
def test_spa_reward_composes_with_the_sb3_adapters():
    """SPAReward on the text env, then the adapters: SB3 gets SPA's dense reward for the commands it chose."""
    from sb3_contrib import MaskablePPO

    from spa_gym.progress import Episode, ProgressEstimator, Step
    from spa_gym.wrappers import SPAReward
    from spa_gym.wrappers.sb3 import MaskableCandidateScoringPolicy

    estimator = ProgressEstimator.default(size="tiny", seed=0, device="cpu")
    env = make_sb3_env(SPAReward(DoorsEnv(), estimator, alpha=1.0, beta=0.5, form="per_step"), max_actions=6,
                       encoder=HashedNgramEncoder(dim=32))
    _sb3_check(env)
    _, info = env.reset(options={"task_id": _task_with_doors(2)})
    episode = Episode(task=info["task"], observation=info["text_observation"])
    rewards = []
    for slot in (5, slot_of("look", info["action_slots"]), 0):  # an empty slot (the no-op), then two commands
        _, reward, _, _, info = env.step(slot)
        episode.steps.append(Step(info["command"], info["text_observation"], info["action_valid"]))
        rewards.append(reward)
        assert reward == pytest.approx(info["spa"]["contribution"] + 0.5 * info["spa"]["grounding"])
    assert [s.action_valid for s in episode.steps] == [False, True, True]
    # The estimator scored the command strings the slots stood for, as an offline re-scoring confirms.
    expected = estimator.score_steps(episode) + 0.5 * np.array([0.0, 1.0, 1.0])
    assert np.allclose(rewards, expected, atol=1e-4)
    MaskablePPO(MaskableCandidateScoringPolicy, env, n_steps=32, batch_size=16, n_epochs=1, seed=0,
                policy_kwargs={"features_extractor_kwargs": {"hidden_dim": 16}}).learn(64)


# ---------------------------------------------------------------------------------------------- uniform split
def test_uniform_split_spreads_each_finished_episode_and_carries_running_ones():
    from spa_gym.wrappers.sb3 import uniform_split

    lengths, returns = np.zeros(2, int), np.zeros(2)
    # env 0: a 3-step win, then an episode still running; env 1: one episode running through the rollout
    raw = np.array([[0.0, 0.0], [0.0, 0.0], [1.0, 0.0], [0.0, 0.0]])
    starts = np.array([[1.0, 1.0], [0.0, 0.0], [0.0, 0.0], [1.0, 0.0]])
    rewards, finished = uniform_split(raw, starts, np.array([False, False]), lengths, returns)
    np.testing.assert_allclose(rewards[:, 0], [1 / 3, 1 / 3, 1 / 3, 0.0])
    assert finished[:, 0].tolist() == [True, True, True, False] and not finished[:, 1].any()
    assert lengths.tolist() == [1, 4]
    # next rollout: env 1's episode wins after 2 more steps, so T = 6 counts the 4 steps of the last rollout
    raw = np.array([[0.0, 0.0], [0.0, 1.0]])
    rewards, finished = uniform_split(raw, np.zeros((2, 2)), np.array([True, True]), lengths, returns)
    np.testing.assert_allclose(rewards[:, 1], [1 / 6, 1 / 6])
    np.testing.assert_allclose(rewards[:, 0], [0.0, 0.0])  # env 0: a 3-step loss
    assert finished.all() and lengths.tolist() == [0, 0] and returns.tolist() == [0.0, 0.0]


def test_uniform_reward_callback_trains_on_the_rewritten_rewards():
    """Inside MaskablePPO: finished episodes' rewards become R / T (truncation bootstrap kept) and the
    advantages are the GAE of those rewards, not of the env's."""
    from sb3_contrib import MaskablePPO
    from stable_baselines3.common.callbacks import BaseCallback
    from stable_baselines3.common.monitor import Monitor
    from stable_baselines3.common.vec_env import DummyVecEnv

    from spa_gym.wrappers.sb3 import MaskableCandidateScoringPolicy, UniformRewardCallback

    class Inspect(BaseCallback):
        def __init__(self):
            super().__init__()
            self.checked = 0

        def _on_rollout_start(self):
            self.raw, self.truncated = [], []

        def _on_step(self):
            self.raw.append(np.array(self.locals["rewards"], copy=True))
            self.truncated.append([bool(d and i.get("TimeLimit.truncated")) for d, i in
                                   zip(self.locals["dones"], self.locals["infos"])])
            return True

        def _on_rollout_end(self):
            buffer, gamma, lam = self.model.rollout_buffer, self.model.gamma, self.model.gae_lambda
            raw, starts = np.stack(self.raw), buffer.episode_starts
            dones = np.concatenate([starts[1:], np.asarray(self.model._last_episode_starts, np.float32)[None]]) > 0.5
            for env in range(raw.shape[1]):
                ends = np.flatnonzero(dones[:, env])
                for first, last in zip(ends[:-1] + 1, ends[1:]):  # whole episodes inside the rollout
                    if not starts[first, env]:
                        continue
                    share = raw[first:last + 1, env].sum() / (last + 1 - first)
                    expected = np.full(last + 1 - first, share)
                    if self.truncated[last][env]:
                        expected[-1] = buffer.rewards[last, env]  # R / T plus SB3's bootstrap, checked below
                        assert buffer.rewards[last, env] != pytest.approx(0.0)
                    np.testing.assert_allclose(buffer.rewards[first:last + 1, env], expected, rtol=1e-5)
                    self.checked += 1
            # GAE of the buffer's (rewritten) rewards, computed here independently
            with torch.no_grad():
                from stable_baselines3.common.utils import obs_as_tensor
                last_values = self.model.policy.predict_values(
                    obs_as_tensor(self.model._last_obs, self.model.device)).numpy().flatten()
            advantages, gae = np.zeros_like(buffer.rewards), 0.0
            for t in reversed(range(buffer.buffer_size)):
                next_values = last_values if t == buffer.buffer_size - 1 else buffer.values[t + 1]
                live = 1.0 - dones[t]
                gae = buffer.rewards[t] + gamma * next_values * live - buffer.values[t] + gamma * lam * live * gae
                advantages[t] = gae
            np.testing.assert_allclose(buffer.advantages, advantages, rtol=1e-4, atol=1e-5)

    envs = DummyVecEnv([lambda: Monitor(make_sb3_env(DoorsEnv(), max_actions=6, encoder=HashedNgramEncoder(dim=32)))
                        for _ in range(2)])
    model = MaskablePPO(MaskableCandidateScoringPolicy, envs, n_steps=32, batch_size=32, n_epochs=1, seed=0,
                        policy_kwargs={"features_extractor_kwargs": {"hidden_dim": 16}})
    inspect = Inspect()
    model.learn(128, callback=[UniformRewardCallback(), inspect])
    assert inspect.checked > 10
