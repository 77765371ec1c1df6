"""Gymnasium wrappers for text envs: SPA dense rewards and the baselines beside them.

One wrapper, one purpose; each works on any Gymnasium env with string observations and actions.
"""

from spa_gym.wrappers.grounding import GroundingReward
from spa_gym.wrappers.oracle_progress import OracleProgressReward
from spa_gym.wrappers.record_episodes import RecordEpisodes
from spa_gym.wrappers.redistribution import MODES, potential_rewards, redistribute, redistribute_batch
from spa_gym.wrappers.spa_reward import FORMS, SPAReward, SPARewardVector
from spa_gym.wrappers.textworld_adapter import TextWorldEnv, make_textworld_game
# stable-baselines3 adapters (the SB3 policy classes live in spa_gym.wrappers.sb3, imported lazily)
from spa_gym.wrappers.admissible_actions import AdmissibleActionSpace, search_with_task
from spa_gym.wrappers.sb3 import CandidateScoringExtractor, make_sb3_env
from spa_gym.wrappers.text_features import HashedNgramEncoder, SentenceEmbeddingEncoder, TextFeatureObservation

__all__ = ["FORMS", "MODES", "GroundingReward", "SPAReward", "SPARewardVector", "TextWorldEnv", "make_textworld_game",
           "OracleProgressReward", "RecordEpisodes", "potential_rewards", "redistribute", "redistribute_batch",
           "AdmissibleActionSpace", "CandidateScoringExtractor", "HashedNgramEncoder", "SentenceEmbeddingEncoder",
           "TextFeatureObservation", "make_sb3_env", "search_with_task"]
