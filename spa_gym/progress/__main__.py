"""``python -m spa_gym.progress``: rebuild the shipped tokenizer or write a small model folder.

    python -m spa_gym.progress --rebuild-tokenizer      # retrain assets/tokenizer.json from env rollouts
    python -m spa_gym.progress --build DIR --size small # a small HF model folder
"""

from spa_gym.progress.small_model import _main

if __name__ == "__main__":
    _main()
