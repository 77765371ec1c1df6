"""Gymnasium wrappers for text envs: SPA dense rewards and the baselines beside them.

One wrapper, one purpose; each works on any Gymnasium env with string observations and actions.
"""

from spa_gym.wrappers.grounding import GroundingReward
from spa_gym.wrappers.redistribution import MODES, redistribute, redistribute_batch
from spa_gym.wrappers.spa_reward import SPAReward, SPARewardVector

__all__ = ["MODES", "GroundingReward", "SPAReward", "SPARewardVector", "redistribute", "redistribute_batch"]
