"""The expert: turns unmet goal conditions into commands, checking each one on a simulated copy of the world.

Every command the expert proposes has been executed on a copy of the world and resolved to the intended
node, so a plan that comes back is a plan that works. The same :class:`Planner` writes the reference plans
of generated tasks (there it may *name* instances, which become the task's ``object_id_dict``, as SPA-RL's
records seed name resolution with the ground-truth instances).

>>> from spa_gym.envs.virtualhome.tasks import load_task
>>> from spa_gym.envs.virtualhome.world import World
>>> task = load_task("test", 0)
>>> world = World(task.initial_graph(), task.object_ids)
>>> plan = expert_plan(world, task.goal)
>>> len(plan) > 0 and task.goal.satisfied(run_plan(world, plan).graph)
True
"""

from __future__ import annotations

import numpy as np

from spa_gym.envs.virtualhome.executor import close_to, free_hand, held_objects, holding, inside_closed, room_of
from spa_gym.envs.virtualhome.goals import Goal
from spa_gym.envs.virtualhome.text import format_command
from spa_gym.envs.virtualhome.world import World


class PlanError(RuntimeError):
    """The planner could not reach a condition (the message says which and why)."""


class Planner:
    """Writes commands for high-level operations, executing each on ``world`` (a copy the caller owns).

    Args:
        world: the simulated world; it is changed as commands run.
        name_instances: when True the planner may bind a class name to the instance it needs (task
            generation); when False a node is only addressed if name resolution already picks it.
        max_commands: give up beyond this many commands.
    """

    def __init__(self, world: World, name_instances: bool = False, max_commands: int = 40) -> None:
        self.world = world
        self.g = world.graph
        self.name_instances = name_instances
        self.max_commands = max_commands
        self.commands: list[str] = []
        self.named: dict[str, int] = {}
        self.keep: set[int] = set()  # held objects the plan still needs
        self._rng = np.random.default_rng(0)  # only used for single-instance classes: choice is certain

    # ------------------------------------------------------------------ addressing and running
    def _address(self, node: int, walking: bool) -> str:
        g, w = self.g, self.world
        cls = g.nodes[node].class_name
        if w.specific_objects.get(cls) == node:
            return cls
        if self.name_instances and cls not in self.named:
            w.specific_objects[cls] = node
            self.named[cls] = node
            return cls
        peek, _ = w.resolve_name(cls, walking, None)
        if peek == node or (peek is None and g.by_class.get(cls) == [node]):
            return cls
        raise PlanError(f"{cls} ({node}) can not be named unambiguously")

    def do(self, action: str, *nodes: int) -> None:
        if len(self.commands) >= self.max_commands:
            raise PlanError("plan too long")
        walking = action in ("WALK", "RUN", "FIND")
        names = []
        for k, n in enumerate(nodes):
            if k == 0 and len(nodes) == 2:  # the held object of a put/pour is found by holding, not by name
                names.append(self.g.nodes[n].class_name)
            else:
                names.append(self._address(n, walking))
        command = format_command(action, *names)
        out = self.world.step(command, self._rng)
        if not out.success:
            raise PlanError(f"{command!r} failed: {out.reason}")
        if nodes and self.world.last_obj_id != nodes[-1]:
            raise PlanError(f"{command!r} addressed node {self.world.last_obj_id}, not {nodes[-1]}")
        self.commands.append(command)

    # ------------------------------------------------------------------ building blocks
    def stand(self) -> None:
        if self.world.posture():  # in spa mode only the start posture blocks walking (and allows standing up)
            self.do("STANDUP")

    def approach(self, x: int) -> None:
        g = self.g
        if close_to(g, x) and room_of(g, g.character_id) == room_of(g, x):
            return
        self.stand()
        room = room_of(g, x)
        if room is not None and room != room_of(g, g.character_id):
            self.do("WALK", room)
        self.do("WALK", x)

    def free_a_hand(self) -> None:
        if free_hand(self.g) is not None:
            return
        spare = [h for h in held_objects(self.g) if h not in self.keep] or held_objects(self.g)
        self.do("DROP", spare[-1])

    def get(self, x: int) -> None:
        g = self.g
        if holding(g, x):
            return
        self.approach(x)
        for c in sorted(g.targets(x, "INSIDE")):
            if not g.is_room(c) and "CLOSED" in g.nodes[c].states:
                self.open(c)
        if inside_closed(g, x):
            raise PlanError(f"{g.nodes[x].class_name} stays shut in")
        self.free_a_hand()
        self.do("GRAB", x)
        self.keep.add(x)

    def open(self, x: int) -> None:
        g = self.g
        if "OPEN" in g.nodes[x].states:
            return
        self.approach(x)
        if "ON" in g.nodes[x].states:
            self.do("SWITCHOFF", x)
        self.free_a_hand()
        self.do("OPEN", x)

    def place(self, x: int, y: int, relation: str) -> None:
        self.get(x)
        self.approach(y)
        if relation == "INSIDE" and "CAN_OPEN" in self.g.nodes[y].properties:
            self.open(y)
        self.do("PUTIN" if relation == "INSIDE" else "PUTBACK", x, y)
        self.keep.discard(x)

    def set_state(self, x: int, state: str) -> None:
        g = self.g
        states = g.nodes[x].states
        if state in states:
            return
        if state == "OPEN":
            self.open(x)
            return
        self.approach(x)
        if state == "CLOSED":
            self.do("CLOSE", x)
        elif state == "ON":
            if "PLUGGED_OUT" in states:
                self.free_a_hand()
                self.do("PLUGIN", x)
            self.do("SWITCHON", x)
        elif state == "OFF":
            self.do("SWITCHOFF", x)
        elif state in ("PLUGGED_IN", "PLUGGED_OUT"):
            self.free_a_hand()
            self.do("PLUGIN" if state == "PLUGGED_IN" else "PLUGOUT", x)
        elif state == "CLEAN":
            self.do("WASH", x)
        else:
            raise PlanError(f"no action makes {g.nodes[x].class_name} {state}")

    def rest(self, seat: int, posture: str) -> None:
        g = self.g
        if posture in g.nodes[g.character_id].states:
            return
        if not close_to(g, seat):
            self.approach(seat)
        self.do("SIT" if posture == "SITTING" else "LIE", seat)


