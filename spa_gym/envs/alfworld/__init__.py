"""ALFWorld (text): a native, exact and fast re-implementation of alfworld 0.4.2 + textworld 1.7.0.

Layout: ``pddl`` reads problems, ``world`` holds state and rules, ``text`` renders every string,
``goals`` checks wins, ``expert`` plans, ``game_files`` reads official files, ``generator`` makes tasks,
``textworld_backend`` runs the real engine (optional extra), ``env`` is the Gymnasium environment.
"""

from spa_gym.envs.alfworld.env import AlfWorldEnv, NativeGame
from spa_gym.envs.alfworld.game import DIALECTS, TASK_TYPES, GameSpec

__all__ = ["AlfWorldEnv", "DIALECTS", "GameSpec", "NativeGame", "TASK_TYPES"]
