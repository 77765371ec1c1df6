"""The ``spa-gym`` command line."""

from __future__ import annotations

import sys

import typer

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="spa-gym: offline text environments, SPA dense rewards and a PPO-trained LLM agent.")


@app.command()
def envs() -> None:
    """List the registered environment ids."""
    import spa_gym

    for env_id in spa_gym.ENV_IDS:
        typer.echo(env_id)


@app.command()
def demo(episodes: int = typer.Option(2, help="Tasks played per environment."),
         seed: int = typer.Option(0, help="Seed of the first task.")) -> None:
    """Play a few test tasks of each environment with its scripted expert (offline, CPU)."""
    import gymnasium as gym

    import spa_gym

    for env_id in spa_gym.ENV_IDS:
        env = gym.make(env_id, expert=True)
        for k in range(episodes):
            obs, info = env.reset(seed=seed + k, options={"split": "test", "task_id": k})
            done, ret = False, 0.0
            while not done:
                obs, reward, terminated, truncated, info = env.step(info["expert_action"] or "look")
                ret += reward
                done = terminated or truncated
            typer.echo(f"{env_id:22s} task {k}: {info['task']!r} -> steps={info['step']} "
                       f"return={ret:.2f} won={info['won']}")
        env.close()


def main() -> None:
    """Entry point: user errors print one clear line instead of a traceback."""
    try:
        app()
    except (ValueError, FileNotFoundError, RuntimeError) as err:
        typer.secho(f"error: {err}", fg="red", err=True)
        sys.exit(2)


if __name__ == "__main__":
    main()
