"""RRO, Reward Rising Optimization (arXiv 2505.20737): process-supervision data from rising rewards.

Along a trajectory, at every step the collector snapshots the environment and asks the policy for
candidate next actions *one at a time*. Each candidate is tried from the snapshot, scored by a process
reward, and the environment is put back. Sampling stops at the first candidate whose reward **rises**
to the reward of the previous step's chosen action (``reward >= previous + min_rise``), so easy steps
cost one sample and hard ones more, up to ``max_candidates``. The rising candidate continues the
trajectory; the candidates sampled before it lost to it. When none rises, the best one continues and
the step is recorded with ``rose=False``.

Process reward. A *progress scorer* maps an episode prefix (its last step being the candidate) to the
estimated cumulative progress ``P_t`` reached after it. :class:`EstimatorProgress` reads it from a SPA
:class:`~spa_gym.progress.estimator.ProgressEstimator` (``P_t = c_1 + ... + c_t``, the sum of its step
contributions); :class:`ExpertPlanProgress` is an oracle for envs with an expert (``P_t = -`` the number
of expert steps still needed). ``RROConfig.reward`` picks what "rises":

* ``"cumulative"`` (the paper's choice: the value of the state reached): ``P_t >= P_{t-1} + min_rise``,
  i.e. the step does not lose progress;
* ``"spa"``: the step contribution ``c_t = P_t - P_{t-1}`` must reach the previous chosen step's
  contribution ``c_{t-1} + min_rise`` (``c_0 = 0``).

Records. One :class:`RROStep` per trajectory step, one JSON line each (appended and flushed as soon
as the step is decided, so a crash loses at most one line)::

    {"episode": 0, "t": 0, "env_id": "SPA-ALFWorld-v0", "split": "train", "task_id": 3, "task": "...",
     "first_observation": "-= Welcome to TextWorld, ALFRED! =- ...",
     "messages": [{"role": "user", "content": "..."}],       # the prompt the policy answered
     "candidates": [{"reply": "go to shelf 1", "action": "go to shelf 1", "observation": "...",
                     "action_valid": true, "env_reward": 0.0, "terminated": false,
                     "progress": -3.0, "contribution": 1.0, "reward": -3.0, "samples": 1}, ...],
     "chosen": 1, "n_samples": 2, "prev_reward": -4.0, "rose": true, "done": false, "won": false}

:func:`preference_pairs` turns them into ``(prompt, chosen, rejected)`` pairs for DPO-style training and
:func:`sft_samples` into supervised samples (the rising steps) for :func:`spa_gym.agents.sft.train_sft`.

Snapshots cover the unwrapped env only (``get_state`` / ``set_state``), so candidates step
``env.unwrapped``: a wrapper's own state (a ``TimeLimit`` counter, a reward wrapper) would otherwise
count every candidate tried. The env's own ``max_steps`` and ``RROConfig.max_steps`` bound episodes.

>>> from spa_gym.progress.episodes import NoisyExpertPolicy
>>> from spa_gym.progress.toy import CountingEnv
>>> steps = collect_rising_trajectories(CountingEnv(expert=True), NoisyExpertPolicy(epsilon=0.7),
...                                     ExpertPlanProgress(), n_episodes=2,
...                                     config=RROConfig(max_candidates=4, min_rise=1.0), progress=False)
>>> all(s.n_samples <= 4 for s in steps), all(s.won for s in steps if s.done)
(True, True)
>>> all(s.chosen_candidate.reward >= s.prev_reward + 1.0 for s in steps if s.rose)
True
>>> pairs = preference_pairs(steps)
>>> all(p["chosen_reward"] > p["rejected_reward"] for p in pairs)
True

Command line (writes ``steps.jsonl``, ``pairs.jsonl``, ``sft.jsonl`` and ``summary.json``)::

    python -m spa_gym.agents.rro --env SPA-ALFWorld-v0 --episodes 4 --out runs/rro
"""

from spa_gym.agents.rro.cli import main
from spa_gym.agents.rro.collect import REWARD_SOURCES, RROConfig, collect_rising_trajectories, summarize
from spa_gym.agents.rro.records import (Candidate, RROStep, append_step, preference_pairs, read_steps, sft_samples,
                                        trajectories)
from spa_gym.agents.rro.scoring import EstimatorProgress, ExpertPlanProgress, ProgressScorer

__all__ = ["Candidate", "EstimatorProgress", "ExpertPlanProgress", "ProgressScorer", "REWARD_SOURCES", "RROConfig",
           "RROStep", "append_step", "collect_rising_trajectories", "main", "preference_pairs", "read_steps",
           "sft_samples", "summarize", "trajectories"]
