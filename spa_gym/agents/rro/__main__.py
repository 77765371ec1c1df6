"""``python -m spa_gym.agents.rro``: the alias of ``spa-gym rro collect``."""

from spa_gym.agents.rro.cli import main

main()
