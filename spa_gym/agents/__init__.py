"""The bundled LLM agent: prompts, action parsing, `LLMPolicy`, SFT, rollouts, PPO, evaluation, the demo pipeline."""

from spa_gym.agents.evaluate import episode_metrics, evaluate, task_list, write_report
from spa_gym.agents.parsing import format_reply, parse_action
from spa_gym.agents.policy import Generation, LLMPolicy, resolve_device
from spa_gym.agents.ppo import REWARD_MODES, PPOConfig, train_ppo, turn_rewards
from spa_gym.agents.prompts import PromptConfig, build_messages, one_shot_example
from spa_gym.agents.rollout import Trajectory, Turn, make_env, run_episodes
from spa_gym.agents.sft import SFTConfig, expert_samples, train_sft

__all__ = ["Generation", "LLMPolicy", "PPOConfig", "PromptConfig", "REWARD_MODES", "SFTConfig", "Trajectory", "Turn",
           "build_messages", "episode_metrics", "evaluate", "expert_samples", "format_reply", "make_env",
           "one_shot_example", "parse_action", "resolve_device", "run_episodes", "task_list", "train_ppo",
           "train_sft", "turn_rewards", "write_report"]
