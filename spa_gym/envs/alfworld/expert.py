"""A fast expert for the six ALFWorld goals, planned on the native state (spec §8, N3).

The original offers a handcoded expert (fails pick-two games whose objects start apart) and a Fast
Downward planner (seconds per step, can hang). Here the goal's parameters (object type, receptacle type,
required state, lamp type; :func:`~spa_gym.envs.alfworld.goals.goal_params`) are enough to enumerate every
way to win - which object, taken from which parent, which appliance, which target receptacle, where to
drop what the agent already holds - and each way's exact length: ``go to`` costs one step to anywhere
(none to the current location), closed receptacles cost an ``open``. The shortest candidate is checked by
simulation and kept until the agent leaves it. Time is bounded by the scene's size (a few ms).

Plans are shortest among these candidate shapes; detours no goal needs (closing, examining) never appear.

>>> from spa_gym.envs.alfworld.env import TINY_GAME
>>> solve(TINY_GAME)
['go to countertop 1', 'take apple 1 from countertop 1', 'go to fridge 1', 'open fridge 1', 'put apple 1 in/on fridge 1']
"""

from __future__ import annotations

from itertools import permutations, product
from typing import TYPE_CHECKING

from spa_gym.envs.alfworld.goals import goal_params
from spa_gym.envs.alfworld.world import FRIDGE, MICROWAVE, Scene, State

if TYPE_CHECKING:
    from spa_gym.envs.alfworld.env import NativeGame
    from spa_gym.envs.alfworld.game import GameSpec


class _Plan:
    """Actions appended while tracking where the agent is and what got opened (no state copy)."""

    __slots__ = ("scene", "state", "loc", "opened", "acts")

    def __init__(self, scene: Scene, state: State, loc: str | None = None, opened=(), acts=()) -> None:
        self.scene, self.state = scene, state
        self.loc = loc or state.agent_loc
        self.opened, self.acts = set(opened), list(acts)

    def fork(self) -> "_Plan":
        return _Plan(self.scene, self.state, self.loc, self.opened, self.acts)

    def go(self, r: str) -> None:
        if self.scene.rloc[r] != self.loc:
            self.acts.append(("goto", r))
            self.loc = self.scene.rloc[r]

    def open(self, r: str) -> None:
        if r in self.scene.openable and r not in self.state.opened and r not in self.opened:
            self.acts.append(("open", r))
            self.opened.add(r)

    def take(self, o: str, r: str) -> None:
        self.go(r)
        self.open(r)
        self.acts.append(("take", o, r))

    def put(self, o: str, r: str) -> None:
        self.go(r)
        self.open(r)
        self.acts.append(("put", o, r))

    def appliance(self, verb: str, o: str, r: str) -> None:
        self.go(r)
        self.acts.append((verb, o, r))


def _drop_options(scene: Scene, state: State, held: str, next_locs: set[str]) -> list[_Plan]:
    """Ways to empty the hands: put the held object in a receptacle here, or where the plan goes next."""
    t = scene.otype.get(held)
    here = state.agent_loc
    options = []
    fallback = []
    for r in scene.receptacles:
        if (scene.rtype.get(r), t) not in scene.can_contain:
            continue
        p = _Plan(scene, state)
        p.put(held, r)
        (options if scene.rloc[r] == here or scene.rloc[r] in next_locs else fallback).append(p)
    return options or fallback[:1]


