"""SPA-VirtualHome-v0: VirtualHome household programs on a native environment graph (no Unity, no download).

Layout: :mod:`.graph` (nodes and indexed edges), :mod:`.properties` (our property table), :mod:`.executor`
(preconditions and effects), :mod:`.scenes` (seeded houses), :mod:`.goals` (success rule), :mod:`.text`
(SPA-RL's command templates and observations), :mod:`.world` (name resolution and one step),
:mod:`.expert` (planner), :mod:`.tasks` (families and splits), :mod:`.official` (official data loader),
:mod:`.env` (the Gymnasium environment).
"""

from spa_gym.envs.virtualhome.env import MODES, VirtualHomeEnv
from spa_gym.envs.virtualhome.goals import Goal
from spa_gym.envs.virtualhome.graph import EnvGraph, Node
from spa_gym.envs.virtualhome.tasks import FAMILIES, TASK_SET, Task, load_task

__all__ = ["FAMILIES", "MODES", "TASK_SET", "EnvGraph", "Goal", "Node", "Task", "VirtualHomeEnv", "load_task"]
