"""Win conditions: the problem's ``:goal`` formula evaluated on our state, the way Fast Downward checks it.

The six ALFWorld goals are existential conjunctions over typed objects (``goal_library.py``). Instead of
grounding them, :class:`Goal` solves each conjunction by backtracking, binding a variable from the
smallest index an atom offers (objects of a type, contents of a receptacle, ...), so a check costs a
few microseconds. :func:`goal_params` reads the task's parameters (object type, receptacle type,
required state, lamp type) from the same formula; the expert plans with them.

>>> from spa_gym.envs.alfworld.pddl import parse_problem
>>> from spa_gym.envs.alfworld.world import Scene, TINY_PROBLEM
>>> problem = parse_problem(TINY_PROBLEM)
>>> scene = Scene.from_problem(problem); state = scene.initial_state(); goal = Goal(problem.goal, scene)
>>> goal(state)
False
>>> state.contents["fridge_bar_01"].add("apple_bar_01"); goal(state)
True
>>> goal_params(problem.goal)["object_type"], goal_params(problem.goal)["receptacle_type"]
('appletype', 'fridgetype')
"""

from __future__ import annotations

from spa_gym.envs.alfworld.world import Scene, State

_UNARY_STATE = {"ishot": "hot", "iscool": "cool", "isclean": "clean", "issliced": "sliced",
                "istoggled": "toggled", "ison": "on", "opened": "opened"}
_UNARY_STATIC = {"openable": "openable", "pickupable": "pickupable", "heatable": "heatable",
                 "coolable": "coolable", "cleanable": "cleanable", "toggleable": "toggleable",
                 "sliceable": "sliceable", "isreceptacleobject": "receptacle_objects"}
_SUPPORTED = set(_UNARY_STATE) | set(_UNARY_STATIC) | {
    "inreceptacle", "objecttype", "receptacletype", "holds", "holdsany", "atlocation", "receptacleatlocation",
    "objectatlocation", "cancontain", "inreceptacleobject", "="}


