"""Read official ALFWorld ``game.tw-pddl`` files (plain or ``.gz``) into :class:`GameSpec` records.

What a file holds (spec §7, §13): the PDDL domain, the TextWorld grammar with the goal sentence written
in, the PDDL problem, ``solvable`` and sometimes a ``walkthrough``. The wording ("classic" or "v04") is
read from the grammar, the task type and ``pddl_params`` from a ``traj_data.json`` beside the file
(inferred from the goal otherwise). The json_2.1.x domains also clean in ``SinkType`` receptacles; that
is recorded in ``GameSpec.scene["clean_in_sink_type"]``, and whether the file offers ``help`` in
``GameSpec.scene["help"]``; the engine honours both.
"""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path

from spa_gym.envs.alfworld.game import GameSpec
from spa_gym.envs.alfworld.goals import goal_params
from spa_gym.envs.alfworld.pddl import parse_problem

#: Actions of every alfred.pddl the engine knows; a domain with others is refused.
KNOWN_ACTIONS = frozenset({
    "look", "inventory", "examinereceptacle", "examineobject", "gotolocation", "openobject", "closeobject",
    "pickupobject", "putobject", "cleanobject", "heatobject", "coolobject", "toggleobject", "sliceobject", "help"})

_TASK_SENTENCE = re.compile(r'"rhs":\s*"Your task is to: (.*?)\.?"\s*}')
_COMMENT = re.compile(r";[^\n]*")


def _domain_facts(domain: str, where: str) -> tuple[bool, bool]:
    """Check the domain is one we implement; return (cleans in SinkType receptacles, has ``help``)."""
    code = _COMMENT.sub("", domain).lower()
    actions = set(re.findall(r"\(:action\s+([^\s()]+)", code))
    unknown = sorted(actions - KNOWN_ACTIONS)
    if unknown:
        raise ValueError(f"{where}: the PDDL domain has actions the native engine does not implement: {unknown}")
    if "putobject" not in actions or "gotolocation" not in actions:
        raise ValueError(f"{where}: the PDDL domain is not ALFWorld's alfred domain (no GotoLocation/PutObject)")
    return bool(re.search(r"\(receptacletype \?r sinktype\)", code)), "help" in actions


def _infer_task_type(params: dict) -> str:
    if params["toggle_type"]:
        return "look_at_obj_in_light"
    if params["count"] == 2:
        return "pick_two_obj_and_place"
    return {"hot": "pick_heat_then_place_in_recep", "cool": "pick_cool_then_place_in_recep",
            "clean": "pick_clean_then_place_in_recep", None: "pick_and_place_simple"}[params["state"]]


def _class_name(type_id: str | None, problem: str) -> str:
    """``"appletype"`` -> ``"Apple"`` using the spelling of the problem text."""
    if not type_id:
        return ""
    m = re.search(r"\b(" + re.escape(type_id) + r")\b", problem, flags=re.IGNORECASE)
    text = m.group(1) if m else type_id
    return text[:-4] if text.lower().endswith("type") else text


def read_game_file(path: str | Path) -> dict:
    """A ``game.tw-pddl`` file (plain or gzipped) as its JSON object, checked to hold its domain, grammar
    and problem; ``ValueError`` naming the file otherwise."""
    path = Path(path)
    try:
        raw = path.read_bytes()
        if path.suffix == ".gz" or raw[:2] == b"\x1f\x8b":
            raw = gzip.decompress(raw)
        data = json.loads(raw)
    except (OSError, ValueError, EOFError) as exc:
        raise ValueError(f"{path}: not a readable game.tw-pddl file ({type(exc).__name__}: {exc})") from exc
    if not isinstance(data, dict):
        raise ValueError(f"{path}: a game.tw-pddl file holds a JSON object, got {type(data).__name__}")
    missing = [k for k in ("pddl_domain", "grammar", "pddl_problem") if not isinstance(data.get(k), str)]
    if missing:
        raise ValueError(f"{path}: game.tw-pddl lacks {', '.join(missing)}")
    return data


def load_game_file(path: str | Path) -> GameSpec:
    """Read one official ``game.tw-pddl`` (or ``game.tw-pddl.gz``) file.

    Raises ``ValueError`` naming the file and the problem when it is unreadable, lacks a part, or holds
    content the native engine does not implement.
    """
    path = Path(path)
    where = str(path)
    data = read_game_file(path)
    grammar, problem_text = data["grammar"], data["pddl_problem"]
    sink_type, has_help = _domain_facts(data["pddl_domain"], where)
    dialect = "v04" if 'template :: "move {o} to {r}"' in grammar else "classic"
    if dialect == "classic" and 'template :: "put {o} in/on {r}"' not in grammar:
        raise ValueError(f"{where}: the grammar has neither the classic nor the v04 put/move template")
    m = _TASK_SENTENCE.search(grammar)
    if not m:
        raise ValueError(f"{where}: the grammar has no 'Your task is to: ...' sentence")
    goal_sentence = m.group(1)
    if goal_sentence == "UNKNOWN GOAL":
        raise ValueError(f"{where}: the grammar's task sentence is the UNKNOWN GOAL placeholder")
    problem = parse_problem(problem_text, where)
    params = goal_params(problem.goal)
    task_type = _infer_task_type(params)
    pddl_params = {"object_target": _class_name(params["object_type"], problem_text),
                   "parent_target": _class_name(params["receptacle_type"], problem_text),
                   "toggle_target": _class_name(params["toggle_type"], problem_text),
                   "mrecep_target": "", "object_sliced": False}
    traj = path.parent / "traj_data.json"
    if traj.is_file():
        try:
            traj_data = json.loads(traj.read_text())
            task_type = traj_data.get("task_type", task_type)
            pddl_params = dict(traj_data.get("pddl_params") or pddl_params)
        except (OSError, ValueError) as exc:
            raise ValueError(f"{traj}: unreadable traj_data.json ({exc})") from exc
    walkthrough = data.get("walkthrough")
    if walkthrough is not None and not (isinstance(walkthrough, list) and all(isinstance(c, str) for c in walkthrough)):
        raise ValueError(f"{where}: 'walkthrough' must be a list of commands")
    try:
        return GameSpec(problem=problem_text, task_type=task_type, goal=goal_sentence, dialect=dialect, name=where,
                        pddl_params=pddl_params, walkthrough=tuple(walkthrough) if walkthrough else None,
                        scene={"clean_in_sink_type": sink_type, "help": has_help and "action help" in grammar,
                               "solvable": data.get("solvable")})
    except ValueError as exc:
        raise ValueError(f"{where}: {exc}") from exc
