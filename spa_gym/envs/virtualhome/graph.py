"""The environment graph: nodes with states, typed edges, and indexed edge lookups in both directions.

The executor asks "what is X ON", "who is CLOSE to the agent", "what is INSIDE this room" on every step;
keeping per-node ``{relation: set(ids)}`` maps for outgoing and incoming edges makes each of those a
dictionary lookup instead of a scan over thousands of edges.

>>> g = EnvGraph()
>>> g.add_node(Node(1, "kitchen", "Rooms"))
>>> g.add_node(Node(2, "cup", "Props", frozenset({"GRABBABLE"}), {"CLEAN"}))
>>> g.add_edge(2, "INSIDE", 1)
>>> g.targets(2, "INSIDE"), g.sources(1, "INSIDE"), g.has_edge(2, "INSIDE", 1)
({1}, {2}, True)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable, Iterator

from spa_gym.envs.virtualhome.properties import STATE_ORDER

_EMPTY: frozenset[int] = frozenset()


@dataclass(slots=True)
class Node:
    """One object of the scene. ``properties`` never change; ``states`` do."""

    id: int
    class_name: str
    category: str = "Props"
    properties: frozenset[str] = frozenset()
    states: set[str] = field(default_factory=set)
    prefab_name: str | None = None
    bounding_box: dict | None = None

    def copy(self) -> "Node":
        return Node(self.id, self.class_name, self.category, self.properties, set(self.states),
                    self.prefab_name, self.bounding_box)

    def sorted_states(self) -> list[str]:
        return sorted(self.states, key=lambda s: STATE_ORDER.get(s, len(STATE_ORDER)))

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "class_name": self.class_name, "category": self.category,
                "properties": sorted(self.properties), "states": self.sorted_states(),
                "prefab_name": self.prefab_name, "bounding_box": self.bounding_box}


class EnvGraph:
    """Nodes and directed typed edges ``(from_id, relation, to_id)`` with O(1) lookups both ways."""

    __slots__ = ("nodes", "by_class", "_out", "_in", "character_id", "_touched")

    def __init__(self) -> None:
        self.nodes: dict[int, Node] = {}
        self.by_class: dict[str, list[int]] = {}
        self._out: dict[int, dict[str, set[int]]] = {}
        self._in: dict[int, dict[str, set[int]]] = {}
        self.character_id: int = -1
        # Ids whose outgoing edges or states may have changed since mark_unchanged() (None: since ever, i.e.
        # all); only changes_from() reads it. Edge methods fill it; code that changes states calls touch().
        self._touched: set[int] | None = None

    # ------------------------------------------------------------------ building
    def add_node(self, node: Node) -> None:
        if node.id in self.nodes:
            raise ValueError(f"duplicate node id {node.id}")
        self.nodes[node.id] = node
        ids = self.by_class.setdefault(node.class_name, [])
        ids.append(node.id)
        ids.sort()
        self._out[node.id] = {}
        self._in[node.id] = {}
        if node.class_name == "character" and self.character_id < 0:
            self.character_id = node.id

    def add_edge(self, a: int, rel: str, b: int) -> None:
        self._out[a].setdefault(rel, set()).add(b)
        self._in[b].setdefault(rel, set()).add(a)
        if self._touched is not None:
            self._touched.add(a)

    def add_close(self, a: int, b: int) -> None:
        """CLOSE is symmetric in VirtualHome's executor: add it both ways."""
        self.add_edge(a, "CLOSE", b)
        self.add_edge(b, "CLOSE", a)

    def remove_edge(self, a: int, rel: str, b: int) -> None:
        out = self._out[a].get(rel)
        if out is not None:
            out.discard(b)
        inc = self._in[b].get(rel)
        if inc is not None:
            inc.discard(a)
        if self._touched is not None:
            self._touched.add(a)

    def remove_edges_of(self, node_id: int, relations: Iterable[str]) -> None:
        """Remove every edge of ``relations`` leaving or entering ``node_id``."""
        out, inc = self._out[node_id], self._in[node_id]
        touched = self._touched
        for rel in relations:
            for b in out.pop(rel, ()):
                self._in[b][rel].discard(node_id)
            for a in inc.pop(rel, ()):
                self._out[a][rel].discard(node_id)
                if touched is not None:
                    touched.add(a)
        if touched is not None:
            touched.add(node_id)

    # ------------------------------------------------------------------ queries
    def targets(self, a: int, rel: str) -> set[int] | frozenset[int]:
        """Ids ``b`` with an edge ``a -rel-> b`` (do not mutate the returned set)."""
        return self._out[a].get(rel) or _EMPTY

    def sources(self, b: int, rel: str) -> set[int] | frozenset[int]:
        """Ids ``a`` with an edge ``a -rel-> b`` (do not mutate the returned set)."""
        return self._in[b].get(rel) or _EMPTY

    def has_edge(self, a: int, rel: str, b: int) -> bool:
        return b in self.targets(a, rel)

    def edges(self) -> Iterator[tuple[int, str, int]]:
        """Every edge, in a deterministic order (by from id, relation, to id)."""
        for a in sorted(self._out):
            rels = self._out[a]
            for rel in sorted(rels):
                for b in sorted(rels[rel]):
                    yield a, rel, b

    def num_edges(self) -> int:
        return sum(len(s) for rels in self._out.values() for s in rels.values())

    def is_room(self, node_id: int) -> bool:
        return self.nodes[node_id].category == "Rooms"

    def rooms(self) -> list[int]:
        return sorted(i for i, n in self.nodes.items() if n.category == "Rooms")

    def mark_unchanged(self) -> None:
        """Start tracking changes: :meth:`changes_from` will then look only at nodes whose outgoing edges or
        states changed after this call, so call it when the graph equals the ``initial`` it is compared with."""
        self._touched = set()

    def touch(self, node_id: int) -> None:
        """Note that ``node_id``'s states changed (edge methods note their own changes)."""
        if self._touched is not None:
            self._touched.add(node_id)

    def changes_from(self, initial: "EnvGraph") -> tuple:
        """Where this graph differs from ``initial`` (the same house earlier), as plain sorted tuples:
        ``(node ids if they differ, ((id, ((relation, (to ids...)), ...)), ...) for nodes whose outgoing edges
        differ, ((id, (states...)), ...) for nodes whose states differ)``. Equal graphs give equal answers
        whatever the history of their sets (empty relation sets count as absent). Only nodes that differ are
        sorted, and after :meth:`mark_unchanged` only nodes whose edges were touched since are compared, so a
        step's state hash costs about what the step changed, not a sort of every edge."""
        ids: tuple = ()
        if self.nodes.keys() != initial.nodes.keys():
            ids = tuple(sorted(self.nodes))
        ref_out, edges, out = initial._out, [], self._out
        candidates = out.items() if self._touched is None else ((i, out[i]) for i in self._touched)
        for i, rels in candidates:
            ref = ref_out.get(i)
            if rels != ref and (ref is None or _present(rels) != _present(ref)):  # empty sets count as absent
                edges.append((i, _relations(rels)))
        ref_nodes, nodes = initial.nodes, self.nodes
        changed = nodes.items() if self._touched is None else ((i, nodes[i]) for i in self._touched)
        states = [(i, tuple(sorted(n.states))) for i, n in changed
                  if i not in ref_nodes or n.states != ref_nodes[i].states]
        return ids, tuple(sorted(edges)), tuple(sorted(states))

    # ------------------------------------------------------------------ copies and JSON
    def copy(self) -> "EnvGraph":
        g = EnvGraph.__new__(EnvGraph)
        g.nodes = {i: n.copy() for i, n in self.nodes.items()}
        g.by_class = {c: list(ids) for c, ids in self.by_class.items()}
        g._out = {i: {r: set(s) for r, s in rels.items() if s} for i, rels in self._out.items()}
        g._in = {i: {r: set(s) for r, s in rels.items() if s} for i, rels in self._in.items()}
        g.character_id = self.character_id
        g._touched = None if self._touched is None else set(self._touched)
        return g

    def __eq__(self, other: object) -> bool:
        return isinstance(other, EnvGraph) and self.to_json() == other.to_json()

    def __getstate__(self) -> dict:
        return self.to_json()

    def __setstate__(self, state: dict) -> None:
        g = EnvGraph.from_json(state)
        for name in EnvGraph.__slots__:
            setattr(self, name, getattr(g, name))

    def to_json(self) -> dict[str, list]:
        """VirtualHome's graph format: ``{"nodes": [...], "edges": [{from_id, relation_type, to_id}]}``."""
        return {"nodes": [self.nodes[i].to_json() for i in sorted(self.nodes)],
                "edges": [{"from_id": a, "relation_type": r, "to_id": b} for a, r, b in self.edges()]}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "EnvGraph":
        """Build a graph from VirtualHome's JSON format; duplicate nodes and edges are dropped."""
        g = cls()
        for nd in data["nodes"]:
            if int(nd["id"]) in g.nodes:
                continue
            g.add_node(Node(int(nd["id"]), str(nd["class_name"]), str(nd.get("category") or "Props"),
                            frozenset(nd.get("properties") or ()), set(nd.get("states") or ()),
                            nd.get("prefab_name"), nd.get("bounding_box")))
        for e in data["edges"]:
            a, b = int(e["from_id"]), int(e["to_id"])
            if a in g.nodes and b in g.nodes:
                g.add_edge(a, str(e["relation_type"]).upper(), b)
        return g


def _present(rels: dict[str, set[int]]) -> dict[str, set[int]]:
    return {r: ids for r, ids in rels.items() if ids}


def _relations(rels: dict[str, set[int]]) -> tuple:
    return tuple(sorted((r, tuple(sorted(ids))) for r, ids in rels.items() if ids))
