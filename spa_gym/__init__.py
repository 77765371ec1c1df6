"""spa-gym: ALFWorld, WebShop and VirtualHome as fast offline Gymnasium text environments,
with SPA (Stepwise Progress Attribution) dense rewards and an LLM agent trained with PPO.

Importing the package registers the environment ids (Minigrid-style, all in this one place).
"""

from __future__ import annotations

from gymnasium.envs.registration import register, registry

__version__ = "0.1.0"

#: Every environment id this package registers.
ENV_IDS = ("SPA-ALFWorld-v0", "SPA-WebShop-v0", "SPA-VirtualHome-v0")


def _register(env_id: str, entry_point: str, **kwargs) -> None:
    if env_id not in registry:  # re-importing (e.g. importlib.reload) must not warn
        register(id=env_id, entry_point=entry_point, kwargs=kwargs, disable_env_checker=False)


# ALFWorld: classic wording ("put X in/on Y") by default; dialect="v04" gives alfworld>=0.4's "move X to Y".
_register("SPA-ALFWorld-v0", "spa_gym.envs.alfworld:AlfWorldEnv")
# WebShop: generated catalogue, `text` observation mode.
_register("SPA-WebShop-v0", "spa_gym.envs.webshop:WebShopEnv")
# VirtualHome: SPA-RL's text interface on a native environment graph.
_register("SPA-VirtualHome-v0", "spa_gym.envs.virtualhome:VirtualHomeEnv")

__all__ = ["ENV_IDS", "__version__"]
