"""Thin adapters from spa-gym's envs and SPA rewards to the trainers' own interfaces.

Each adapter lives in its own module and imports its library only there, so ``import spa_gym`` never needs
any of them; each has an optional extra (``pip install "spa-gym[trl]"``, ``[openenv]``, ``[verifiers]``,
``[skyrl]``). They all drive :class:`~spa_gym.integrations.episode.SPAEpisode`, so every trainer sees the
same observations, the same admissible commands and the env's own final reward beside the dense one.
"""
