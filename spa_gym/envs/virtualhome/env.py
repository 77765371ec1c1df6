"""`VirtualHomeEnv`: SPA-RL's text VirtualHome task as a Gymnasium environment, with no simulator.

>>> env = VirtualHomeEnv(expert=True)
>>> obs, info = env.reset(seed=0, options={"split": "test", "task_id": 0})
>>> obs.startswith("The task is ")
True
>>> while not info["won"]:
...     obs, reward, terminated, truncated, info = env.step(info["expert_action"])
>>> reward, terminated
(1.0, True)
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from spa_gym.core import TaskSet, TextEnv
from spa_gym.core.state_hash import rng_form, sorted_tuple
from spa_gym.envs.virtualhome.expert import PlanError, expert_plan
from spa_gym.envs.virtualhome.tasks import TASK_SET, Task, load_task
from spa_gym.envs.virtualhome.text import ERROR_INPUT, NOTHING_HAPPENS
from spa_gym.envs.virtualhome.world import World

MODES = ("spa", "strict")


class VirtualHomeEnv(TextEnv):
    """Household tasks on VirtualHome's environment graph, with SPA-RL's commands and observations.

    Args:
        split: default split (``train``, ``valid``, ``test``; test houses are unseen in train and valid).
        mode: ``"spa"`` reproduces SPA-RL's observable behaviour on VirtualHome HEAD's executor, bugs
            included (the posture is read on the episode's start graph; ``take off X`` and ``find X`` on
            something not close crash and get the Error Input literal; ...: see the README); ``"strict"``
            shows why a command failed (``Observation: Nothing happens. (reason.)``) and keeps sane
            semantics: the current posture, ``find`` walks, ``take off`` works, held objects move into the
            room the agent walks to, ``stand up`` frees the seat, a bare ``release`` drops the single held
            object.
        expert: add ``info["expert_action"]``, the next command of the planning expert.
        max_steps: step limit (SPA-RL uses 40); failed commands count as steps.
        data_dir: folder of official VirtualHome data (see :mod:`spa_gym.envs.virtualhome.official`) to
            use instead of the generated tasks.
        render_mode: ``"ansi"`` or ``"human"``.

    The agent writes commands such as ``walk to kitchen`` or SPA-RL's full ``Thought: ... Action: grab
    cup`` (the text after ``Action:`` is used). Names resolve to nodes as in SPA-RL: the task's
    ground-truth instances first, then nearby ones, then a random instance drawn from the env's seeded
    generator. Reward is 1.0 on the step the goal graph is reached, which ends the episode.
    """

    invalid_action_message = NOTHING_HAPPENS

    def __init__(self, split: str = "train", mode: str = "spa", expert: bool = False, max_steps: int = 40,
                 data_dir: str | Path | None = None, render_mode: str | None = None) -> None:
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
        self.mode = mode
        self._official = None
        if data_dir is not None:
            from spa_gym.envs.virtualhome.official import OfficialTasks

            self._official = OfficialTasks(data_dir)
        super().__init__(split=split, max_steps=max_steps, expert=expert, render_mode=render_mode)
        self._task: Task | None = None
        self._world: World | None = None
        self._plan: list[str] | None = None
        self._last_script = ""
        self._last_reason = ""
        self._digests: dict[tuple[str, int], str] = {}

    @property
    def task_set(self) -> TaskSet:
        return self._official.task_set if self._official is not None else TASK_SET

    @property
    def task(self) -> Task:
        """The current task (goal, initial graph, reference plan)."""
        if self._task is None:
            raise RuntimeError("call reset() first")
        return self._task

    @property
    def world(self) -> World:
        """The live world (graph + name memory). Read it; change it only through ``step``."""
        if self._world is None:
            raise RuntimeError("call reset() first")
        return self._world

    def _load(self, split: str, task_id: int) -> Task:
        return self._official.load(split, task_id) if self._official is not None else load_task(split, task_id)

    # ------------------------------------------------------------------ TextEnv hooks
    def _emitted_characters(self) -> str:
        # Generated tasks are written from our ASCII tables; official programs carry people's own titles.
        return self._official.characters() if self._official is not None else ""

    def _start_episode(self, split: str, task_id: int) -> str:
        self._task = self._load(split, task_id)
        # Rebuilt on every reset (SPA-RL's reset kept the previous episode's final graph).
        self._world = World(self._task.initial_graph(), self._task.object_ids, strict=self.mode == "strict")
        self._world.graph.mark_unchanged()  # equal to the task's graph: state hashes compare only what steps touch
        self._plan, self._last_script, self._last_reason = None, "", ""
        return self._task.observation

    def _execute(self, action: str) -> tuple[str, float, bool, bool]:
        world = self.world
        try:
            out = world.step(action, self.np_random)
        except Exception as exc:  # SPA-RL answers any exception inside a step with its Error Input literal
            self._last_script, self._last_reason = "", f"{type(exc).__name__}: {exc}"
            self._plan = None
            return ERROR_INPUT, 0.0, False, False
        self._last_script, self._last_reason = out.script, out.reason
        if self._plan and out.success and action == self._plan[0]:
            self._plan.pop(0)
        else:
            self._plan = None
        won = self._won()
        return out.observation, (1.0 if won else 0.0), won, out.success

    def _admissible_commands(self) -> list[str]:
        return self.world.admissible_commands()

    def _won(self) -> bool:
        return self.task.goal.satisfied(self.world.graph)

    def _task_description(self) -> tuple[str, str]:
        return f"{self.task.title}({self.task.description})", self.task.family

    def _expert_action(self) -> str | None:
        if self._plan is None:
            try:
                self._plan = expert_plan(self.world, self.task.goal, max_commands=self.max_steps)
            except PlanError:
                self._plan = []
        return self._plan[0] if self._plan else None

    def _extra_info(self) -> dict[str, Any]:
        return {"script": self._last_script, "failure_reason": self._last_reason}

    def _state_view(self) -> Any:
        # The house is fixed by the task, so only what differs from the task's initial graph is hashed (a
        # step's hash then costs set comparisons, not a sort of ~1,000 edges); official data adds the task's
        # content digest, since its task names do not pin the files.
        w = self.world
        return (self.mode, self._task_digest(), w.graph.changes_from(self.task.graph),
                sorted_tuple(w.object_ids.items()), sorted_tuple((w.specific_objects or {}).items()),
                w.last_obj_id, sorted_tuple(w.records.items()), sorted_tuple(w.start_states or ()), w.strict,
                rng_form(self.np_random))  # name resolution draws from np_random

    def _task_digest(self) -> str:
        if self._official is None:
            return ""  # generated tasks: the task set's version and the task id pin them
        key = (self._split, self._task_id)
        if self._digests.get(key) is None:
            if len(self._digests) > 1024:
                self._digests.clear()
            self._digests[key] = self.task.digest()
        return self._digests[key]

    def _world_state(self) -> Any:
        return self.world.copy()

    def _restore_world(self, state: Any) -> None:
        self._world = state.copy()

    def get_state(self) -> dict[str, Any]:
        state = super().get_state()
        state["last_command"] = (self._last_script, self._last_reason)  # only for info; not the world
        return state

    def set_state(self, state: dict[str, Any]) -> None:
        super().set_state(state)
        self._task = self._load(self._split, self._task_id)
        self._last_script, self._last_reason = state.get("last_command", ("", ""))
        self._plan = None
