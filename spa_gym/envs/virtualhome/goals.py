"""Goals as graph conditions, SPA-RL's success rule: exact node states, required edges, forbidden edges.

A goal is met when every goal node has exactly the required state set, every required edge is present
and no forbidden edge is. Goals of generated tasks are the diff of a reference plan's initial and final
graphs, leaving out CLOSE and FACING edges, edges of the character, and edges into rooms (where an
object "is" in VirtualHome depends on executor quirks, not on what the task asks).

>>> from spa_gym.envs.virtualhome.graph import EnvGraph, Node
>>> g = EnvGraph(); g.add_node(Node(1, "kitchen", "Rooms")); g.add_node(Node(2, "tv", "Props", states={"OFF"}))
>>> goal = Goal({2: frozenset({"ON"})})
>>> goal.satisfied(g)
False
>>> g.nodes[2].states = {"ON"}; goal.satisfied(g)
True
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from spa_gym.envs.virtualhome.graph import EnvGraph
from spa_gym.envs.virtualhome.properties import STATE_ORDER

Edge = tuple[int, str, int]
_IGNORED_RELATIONS = frozenset({"CLOSE", "FACING"})


@dataclass(frozen=True)
class Goal:
    """Required exact state sets per node id, edges that must be present, edges that must be absent."""

    node_states: dict[int, frozenset[str]] = field(default_factory=dict)
    required_edges: frozenset[Edge] = frozenset()
    forbidden_edges: frozenset[Edge] = frozenset()

    def satisfied(self, g: EnvGraph) -> bool:
        nodes = g.nodes
        for i, states in self.node_states.items():
            n = nodes.get(i)
            if n is None or n.states != states:
                return False
        for a, rel, b in self.required_edges:
            if not g.has_edge(a, rel, b):
                return False
        for a, rel, b in self.forbidden_edges:
            if g.has_edge(a, rel, b):
                return False
        return True

    def unmet(self, g: EnvGraph) -> int:
        """How many conditions are not met (0 when satisfied)."""
        n = sum(g.nodes[i].states != s for i, s in self.node_states.items() if i in g.nodes)
        n += sum(not g.has_edge(*e) for e in self.required_edges)
        return n + sum(g.has_edge(*e) for e in self.forbidden_edges)

    def is_empty(self) -> bool:
        return not (self.node_states or self.required_edges or self.forbidden_edges)

    def to_json(self) -> dict[str, Any]:
        """Our readable form: sorted, JSON-safe."""
        return {"node_states": {str(i): sorted(s, key=STATE_ORDER.get) for i, s in sorted(self.node_states.items())},
                "required_edges": [list(e) for e in sorted(self.required_edges)],
                "forbidden_edges": [list(e) for e in sorted(self.forbidden_edges)]}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "Goal":
        return cls({int(i): frozenset(s) for i, s in data["node_states"].items()},
                   frozenset((int(a), str(r), int(b)) for a, r, b in data["required_edges"]),
                   frozenset((int(a), str(r), int(b)) for a, r, b in data["forbidden_edges"]))

    def to_revised_graph(self, g: EnvGraph) -> dict[str, Any]:
        """SPA-RL's ``revised_graph`` record (``revised_nodes`` holds the forbidden *edges*)."""
        nodes = []
        for i, states in sorted(self.node_states.items()):
            d = g.nodes[i].to_json()
            d["states"] = sorted(states, key=STATE_ORDER.get)
            nodes.append(d)
        edge = lambda e: {"from_id": e[0], "relation_type": e[1], "to_id": e[2]}  # noqa: E731
        return {"nodes": nodes, "revised_nodes": [edge(e) for e in sorted(self.forbidden_edges)],
                "revised_add_edges": [edge(e) for e in sorted(self.required_edges)]}

    @classmethod
    def from_revised_graph(cls, revised: dict[str, Any]) -> "Goal":
        """Read SPA-RL's ``revised_graph``. Only ``states`` of goal nodes are checked: the other keys of a
        goal node (class, properties) never change in the executor."""
        def edges(key: str) -> frozenset[Edge]:
            return frozenset((int(e["from_id"]), str(e["relation_type"]).upper(), int(e["to_id"]))
                             for e in revised.get(key) or ())
        return cls({int(n["id"]): frozenset(n.get("states") or ()) for n in revised.get("nodes") or ()},
                   edges("revised_add_edges"), edges("revised_nodes"))


def _goal_edges(g: EnvGraph) -> set[Edge]:
    char = g.character_id
    return {(a, r, b) for a, r, b in g.edges()
            if r not in _IGNORED_RELATIONS and char not in (a, b) and not g.is_room(b)}


def diff_goal(initial: EnvGraph, final: EnvGraph) -> Goal:
    """The goal a plan reached: changed node states (exact), added edges, removed edges."""
    states = {i: frozenset(n.states) for i, n in final.nodes.items()
              if i in initial.nodes and initial.nodes[i].states != n.states}
    before, after = _goal_edges(initial), _goal_edges(final)
    return Goal(states, frozenset(after - before), frozenset(before - after))
