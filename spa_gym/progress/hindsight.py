"""Hindsight progress: what each step of a set of episodes was worth, read off the episodes themselves.

The step-level estimator learns from final rewards only. With one episode at a time, a failed episode says
nothing about *which* of its steps were good: every prefix gets target 0. Episodes of the **same task**
together say more. They meet in the same states (the same room, the same result page), and a state from
which some episode went on to win is provably a state the goal can be reached from, in a known number of
steps. :func:`hindsight_targets` turns that into a target progress for every step:

1. every episode of a task adds its states ``s_0 .. s_T`` and the moves between them to one graph;
2. the final states of the episodes with a positive final reward are the goals, worth that reward;
3. a breadth-first search backwards from each goal gives ``d(s, g)``, the fewest recorded moves from ``s`` to
   the goal ``g``;
4. the target after step ``t`` is ``max_g R_g * max(0, 1 - d(s_t, g) / d(s_0, g))`` (0 when no goal is
   reachable from ``s_t`` in the graph): the share of the way to the best goal covered so far;
5. the last step's target is the episode's own final reward, so the contributions of every episode still sum
   to its final reward, the SPA constraint, failures included (0).

This uses only the collected episodes and their final rewards, never the env's expert; its distances are upper
bounds on the true ones (only recorded moves count), tight where the episodes cover the task. A successful
episode's detours are not credited (the goal's distance falls only along the shortest recorded path), and a
failed episode that reached a state on some winning path gets credit for it. With one episode per task it
reduces to the winning episode's own shortest path, so collect several per task (the recipe
:func:`spa_gym.progress.recipes.mixed_outcome_episodes` plays four).

**States.** ``Step.state`` / ``Episode.state`` (the env's ``info["state_hash"]``, recorded by
:func:`~spa_gym.progress.episodes.play_episode`; every spa_gym env gives one) name states exactly. Without
them an observation names the state after a valid step, and an invalid step stays in the state it was in
(an approximation: two places can read the same).

>>> from spa_gym.progress.episodes import Episode, Step
>>> won = Episode("reach 2", "at 0", [Step("up", "at 1", True), Step("up", "at 2", True, 1.0)], 1.0, True)
>>> lost = Episode("reach 2", "at 0", [Step("down", "at -1", True), Step("up", "at 0", True),
...                                    Step("up", "at 1", True)], 0.0, False)
>>> [t.round(2).tolist() for t in hindsight_targets([won, lost])]
[[0.5, 1.0], [0.0, 0.0, 0.0]]
>>> lost_longer = Episode("reach 2", "at 0", lost.steps + [Step("wait", "at 1", True)], 0.0, False)
>>> hindsight_targets([won, lost_longer])[1].round(2).tolist()   # reached "at 1" (half way) before running out
[0.0, 0.0, 0.5, 0.0]
"""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Hashable, Sequence

import numpy as np

from spa_gym.progress.episodes import Episode


def state_keys(episode: Episode) -> list[str]:
    """Names of the states ``s_0 .. s_T`` of ``episode`` (see the module docstring, "States")."""
    if episode.state and all(s.state for s in episode.steps):
        return [episode.state] + [s.state for s in episode.steps]
    keys = ["obs:" + episode.observation]
    for step in episode.steps:
        keys.append("obs:" + step.observation if step.action_valid else keys[-1])
    return keys


def task_key(episode: Episode) -> Hashable:
    """Episodes with the same key are the same task (env, split and task id; the task sentence without an id)."""
    if episode.task_id >= 0:
        return (episode.env_id, episode.split, episode.task_id)
    return (episode.env_id, episode.split, episode.task)


def _distances_to(goal: str, predecessors: dict[str, set[str]]) -> dict[str, int]:
    """Fewest recorded moves from every state that can reach ``goal`` (breadth-first, backwards)."""
    dist, queue = {goal: 0}, deque([goal])
    while queue:
        u = queue.popleft()
        for v in predecessors[u]:
            if v not in dist:
                dist[v] = dist[u] + 1
                queue.append(v)
    return dist


def hindsight_targets(episodes: Sequence[Episode]) -> list[np.ndarray]:
    """Target progress after each step of each episode (module docstring), as float32 arrays of length T."""
    groups: dict[Hashable, list[int]] = defaultdict(list)
    for i, ep in enumerate(episodes):
        groups[task_key(ep)].append(i)
    out: list[np.ndarray] = [np.zeros(0, dtype=np.float32)] * len(episodes)
    for members in groups.values():
        keys = {i: state_keys(episodes[i]) for i in members}
        predecessors: dict[str, set[str]] = defaultdict(set)
        goals: dict[str, float] = {}
        for i in members:
            for a, b in zip(keys[i], keys[i][1:]):
                if a != b:
                    predecessors[b].add(a)
            reward = episodes[i].final_reward
            if reward > 0 and len(keys[i]) > 1:
                goals[keys[i][-1]] = max(goals.get(keys[i][-1], 0.0), reward)
        distances = [(_distances_to(g, predecessors), r) for g, r in goals.items()]
        for i in members:
            states = keys[i]
            target = np.zeros(len(states) - 1, dtype=np.float64)
            for dist, reward in distances:
                d0 = dist.get(states[0])
                if not d0:  # the goal is not reachable from this start (or is the start itself)
                    continue
                target = np.maximum(target, [reward * max(0.0, 1.0 - dist[s] / d0) if s in dist else 0.0
                                             for s in states[1:]])
            if len(target):
                target[-1] = episodes[i].final_reward
            out[i] = target.astype(np.float32)
    return out


__all__ = ["hindsight_targets", "state_keys", "task_key"]