def candidate_plans(scene: Scene, state: State, params: dict):
    """Yield candidate action lists that should reach the goal (checked by :func:`plan`)."""
    T, R, need_state, lamp_type = params["object_type"], params["receptacle_type"], params["state"], params["toggle_type"]
    held = state.holding
    static_ok = {"hot": scene.heatable, "cool": scene.coolable, "clean": scene.cleanable}
    objs = [o for o, t in scene.otype.items() if t == T and o in scene.pickupable
            and (need_state is None or o in static_ok[need_state])]
    parents: dict[str, list[str]] = {o: [] for o in objs}
    for r in scene.receptacles:
        for o in state.contents.get(r, ()):
            if o in parents:
                parents[o].append(r)

    def sources(o):
        return [None] if held == o else parents[o]

    def starts(first_src_locs):
        """Plans that leave the agent empty-handed to begin with."""
        if held is None:
            return [_Plan(scene, state)]
        return _drop_options(scene, state, held, first_src_locs)

    if lamp_type is not None:  # look_at_obj_in_light
        lamps = [(l, r) for r in scene.receptacles for l in sorted(state.contents.get(r, ()))
                 if scene.otype.get(l) == lamp_type and l in scene.toggleable]
        for o in objs:
            for src in sources(o):
                for lamp, rl in lamps:
                    for p0 in ([_Plan(scene, state)] if held == o else starts({scene.rloc[src]})):
                        p = p0.fork()
                        if src is not None:
                            p.take(o, src)
                        p.go(rl)
                        if lamp not in state.toggled:
                            p.acts.append(("use", lamp))
                        yield p.acts
        return

    targets = [r for r in scene.receptacles if scene.rtype.get(r) == R and (R, T) in scene.can_contain] \
        if T is not None else []
    if params["count"] == 2:
        for rt in targets:
            inside = [o for o in state.contents.get(rt, ()) if scene.otype.get(o) == T]
            need = 2 - len(inside)
            pool = [o for o in objs if o not in inside]
            if need <= 0:
                continue
            for chosen in permutations(pool, need):
                if held is not None and held in chosen and chosen[0] != held:
                    continue  # bring what is in hand first
                firsts = {scene.rloc[s] for s in sources(chosen[0]) if s is not None}
                base = [_Plan(scene, state)] if held == chosen[0] else \
                    (_drop_options(scene, state, held, firsts | {scene.rloc[rt]}) if held is not None else [_Plan(scene, state)])
                for p0 in base:
                    for srcs in product(*(sources(o) for o in chosen)):
                        p = p0.fork()
                        for o, src in zip(chosen, srcs):
                            if src is not None:
                                p.take(o, src)
                            p.put(o, rt)
                        yield p.acts
        return

    apps: list[str | None] = [None]
    if need_state == "hot":
        apps = [r for r in scene.receptacles if scene.rtype.get(r) == MICROWAVE]
    elif need_state == "cool":
        apps = [r for r in scene.receptacles if scene.rtype.get(r) == FRIDGE]
    elif need_state == "clean":
        apps = [r for r in scene.receptacles if scene.rtype.get(r) in scene.clean_types]
    flag = {"hot": state.hot, "cool": state.cool, "clean": state.clean}.get(need_state, set())
    for o in objs:
        for src in sources(o):
            base = [_Plan(scene, state)] if held == o else starts({scene.rloc[src]} if src else set())
            for p0 in base:
                for app in apps:
                    for rt in targets:
                        p = p0.fork()
                        if src is not None:
                            p.take(o, src)
                        if app is not None and o not in flag:
                            p.appliance({"hot": "heat", "cool": "cool", "clean": "clean"}[need_state], o, app)
                        if not (o in state.contents.get(rt, ()) and rt != src):
                            p.put(o, rt)
                        yield p.acts


def plan(scene: Scene, state: State, goal, params: dict, max_candidates: int = 200_000) -> list[tuple] | None:
    """Shortest winning action list from ``state`` (``[]`` when already won, None when none is found)."""
    if goal(state):
        return []
    seen = set()
    ranked = []
    for i, acts in enumerate(candidate_plans(scene, state, params)):
        if i >= max_candidates:
            break
        key = tuple(acts)
        if key not in seen:
            seen.add(key)
            ranked.append(key)
    ranked.sort(key=len)
    for acts in ranked:
        n = _winning_length(scene, state, goal, acts)
        if n is not None:
            return list(acts[:n])
    return None


def _winning_length(scene: Scene, state: State, goal, acts) -> int | None:
    """How many of ``acts`` it takes to win from ``state`` (None if one is inadmissible or it never wins)."""
    s = state.copy()
    for i, a in enumerate(acts):
        if a not in scene.actions(s):
            return None
        scene.apply(s, a)
        if goal(s):
            return i + 1
    return None


class Expert:
    """Next-command oracle for a :class:`~spa_gym.envs.alfworld.env.NativeGame`; replans when the agent strays."""

    def __init__(self, game: "NativeGame") -> None:
        self.game = game
        self.params = goal_params(game.goal.formula)
        self._plan: list[tuple] | None = None
        self._at: State | None = None  # the state the plan's first action applies to

    def next_action(self) -> str | None:
        """The next command of a shortest plan from the current state (None when won or hopeless)."""
        g = self.game
        if g.won:
            return None
        if self._plan and self._at is not None:
            if self._at == g.state:  # nothing changed (look, examine, an invalid command)
                return g.text.command(self._plan[0])
            followed = self._at.copy()
            g.scene.apply(followed, self._plan[0])
            if len(self._plan) > 1 and followed == g.state:
                self._plan, self._at = self._plan[1:], followed
                return g.text.command(self._plan[0])
        self._plan = plan(g.scene, g.state, g.goal, self.params)
        if not self._plan:
            self._plan = None
            return None
        self._at = g.state.copy()
        return g.text.command(self._plan[0])


def solve(spec: "GameSpec") -> list[str] | None:
    """A shortest winning command list for ``spec`` from its start (None when the expert finds none)."""
    from spa_gym.envs.alfworld.env import NativeGame

    game = NativeGame(spec)
    game.reset()
    acts = plan(game.scene, game.state, game.goal, goal_params(game.goal.formula))
    if acts is None:
        return None
    return [game.text.command(a) for a in acts]
