"""The TRL adapter against the real trl: a GRPOTrainer run of 2 steps with a tiny random model on CPU."""

from __future__ import annotations

import pickle

import pytest

trl = pytest.importorskip("trl", reason="needs the trl extra: pip install 'spa-gym[trl]'")

from spa_gym.integrations.episode import SPAEpisode  # noqa: E402
from spa_gym.integrations.trl import SPAToolEnv, environment_factory, task_dataset  # noqa: E402


def test_group_shares_start_state_and_rewards_are_exposed():
    a, b = SPAToolEnv(), SPAToolEnv()
    assert a.reset(task_id=5, split="valid") == b.reset(task_id=5, split="valid")
    command = a.admissible_commands[0]
    assert a.act(command) == b.act(command)
    assert a.turn_rewards == b.turn_rewards and len(a.turn_rewards) == 1
    assert a.get_reward() == pytest.approx(sum(a.turn_rewards))
    assert SPAToolEnv(reward="env").get_reward() == 0.0


def test_pickled_copy_resumes_the_episode():
    env = environment_factory(env_id="SPA-VirtualHome-v0")()
    env.reset(task_id=1, split="train")
    env.act(env.admissible_commands[0])
    copy = pickle.loads(pickle.dumps(env))
    assert copy.turn_rewards == env.turn_rewards
    command = env.admissible_commands[-1]
    assert copy.act(command) == env.act(command)


def test_expert_episode_gets_the_env_reward():
    env = SPAToolEnv(reward="env", show_admissible=False)
    env.reset(task_id=0, split="train")
    expert = SPAEpisode(env_kwargs={"expert": True})
    expert.reset(task_id=0, split="train")
    while not expert.done:
        out = env.act(expert.info["expert_action"])
        expert.step(expert.info["expert_action"])
    assert "task completed" in out
    assert env.get_reward() == 1.0 and env.episode.won


def test_grpo_trainer_two_steps(tmp_path, monkeypatch):
    monkeypatch.setenv("TRL_EXPERIMENTAL_SILENCE", "1")
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from trl import GRPOConfig, GRPOTrainer
    from trl.chat_template_utils import qwen2_5_chat_template

    from spa_gym.progress.small_model import build_small_model

    model_dir = build_small_model(tmp_path / "model", size="tiny", seed=0)
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    tokenizer.chat_template = qwen2_5_chat_template  # a tool-calling template TRL knows how to parse
    tokenizer.padding_side = "left"
    model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32)

    seen: list[tuple[int, str]] = []

    class RecordingEnv(SPAToolEnv):
        def reset(self, **row):
            seen.append((row["task_id"], row["split"]))
            return super().reset(**row)

    args = GRPOConfig(output_dir=str(tmp_path / "out"), max_steps=2, per_device_train_batch_size=4,
                      num_generations=2, max_completion_length=8, max_tool_calling_iterations=2,
                      learning_rate=1e-4, logging_steps=1, report_to="none", save_strategy="no",
                      use_cpu=True, bf16=False, seed=0, dataloader_num_workers=0)
    trainer = GRPOTrainer(model=model, args=args, processing_class=tokenizer,
                          train_dataset=task_dataset("SPA-ALFWorld-v0", split="train", n=8),
                          environment_factory=RecordingEnv)
    trainer.train()
    assert trainer.state.global_step == 2
    assert len(seen) == 8 and all(split == "train" for _, split in seen)
    # A GRPO group (num_generations=2 consecutive rollouts) resets the same task.
    ids = [task_id for task_id, _ in seen]
    assert ids[0::2] == ids[1::2]
    logged = [k for entry in trainer.state.log_history for k in entry]
    assert any("RecordingEnv" in k for k in logged), logged
