"""``python -m spa_gym.models NAME``: build a named model's folder (once, cached) and print its path."""

import argparse
import sys

from spa_gym.models.aliases import MODEL_ALIASES, resolve_model


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m spa_gym.models", description=__doc__.split(":", 1)[1].strip())
    parser.add_argument("name", choices=sorted(MODEL_ALIASES))
    args = parser.parse_args(argv)
    try:
        print(resolve_model(args.name))
    except RuntimeError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
