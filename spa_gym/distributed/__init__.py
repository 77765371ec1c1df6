"""Scale out on Ray: env workers as actors, one shared estimator actor, and the rollout driver.

* :mod:`~spa_gym.distributed.workers`: :class:`EnvWorker`, a batch of envs stepped on command.
* :mod:`~spa_gym.distributed.estimator_actor`: :class:`SPAStepScorer`, SPA rewards of every worker's steps,
  scored in batches (the reward forms of :class:`~spa_gym.wrappers.SPAReward`).
* :mod:`~spa_gym.distributed.policy`: the :class:`BatchPolicy` interface (generation stays on the driver).
* :mod:`~spa_gym.distributed.driver`: :class:`RayRollouts`, episodes in task order, the same for a seed
  whatever the number of workers, replayed from their seeds when a worker dies.
* :mod:`~spa_gym.distributed.ppo`: the PPO rollout function over the workers (``spa-gym train --ray``).
* :mod:`~spa_gym.distributed.session`: :func:`ray_session`, a cluster address or a local Ray.

Needs the ``ray`` extra (``pip install 'spa-gym[ray]'``); Ray is imported only when actors are started.
"""

from typing import TYPE_CHECKING

from spa_gym.core.lazy import lazy_exports

# Imported on first use: a worker's process imports only its own module (and its envs), never torch.
_EXPORTS = {
    **dict.fromkeys(["RayRollouts", "RayTrajectory"], "spa_gym.distributed.driver"),
    **dict.fromkeys(["SPAStepScorer", "start_estimator"], "spa_gym.distributed.estimator_actor"),
    **dict.fromkeys(["BatchPolicy", "Decision", "EpisodeView", "LLMBatchPolicy", "PerEpisodePolicy"],
                    "spa_gym.distributed.policy"),
    "ray_session": "spa_gym.distributed.session",
    **dict.fromkeys(["EnvWorker", "start_workers"], "spa_gym.distributed.workers"),
}
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

if TYPE_CHECKING:
    from spa_gym.distributed.driver import RayRollouts, RayTrajectory
    from spa_gym.distributed.estimator_actor import SPAStepScorer, start_estimator
    from spa_gym.distributed.policy import BatchPolicy, Decision, EpisodeView, LLMBatchPolicy, PerEpisodePolicy
    from spa_gym.distributed.session import ray_session
    from spa_gym.distributed.workers import EnvWorker, start_workers

__all__ = ["BatchPolicy", "Decision", "EnvWorker", "EpisodeView", "LLMBatchPolicy", "PerEpisodePolicy",
           "RayRollouts", "RayTrajectory", "SPAStepScorer", "ray_session", "start_estimator", "start_workers"]
