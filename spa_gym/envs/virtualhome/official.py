"""Read a user's official VirtualHome data: graph JSON, program files, and SPA-RL task records.

Nothing is downloaded: point :class:`OfficialTasks` (or ``VirtualHomeEnv(data_dir=...)``) at a copy of the
dataset folder ``programs_processed_precond_nograb_morepreconds`` (or any folder with the same layout:
``init_and_final_graphs/**/<name>.json`` holding ``{"init_graph", "final_graph"}``, and the program text
under ``executable_programs/**/<name>.txt`` or ``withoutconds/**/<name>.txt``). A task's goal is the
diff of its initial and final graphs, as for generated tasks.

>>> text = "Watch TV\\nTurn the TV on.\\n\\n\\n[Walk] <living_room> (1.11)\\n[SwitchOn] <television> (1.243)\\n"
>>> prog = parse_program(text)
>>> prog.title, prog.lines[1]
('Watch TV', ProgramLine(action='SWITCHON', args=(('television', 1, 243),)))
>>> program_commands(prog)
['walk to living room', 'switch on television']
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from spa_gym.core.seeding import stable_seed
from spa_gym.core.tasks import TaskSet
from spa_gym.core.text import extra_characters
from spa_gym.envs.virtualhome import executor
from spa_gym.envs.virtualhome.goals import Goal, diff_goal
from spa_gym.envs.virtualhome.graph import EnvGraph
from spa_gym.envs.virtualhome.properties import properties_of
from spa_gym.envs.virtualhome.tasks import Task
from spa_gym.envs.virtualhome.text import format_command

_LINE = re.compile(r"\[(\w+)\]((?:\s*<[^>]+>\s*\([\d.]+\))*)")
_ARG = re.compile(r"<([^>]+)>\s*\(([\d.]+)\)")


@dataclass(frozen=True)
class ProgramLine:
    """One script line: the action and its arguments as ``(class_name, instance, node_id or None)``."""

    action: str
    args: tuple[tuple[str, int, int | None], ...]


@dataclass(frozen=True)
class Program:
    title: str
    description: str
    lines: tuple[ProgramLine, ...]


def remove_duplicate_edges(edges: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """SPA-RL's clean-up of a loaded graph: INSIDE self-loops and the second edge of a mutual INSIDE pair
    are dropped (the original mutates the list while iterating; this is the result it aims at)."""
    kept, inside = [], set()
    for e in edges:
        a, rel, b = int(e["from_id"]), str(e["relation_type"]).upper(), int(e["to_id"])
        if rel == "INSIDE":
            if a == b or (b, a) in inside:
                continue
            inside.add((a, b))
        kept.append(e)
    return kept


def load_graph(source: str | Path | dict[str, Any], clean_edges: bool = True) -> EnvGraph:
    """An official graph (file path or parsed JSON). Optional keys may be missing (trimmed scenes); nodes
    without a ``properties`` key get ours. Duplicate nodes and edges are dropped.

    ``clean_edges`` applies SPA-RL's :func:`remove_duplicate_edges`, as its env does on load; pass False to
    get the graph exactly as the file has it (what VirtualHome's own executor sees)."""
    data = json.loads(Path(source).read_text()) if not isinstance(source, dict) else source
    nodes = []
    for n in data["nodes"]:
        n = dict(n)
        if "properties" not in n:
            n["properties"] = list(properties_of(str(n["class_name"])))
        nodes.append(n)
    edges = list(data["edges"])
    g = EnvGraph.from_json({"nodes": nodes, "edges": remove_duplicate_edges(edges) if clean_edges else edges})
    if g.character_id < 0:
        raise ValueError("the graph has no 'character' node")
    return g


def parse_program(text: str) -> Program:
    """A program file: title, description, then lines like ``[Walk] <living_room> (1)`` or ``(1.243)``
    (instance 1 = node 243). Precondition headers and multi-agent prefixes (``<char0> ... | ...``) are
    handled: only the first agent's part is kept."""
    header: list[str] = []
    lines: list[ProgramLine] = []
    for raw in text.splitlines():
        line = raw.split(" | ")[0].strip()
        line = re.sub(r"^<char\d+>\s*", "", line)
        m = _LINE.match(line)
        if m is None:
            if line and not lines and not re.match(r"^\d+$|^\w+: \(", line):
                header.append(line)
            continue
        args = []
        for name, ref in _ARG.findall(m.group(2)):
            inst, _, node = ref.partition(".")
            args.append((name.strip().lower(), int(inst), int(node) if node else None))
        lines.append(ProgramLine(m.group(1).upper(), tuple(args)))
    title = header[0] if header else ""
    description = header[1] if len(header) > 1 else ""
    return Program(title, description, tuple(lines))


def program_commands(program: Program) -> list[str]:
    """The program as SPA-RL text commands (actions our grammar can not write are skipped)."""
    out = []
    for line in program.lines:
        if line.action in executor.ARITY and len(line.args) == executor.ARITY[line.action]:
            action = "LOOKAT" if line.action.startswith("LOOKAT") else line.action
            out.append(format_command(action, *(a[0] for a in line.args)))
    return out


def run_program(graph: EnvGraph, program: Program, strict: bool = False) -> EnvGraph:
    """Execute a program with node ids (``executable_programs`` form) on a copy of ``graph``, with VirtualHome
    HEAD's semantics (``strict=False``) or the fixed ones. A line that fails, or that crashes HEAD's executor
    (e.g. FIND on something not close), raises ValueError."""
    g = graph.copy()
    records: executor.GrabRecords = {}
    start = frozenset(g.nodes[g.character_id].states)
    for k, line in enumerate(program.lines):
        ids = [a[2] for a in line.args]
        if any(i is None or i not in g.nodes for i in ids):
            raise ValueError(f"line {k + 1} ({line.action}) names a node id the graph lacks: {line.args}")
        try:
            err = executor.execute(g, line.action, ids, records, strict, start)  # type: ignore[arg-type]
        except executor.ExecutorCrash as exc:
            raise ValueError(f"line {k + 1} ({line.action} {line.args}) crashes VirtualHome HEAD: {exc}") from exc
        if err is not None:
            raise ValueError(f"line {k + 1} ({line.action} {line.args}) failed: {err}")
    return g


def object_ids_of(program: Program, graph: EnvGraph) -> dict[str, int]:
    """SPA-RL's ``object_id_dict`` for a program with node ids: the first node named for each class."""
    out: dict[str, int] = {}
    for line in program.lines:
        for name, _, node in line.args:
            if node is not None and node in graph.nodes and name not in out:
                out[name] = node
    return out


def task_from_graphs(initial: EnvGraph, final: EnvGraph, title: str, description: str,
                     object_ids: dict[str, int] | None = None, split: str = "train", task_id: int = 0,
                     reference_plan: list[str] | None = None, source: str = "") -> Task:
    """A task whose goal is the diff of an initial graph and a program's final graph."""
    goal = diff_goal(initial, final)
    return Task(split, task_id, _family(title), title, description, stable_seed(source or title) % 10**9,
                initial, goal, dict(object_ids or {}), list(reference_plan or []))


def task_from_record(record: dict[str, Any], initial: EnvGraph, split: str = "test", task_id: int = 0) -> Task:
    """A task from one SPA-RL JSONL record (``task``, ``description``, ``revised_graph``, ``object_id_dict``)
    and its initial graph."""
    goal = Goal.from_revised_graph(record["revised_graph"])
    object_ids = {str(k): int(v) for k, v in (record.get("object_id_dict") or {}).items()}
    return Task(split, task_id, _family(record["task"]), record["task"], record.get("description", ""),
                stable_seed(record.get("id", record["task"])) % 10**9, initial, goal, object_ids, [])


_SCENE_PATH = re.compile(r"TrimmedTestScene\d+_graph/.+")


def load_spa_records(jsonl_path: str | Path, graphs_root: str | Path, split: str = "test") -> list[Task]:
    """SPA-RL's task records (one JSON object a line), with their initial graphs read from
    ``graphs_root/<TrimmedTestScene{k}_graph/.../fileN_M>.json`` (key ``init_graph``), where the relative
    path is the part of the record's ``path`` from ``TrimmedTestScene`` on, with ``.txt`` replaced
    (SPA-RL cuts a fixed 151-character prefix, which depends on where its data was unpacked)."""
    root = Path(graphs_root)
    tasks = []
    for k, line in enumerate(Path(jsonl_path).read_text().splitlines()):
        if not line.strip():
            continue
        record = json.loads(line)
        m = _SCENE_PATH.search(str(record["path"]))
        if m is None:
            raise ValueError(f"record {k}: path {record['path']!r} names no TrimmedTestScene graph")
        graph_file = root / (m.group(0).removesuffix(".txt") + ".json")
        data = json.loads(graph_file.read_text())
        tasks.append(task_from_record(record, load_graph(data.get("init_graph", data)), split, len(tasks)))
    return tasks


def _family(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", title.lower()).strip("_") or "task"


class OfficialTasks:
    """Tasks from a VirtualHome dataset folder, split by scene: ``TrimmedTestScene7`` is test (unseen),
    ``TrimmedTestScene6`` valid, the others train. Files are read lazily, one task at a time."""

    TEST_SCENES = ("TrimmedTestScene7",)
    VALID_SCENES = ("TrimmedTestScene6",)

    def __init__(self, data_dir: str | Path) -> None:
        self.root = Path(data_dir)
        graph_root = self.root / "init_and_final_graphs"
        if not graph_root.is_dir():
            raise FileNotFoundError(f"{graph_root} not found: data_dir must hold the dataset's "
                                    "init_and_final_graphs/ folder (and executable_programs/ or withoutconds/)")
        self._files: dict[str, list[Path]] = {"train": [], "valid": [], "test": []}
        for path in sorted(graph_root.rglob("*.json")):
            rel = path.relative_to(graph_root).as_posix()
            split = ("test" if any(s + "_" in rel or rel.startswith(s) for s in self.TEST_SCENES) else
                     "valid" if any(s + "_" in rel or rel.startswith(s) for s in self.VALID_SCENES) else "train")
            self._files[split].append(path)
        if not any(self._files.values()):
            raise FileNotFoundError(f"no graph files under {graph_root}")
        self.task_set = TaskSet("virtualhome-official", "files", {k: len(v) for k, v in self._files.items()})

    def characters(self) -> str:
        """The characters beyond printable ASCII of the dataset's program files (their titles and
        descriptions reach observations), read the way :meth:`load` reads them. Graph class names and
        states are VirtualHome's ASCII identifiers."""
        texts = (path.read_text(errors="replace") for folder in ("executable_programs", "withoutconds")
                 if (self.root / folder).is_dir() for path in sorted((self.root / folder).rglob("*.txt")))
        return extra_characters(texts)

    def _program(self, rel: Path) -> Program | None:
        for folder in ("executable_programs", "withoutconds"):
            base = self.root / folder
            candidates = [base / rel.with_suffix(".txt")]
            if base.is_dir():  # the program may sit under another scene's folder
                candidates += list(base.rglob(rel.with_suffix(".txt").name))
            for c in candidates:
                if c.is_file():
                    return parse_program(c.read_text(errors="replace"))
        return None

    def load(self, split: str, task_id: int) -> Task:
        self.task_set.check(split, task_id)
        path = self._files[split][task_id]
        data = json.loads(path.read_text())
        initial, final = load_graph(data["init_graph"]), load_graph(data["final_graph"])
        rel = path.relative_to(self.root / "init_and_final_graphs")
        program = self._program(rel)
        title = program.title if program else path.stem
        description = program.description if program else ""
        object_ids = object_ids_of(program, initial) if program else {}
        plan = program_commands(program) if program else []
        return task_from_graphs(initial, final, title, description, object_ids, split, task_id, plan, rel.as_posix())
