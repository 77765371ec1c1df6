"""The rollout driver: plays a policy over many env workers and returns the episodes in task order.

The driver keeps ``n_envs`` episode slots, spread over the workers (slot ``s`` lives on worker
``s % n_workers``). Each round it asks the policy for the next command of every running episode (one
batch, slots in order), sends each worker one :meth:`~spa_gym.distributed.workers.EnvWorker.run` call with
its slots' commands, and hands the steps to the shared estimator actor in one batch, which scores them
while the driver goes on. A finished episode's slot takes the next task of the queue, in slot order.

The schedule is that of :func:`~spa_gym.agents.rollout.run_episodes` and depends on ``n_envs`` only, never
on the number of workers: episode ``i`` resets with ``seed + i``, the policy sees the same batches in the
same order, so the episodes are the same for a seed however many workers (or machines) play them.

Faults: a worker that dies (its process killed, its node lost) is restarted by Ray with fresh envs; the
driver replays each of its running episodes from its reset seed and the commands sent so far (our envs are
deterministic), then the round goes on. The run ends with the episodes it would have produced.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from spa_gym.agents.rollout import Trajectory
from spa_gym.distributed.policy import BatchPolicy, EpisodeView
from spa_gym.distributed.workers import start_workers
from spa_gym.progress.episodes import Episode, Step


@dataclass
class RayTrajectory(Trajectory):
    """A :class:`~spa_gym.agents.rollout.Trajectory` with what the Ray run added: the SPA reward and
    ``info["spa"]`` of each step (when the run had an estimator) and the worker's recorded JSONL line
    (when the driver was made with ``record``)."""

    dense_rewards: list[float] = field(default_factory=list)
    spa: list[dict[str, float]] = field(default_factory=list)
    line: str | None = None


@dataclass
class _Slot:
    index: int
    traj: RayTrajectory
    info: dict[str, Any]
    history: list[tuple[str, str]]
    log: list[tuple]  # the commands since this episode's reset: what a restarted worker replays


class RayRollouts:
    """Env workers as Ray actors, and the driver loop over them (Ray must be initialised).

    Args:
        env_fn: makes one env; picklable (a module-level function or ``functools.partial``), since it runs in
            the workers' processes.
        n_workers: worker actors.
        envs_per_worker: envs each worker holds (a run uses at most ``n_workers * envs_per_worker`` slots).
        estimator: a :func:`~spa_gym.distributed.estimator_actor.start_estimator` actor (or ``None``): every
            step is scored there and the trajectories carry SPA rewards.
        record: metadata for :class:`~spa_gym.wrappers.RecordEpisodes` lines made on the workers
            (``RayTrajectory.line``); ``None`` records nothing.
        worker_cpus: CPUs Ray reserves per worker.
        max_replays: how many times one round may replay a dead worker before the run gives up.
        restart_timeout_s: how long to wait for Ray to restart a dead worker.
    """

    def __init__(self, env_fn: Callable[[], Any], *, n_workers: int = 2, envs_per_worker: int = 8,
                 estimator: Any = None, record: dict[str, Any] | None = None, worker_cpus: float = 1.0,
                 max_replays: int = 3, restart_timeout_s: float = 120.0) -> None:
        import ray

        self.n_workers, self.envs_per_worker = int(n_workers), int(envs_per_worker)
        self.estimator, self.max_replays = estimator, int(max_replays)
        self.restart_timeout_s = float(restart_timeout_s)
        self.workers = start_workers(env_fn, self.n_workers, self.envs_per_worker, record=record,
                                     num_cpus=worker_cpus)
        try:
            info = ray.get([w.describe.remote() for w in self.workers])
        except ray.exceptions.RayActorError as err:  # env_fn raised in a worker: say what it raised
            self.close()
            lines = [line for line in str(err).splitlines() if line.strip()]
            raise RuntimeError(f"a Ray env worker could not make its envs: {lines[-1] if lines else err}") from err
        self.env_id = info[0]["env_id"]
        self.replays = 0  # worker replays so far (a fault test reads it)

    @property
    def capacity(self) -> int:
        return self.n_workers * self.envs_per_worker

    def worker_pids(self) -> list[int]:
        """Process ids of the workers, as they are now (they change when a worker is restarted)."""
        import ray

        return [d["pid"] for d in ray.get([w.describe.remote() for w in self.workers])]

    def close(self) -> None:
        """Stop the workers (the estimator actor belongs to the caller)."""
        import ray

        for w in self.workers:
            ray.kill(w)
        self.workers = []

    def __enter__(self) -> RayRollouts:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    # ------------------------------------------------------------------ the driver loop
    def run(self, policy: BatchPolicy, tasks: Sequence[tuple[str, int]], *, seed: int = 0, n_envs: int | None = None,
            on_episode: Callable[[int, RayTrajectory], None] | None = None,
            on_round: Callable[[int], None] | None = None, timings: dict[str, float] | None = None,
            estimator: Any = None, reward: dict[str, Any] | None = None, progress: bool = False,
            desc: str = "ray rollouts") -> list[RayTrajectory]:
        """Play one episode per ``(split, task_id)`` of ``tasks``; returns them in task order.

        Args:
            policy: a :class:`~spa_gym.distributed.policy.BatchPolicy`.
            seed: episode ``i`` resets with ``seed + i``; ``policy.start(seed)`` is called first.
            n_envs: episodes played at once (default: every slot); the schedule, hence the episodes of a
                seed, depends on it and not on the number of workers.
            on_episode: called as ``on_episode(i, trajectory)`` when episode ``i`` ends, in the order the
                episodes end (deterministic for a seed), with its rewards and line filled in.
            on_round: called with the round number before each round (used to inject faults in tests).
            timings: when given, seconds of ``"generation"``, ``"env"`` (worker round trips) and
                ``"estimator"`` (waiting for scores) are added to it.
            estimator: an estimator actor for this run (default: the one the driver was made with).
            reward: this run's reward settings on the estimator actor (``form``, ``alpha``, ``beta``, ...: see
                :meth:`~spa_gym.distributed.estimator_actor.SPAStepScorer.start`); default: the actor's.
        """
        from spa_gym.core.bars import progress_bar

        n_envs = self.capacity if n_envs is None else int(n_envs)
        if not 1 <= n_envs <= self.capacity:
            raise ValueError(f"n_envs must be in 1..{self.capacity} (n_workers * envs_per_worker), got {n_envs}")
        if not self.workers:
            raise RuntimeError("the workers were closed")
        timings = {} if timings is None else timings
        estimator = self.estimator if estimator is None else estimator
        for key in ("generation", "env", "estimator"):
            timings.setdefault(key, 0.0)
        policy.start(int(seed))
        run = uuid.uuid4().hex  # the estimator's keys are (run, episode): drivers may share one estimator actor
        queue = list(enumerate(tasks))
        results: list[RayTrajectory | None] = [None] * len(tasks)
        slots: list[_Slot | None] = [None] * min(n_envs, len(tasks))
        pending: list[tuple[Any, list[int]]] = []  # estimator calls not yet read: (ref, episode indices)
        bar = progress_bar(total=len(tasks), desc=desc, disable=not progress, unit="ep", leave=False)

        def read_scores() -> None:
            import ray

            if not pending:
                return
            t0 = time.perf_counter()
            answers = ray.get([ref for ref, _ in pending])
            timings["estimator"] += time.perf_counter() - t0
            live = {s.index: s.traj for s in slots if s is not None}
            for (_, indices), scored in zip(pending, answers):
                for i, (dense_reward, spa) in zip(indices, scored):
                    traj = results[i] if results[i] is not None else live[i]
                    traj.dense_rewards.append(dense_reward)
                    traj.spa.append(spa)
            pending.clear()

        def start_slots(ks: list[int]) -> None:
            commands: dict[int, tuple] = {}
            for k in ks:
                if not queue:
                    slots[k] = None
                    continue
                i, (split, task_id) = queue.pop(0)
                commands[k] = ("reset", k // self.n_workers, seed + i, {"split": split, "task_id": int(task_id)})
                ep = Episode(task="", observation="", env_id=self.env_id, split=split, task_id=int(task_id))
                slots[k] = _Slot(i, RayTrajectory(ep), {}, [], [])
            answers = self._execute(slots, commands, timings)
            starts = []
            for k, (obs, info) in sorted(answers.items()):
                slot = slots[k]
                slot.traj.episode.task, slot.traj.episode.observation = str(info.get("task", "")), obs
                slot.traj.episode.state = str(info.get("state_hash", ""))
                slot.info = info
                starts.append(((run, slot.index), slot.traj.episode.task, str(obs)))
            if estimator is not None and starts:
                estimator.start.remote(starts, reward)

        try:
            start_slots(list(range(len(slots))))
            round_no = 0
            while any(s is not None for s in slots):
                if on_round is not None:
                    on_round(round_no)
                round_no += 1
                active = [k for k, s in enumerate(slots) if s is not None]
                views = [EpisodeView(slots[k].index, slots[k].traj.episode.task, slots[k].traj.episode.observation,
                                     self._observation(slots[k]), slots[k].info, slots[k].history) for k in active]
                t0 = time.perf_counter()
                decisions = policy.act(views)
                timings["generation"] += time.perf_counter() - t0
                if len(decisions) != len(views):
                    raise ValueError(f"policy.act returned {len(decisions)} decisions for {len(views)} episodes")
                commands = {k: ("step", k // self.n_workers, str(d.action)) for k, d in zip(active, decisions)}
                answers = self._execute(slots, commands, timings)
                if estimator is not None:
                    # (key, action, observation, action_valid, env reward, done) per step, as the scorer takes them
                    steps = [((run, slots[k].index), commands[k][2], answers[k][0],
                              bool(answers[k][4].get("action_valid", True)), answers[k][1],
                              answers[k][2] or answers[k][3]) for k in active]
                    pending.append((estimator.score.remote(steps), [slots[k].index for k in active]))
                finished = []
                for k, decision in zip(active, decisions):
                    slot = slots[k]
                    obs, env_reward, terminated, truncated, info, line = answers[k]
                    traj, action = slot.traj, commands[k][2]
                    if decision.turn is not None:
                        traj.turns.append(decision.turn)
                    traj.episode.steps.append(Step.taken(action, obs, env_reward, info))
                    traj.episode.final_reward += float(env_reward)
                    slot.history.append((decision.reply if decision.reply is not None else action, obs))
                    slot.info = info
                    if terminated or truncated:
                        traj.episode.won = bool(info.get("won", False))
                        traj.line = line
                        results[slot.index] = traj
                        finished.append(k)
                if finished:
                    read_scores()  # the finished episodes' last rewards
                    for k in finished:
                        i = slots[k].index
                        policy.end(i)
                        if on_episode is not None:
                            on_episode(i, results[i])
                        bar.update(1)
                    start_slots(finished)
            read_scores()
        finally:
            bar.close()
        return [r for r in results if r is not None]

    @staticmethod
    def _observation(slot: _Slot) -> str:
        steps = slot.traj.episode.steps
        return steps[-1].observation if steps else slot.traj.episode.observation

    def _execute(self, slots: list[_Slot | None], commands: dict[int, tuple],
                 timings: dict[str, float]) -> dict[int, tuple]:
        """Send each worker its slots' commands in one call; replay a worker that died. Answers by slot."""
        import ray
        from ray.exceptions import ActorUnavailableError, RayActorError

        by_worker: dict[int, list[int]] = {}
        for k in sorted(commands):
            if commands[k][0] == "reset":
                slots[k].log = [commands[k]]
            else:
                slots[k].log.append(commands[k])
            by_worker.setdefault(k % self.n_workers, []).append(k)
        t0 = time.perf_counter()
        refs = {w: self.workers[w].run.remote([commands[k] for k in ks]) for w, ks in by_worker.items()}
        answers: dict[int, tuple] = {}
        for w, ks in by_worker.items():
            replayed = False
            for attempt in range(self.max_replays + 1):
                try:
                    out = ray.get(refs[w])
                    break
                except (RayActorError, ActorUnavailableError):
                    if attempt == self.max_replays:
                        raise
                    self._wait_until_back(w)
                    self.replays += 1
                    replayed = True
                    refs[w] = self._replay(w, slots)
            answers.update(zip(ks, self._last_answers(out, w, slots, ks) if replayed else out))
        timings["env"] += time.perf_counter() - t0
        return answers

    def _wait_until_back(self, w: int) -> None:
        """Wait while Ray restarts worker ``w`` (calls to a restarting actor fail at once)."""
        import ray
        from ray.exceptions import ActorUnavailableError, GetTimeoutError, RayActorError

        deadline = time.monotonic() + self.restart_timeout_s
        while True:
            try:
                ray.get(self.workers[w].describe.remote(), timeout=max(deadline - time.monotonic(), 0.1))
                return
            except (ActorUnavailableError, RayActorError, GetTimeoutError):
                if time.monotonic() > deadline:
                    raise RuntimeError(f"Ray worker {w} did not come back within {self.restart_timeout_s:.0f} s")
                time.sleep(0.1)

    def _replay(self, w: int, slots: list[_Slot | None]) -> Any:
        """Resend every running episode of worker ``w`` from its reset (this round's commands included)."""
        replay = [c for k, s in enumerate(slots) if s is not None and k % self.n_workers == w for c in s.log]
        return self.workers[w].run.remote(replay)

    def _last_answers(self, out: list[tuple], w: int, slots: list[_Slot | None], ks: list[int]) -> list[tuple]:
        """From a replay's answers (every logged command of the worker's slots), this round's: each slot's last."""
        ends, n = {}, 0
        for k, s in enumerate(slots):
            if s is not None and k % self.n_workers == w:
                n += len(s.log)
                ends[k] = n - 1
        return [out[ends[k]] for k in ks]


__all__ = ["RayRollouts", "RayTrajectory"]
