"""Gymnasium wrappers for text envs: SPA dense rewards and the baselines beside them.

One wrapper, one purpose; each works on any Gymnasium env with string observations and actions.
Names are imported on first use (:mod:`spa_gym.core.lazy`): recording episodes does not import torch.
"""

from typing import TYPE_CHECKING

from spa_gym.core.lazy import lazy_exports

_EXPORTS = {
    "GroundingReward": "spa_gym.wrappers.grounding",
    "OracleProgressReward": "spa_gym.wrappers.oracle_progress",
    "RecordEpisodes": "spa_gym.wrappers.record_episodes",
    **dict.fromkeys(["MODES", "potential_rewards", "redistribute", "redistribute_batch"],
                    "spa_gym.wrappers.redistribution"),
    **dict.fromkeys(["FORMS", "SPAReward", "SPARewardVector"], "spa_gym.wrappers.spa_reward"),
    **dict.fromkeys(["TextWorldEnv", "make_textworld_game"], "spa_gym.wrappers.textworld_adapter"),
    # stable-baselines3 adapters (the SB3 policy classes live in spa_gym.wrappers.sb3)
    **dict.fromkeys(["AdmissibleActionSpace", "search_with_task"], "spa_gym.wrappers.admissible_actions"),
    **dict.fromkeys(["CandidateScoringExtractor", "make_sb3_env"], "spa_gym.wrappers.sb3"),
    **dict.fromkeys(["HashedNgramEncoder", "SentenceEmbeddingEncoder", "TextFeatureObservation"],
                    "spa_gym.wrappers.text_features"),
}
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

if TYPE_CHECKING:
    from spa_gym.wrappers.admissible_actions import AdmissibleActionSpace, search_with_task
    from spa_gym.wrappers.grounding import GroundingReward
    from spa_gym.wrappers.oracle_progress import OracleProgressReward
    from spa_gym.wrappers.record_episodes import RecordEpisodes
    from spa_gym.wrappers.redistribution import MODES, potential_rewards, redistribute, redistribute_batch
    from spa_gym.wrappers.sb3 import CandidateScoringExtractor, make_sb3_env
    from spa_gym.wrappers.spa_reward import FORMS, SPAReward, SPARewardVector
    from spa_gym.wrappers.text_features import HashedNgramEncoder, SentenceEmbeddingEncoder, TextFeatureObservation
    from spa_gym.wrappers.textworld_adapter import TextWorldEnv, make_textworld_game

__all__ = ["FORMS", "MODES", "GroundingReward", "SPAReward", "SPARewardVector", "TextWorldEnv", "make_textworld_game",
           "OracleProgressReward", "RecordEpisodes", "potential_rewards", "redistribute", "redistribute_batch",
           "AdmissibleActionSpace", "CandidateScoringExtractor", "HashedNgramEncoder", "SentenceEmbeddingEncoder",
           "TextFeatureObservation", "make_sb3_env", "search_with_task"]