class Goal:
    """A compiled goal formula; call it on a :class:`State` to get ``won``."""

    def __init__(self, formula: tuple, scene: Scene, where: str = "goal") -> None:
        self.formula, self.scene = formula, scene
        self._check(formula, where)
        by_type: dict[str, list[str]] = {}
        for o, t in scene.otype.items():
            by_type.setdefault(t, []).append(o)
        for r, t in scene.rtype.items():
            by_type.setdefault(t, []).append(r)
        self._of_type = by_type
        start = scene.initial_state()
        objects = sorted(set(scene.otype) | {o for c in start.contents.values() for o in c})
        self._domains = {"object": objects, "receptacle": list(scene.receptacles),
                         "location": sorted(set(scene.rloc.values()) | {start.agent_loc}),
                         "agent": [scene.agent], "otype": sorted(set(scene.otype.values())),
                         "rtype": sorted(set(scene.rtype.values()))}

    def _check(self, f: tuple, where: str) -> None:
        head = f[0]
        if head in ("and", "or"):
            for g in f[1:]:
                self._check(g, where)
        elif head == "not":
            self._check(f[1], where)
        elif head in ("exists", "forall"):
            self._check(f[2], where)
        elif head not in _SUPPORTED:
            raise ValueError(f"{where}: goal predicate {head!r} is not supported by the native engine")

    def __call__(self, state: State) -> bool:
        return self._eval(self.formula, {}, state)

    # ------------------------------------------------------------------ evaluation
    def _atom(self, f: tuple, b: dict, s: State) -> bool:
        sc = self.scene
        head = f[0]
        args = [b.get(a, a) for a in f[1:]]
        if head in _UNARY_STATE:
            return args[0] in getattr(s, _UNARY_STATE[head])
        if head in _UNARY_STATIC:
            return args[0] in getattr(sc, _UNARY_STATIC[head])
        if head == "inreceptacle":
            return args[0] in s.contents.get(args[1], ())
        if head == "objecttype":
            return sc.otype.get(args[0]) == args[1]
        if head == "receptacletype":
            return sc.rtype.get(args[0]) == args[1]
        if head == "holds":
            return args[0] == sc.agent and s.holding == args[1]
        if head == "holdsany":
            return args[0] == sc.agent and s.holding is not None
        if head == "atlocation":
            return args[0] == sc.agent and s.agent_loc == args[1]
        if head == "receptacleatlocation":
            return sc.rloc.get(args[0]) == args[1]
        if head == "objectatlocation":
            return args[0] in s.at_loc.get(args[1], ())
        if head == "cancontain":
            return (args[0], args[1]) in sc.can_contain
        if head == "inreceptacleobject":
            return args[0] in sc.inner_objects.get(args[1], ())
        if head == "=":
            return args[0] == args[1]
        raise AssertionError(head)

    def _candidates(self, f: tuple, var: str, b: dict, s: State):
        """Values of ``var`` that can make atom ``f`` true, or None when the atom offers no index."""
        sc, head = self.scene, f[0]
        args = [b.get(a, a) for a in f[1:]]
        pos = f.index(var) - 1
        other = args[1 - pos] if len(args) == 2 else None
        bound_other = other is not None and not other.startswith("?")
        if head == "objecttype" and pos == 0 and bound_other:
            return [o for o in self._of_type.get(other, ()) if o in sc.otype]
        if head == "receptacletype" and pos == 0 and bound_other:
            return [r for r in self._of_type.get(other, ()) if r in sc.rtype]
        if head == "inreceptacle" and bound_other:
            return list(s.contents.get(other, ())) if pos == 0 else [r for r in sc.receptacles
                                                                     if other in s.contents.get(r, ())]
        if head == "holds" and pos == 1:
            return [s.holding] if s.holding is not None else []
        if head in ("holds", "holdsany", "atlocation") and pos == 0:
            return [sc.agent]
        if head == "atlocation" and pos == 1:
            return [s.agent_loc]
        if head == "receptacleatlocation" and bound_other:
            return list(sc.loc_receptacles.get(other, ())) if pos == 0 else [sc.rloc[other]] if other in sc.rloc else []
        if head == "objectatlocation" and pos == 0 and bound_other:
            return list(s.at_loc.get(other, ()))
        if head in _UNARY_STATE:
            return list(getattr(s, _UNARY_STATE[head]))
        if head in _UNARY_STATIC:
            return list(getattr(sc, _UNARY_STATIC[head]))
        return None

    def _eval(self, f: tuple, b: dict, s: State) -> bool:
        head = f[0]
        if head == "and":
            return all(self._eval(g, b, s) for g in f[1:])
        if head == "or":
            return any(self._eval(g, b, s) for g in f[1:])
        if head == "not":
            return not self._eval(f[1], b, s)
        if head == "exists":
            params, body = list(f[1]), f[2]
            while body[0] == "exists":  # exists r: exists o: ...  ==  exists r, o: ...
                params += body[1]
                body = body[2]
            conj = list(body[1:]) if body[0] == "and" else [body]
            return self._solve(conj, [v for v, _ in params], dict(params), b, s)
        if head == "forall":
            params = f[1]
            # forall x: P  ==  not exists x: not P
            return not self._solve([("not", f[2])], [v for v, _ in params], dict(params), b, s)
        return self._atom(f, b, s)

    def _free(self, f: tuple, b: dict) -> set[str]:
        if f[0] in ("and", "or"):
            return set().union(*(self._free(g, b) for g in f[1:]))
        if f[0] == "not":
            return self._free(f[1], b)
        if f[0] in ("exists", "forall"):
            return self._free(f[2], b) - {v for v, _ in f[1]}
        return {a for a in f[1:] if a.startswith("?") and a not in b}

    def _solve(self, conj: list, unbound: list[str], types: dict, b: dict, s: State) -> bool:
        # Check every conjunct whose variables are all bound; fail fast.
        todo = []
        for g in conj:
            if self._free(g, b):
                todo.append(g)
            elif not self._eval(g, b, s):
                return False
        free_vars = [v for v in unbound if v not in b]
        if not free_vars:
            return True
        # Bind the variable with the smallest candidate list any positive atom offers.
        best = None
        for g in todo:
            if g[0] in ("and", "or", "not", "exists", "forall", "="):
                continue
            for v in g[1:]:
                if v in free_vars:
                    cands = self._candidates(g, v, b, s)
                    if cands is not None and (best is None or len(cands) < len(best[1])):
                        best = (v, cands)
        if best is None:
            v = free_vars[0]
            best = (v, self._domains.get(types[v], []))
        var, cands = best
        for value in sorted(cands):
            b2 = dict(b)
            b2[var] = value
            if self._solve(todo, unbound, types, b2, s):
                return True
        return False


def goal_params(formula: tuple) -> dict:
    """Task parameters read from a goal formula (lower-case type names; None when absent).

    Keys: ``object_type``, ``receptacle_type``, ``toggle_type``, ``state`` (``"hot"``, ``"cool"``,
    ``"clean"`` or None), ``count`` (2 for pick-two goals, else 1).
    """
    found = {"object_type": None, "receptacle_type": None, "toggle_type": None, "state": None, "count": 1}
    object_vars: set[str] = set()

    def walk(f: tuple) -> None:
        head = f[0]
        if head in ("and", "or"):
            for g in f[1:]:
                walk(g)
        elif head == "not":
            if f[1][0] == "=":
                found["count"] = 2
            walk(f[1])
        elif head in ("exists", "forall"):
            walk(f[2])
        elif head == "objecttype":
            object_vars.add(f[1])
            if f[2] in ("desklamptype", "floorlamptype"):
                found["toggle_type"] = f[2]
            else:
                found["object_type"] = f[2]
        elif head == "receptacletype":
            found["receptacle_type"] = f[2]
        elif head in ("ishot", "iscool", "isclean"):
            found["state"] = {"ishot": "hot", "iscool": "cool", "isclean": "clean"}[head]

    walk(formula)
    return found
