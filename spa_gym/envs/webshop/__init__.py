"""SPA-WebShop-v0: WebShop's text shopping task on a generated catalogue (or the official data), offline.

Parts: ``vocab`` (our tables), ``catalogue`` (seeded products), ``goals`` (instructions and splits),
``search`` (Lucene-style BM25), ``pages`` (page machine and text), ``reward`` (the original formula),
``expert`` (a shopper that earns 1.0), ``official`` (the original data files), ``env`` (the Gymnasium env).
"""

from spa_gym.envs.webshop.catalogue import Catalogue, Product
from spa_gym.envs.webshop.env import WebShopEnv
from spa_gym.envs.webshop.goals import Goal, GoalSet
from spa_gym.envs.webshop.reward import get_reward

__all__ = ["Catalogue", "Goal", "GoalSet", "Product", "WebShopEnv", "get_reward"]