# ---------------------------------------------------------------------- goal -> plan
_STATE_ORDER = ("PLUGGED_IN", "OPEN", "CLOSED", "CLEAN", "ON", "OFF", "PLUGGED_OUT")
_POSTURES = ("SITTING", "LYING")


def _seats(world: World, posture: str) -> list[int]:
    """Seats to try for a posture: the task's named instances first, then every other one by id."""
    g = world.graph
    prop = "SITTABLE" if posture == "SITTING" else "LIEABLE"
    named = [i for i in world.object_ids.values() if i in g.nodes and prop in g.nodes[i].properties]
    others = [i for i in sorted(g.nodes) if prop in g.nodes[i].properties and i not in named]
    return sorted(set(named)) + others


def plan_into(planner: Planner, goal: Goal) -> None:
    """Run the commands that reach ``goal`` on the planner's world (raises :class:`PlanError`)."""
    g = planner.g
    char = g.character_id
    for _ in range(3):  # a later step can undo an earlier one (e.g. opening a goal container): re-check
        if goal.satisfied(g):
            return
        # Pick things up first: grabbing X also unlinks whatever is ON or INSIDE X, so putting something
        # into an object that still has to be picked up would be undone.
        for x, rel, y in sorted(goal.forbidden_edges):
            if g.has_edge(x, rel, y):
                planner.get(x)
        for x, rel, y in sorted(goal.required_edges):
            if not g.has_edge(x, rel, y):
                planner.place(x, y, rel)
        for node, target in sorted(goal.node_states.items()):
            if node == char:
                continue
            missing = target - g.nodes[node].states
            for state in sorted(missing, key=lambda s: _STATE_ORDER.index(s) if s in _STATE_ORDER else 99):
                planner.set_state(node, state)
        target = goal.node_states.get(char)
        if target is not None:
            wanted = [p for p in _POSTURES if p in target]
            if not wanted:
                planner.stand()
            else:
                last_error: PlanError | None = None
                for seat in _seats(planner.world, wanted[0]):
                    trial = Planner(planner.world.copy(), planner.name_instances, planner.max_commands)
                    trial.commands, trial.named = list(planner.commands), dict(planner.named)
                    trial.keep = set(planner.keep)
                    try:
                        trial.rest(seat, wanted[0])
                    except PlanError as exc:
                        last_error = exc
                        continue
                    planner.world, planner.g = trial.world, trial.world.graph
                    planner.commands, planner.named = trial.commands, trial.named
                    g = planner.g
                    break
                else:
                    raise PlanError(f"no seat for {wanted[0]}: {last_error}")
    if not goal.satisfied(g):
        raise PlanError("goal not reached")


def expert_plan(world: World, goal: Goal, max_commands: int = 40) -> list[str]:
    """Commands that take ``world`` (not modified) to ``goal``; empty when it is already met.

    Raises :class:`PlanError` when the expert can not solve it from here (e.g. the agent broke something
    the goal needs, or re-bound a name to another instance).
    """
    planner = Planner(world.copy(), name_instances=False, max_commands=max_commands)
    plan_into(planner, goal)
    return planner.commands


def run_plan(world: World, commands: list[str], rng: np.random.Generator | None = None) -> World:
    """A copy of ``world`` after ``commands`` (each must succeed)."""
    w = world.copy()
    rng = rng if rng is not None else np.random.default_rng(0)
    for c in commands:
        out = w.step(c, rng)
        if not out.success:
            raise PlanError(f"{c!r} failed: {out.reason}")
    return w
