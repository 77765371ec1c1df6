"""What every spa_gym environment shares: the TextEnv base, task sets, seeds and text helpers."""

from spa_gym.core.seeding import stable_seed
from spa_gym.core.tasks import TaskSet
from spa_gym.core.text import CHARSET, to_charset
from spa_gym.core.text_env import INFO_KEYS, TextEnv, text_space

__all__ = ["CHARSET", "INFO_KEYS", "TaskSet", "TextEnv", "stable_seed", "text_space", "to_charset"]
