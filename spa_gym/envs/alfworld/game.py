"""`GameSpec`: one ALFWorld game, independent of the engine that plays it.

The generator makes them, the official-file loader reads them, the native engine and the real
alfworld/textworld backend both play them. The PDDL problem text is the common currency: it is what a
real ``game.tw-pddl`` file holds, so the same game runs in both engines.
"""

from __future__ import annotations

from dataclasses import dataclass, field

#: The six ALFWorld task types, in the original's naming.
TASK_TYPES = (
    "pick_and_place_simple",
    "look_at_obj_in_light",
    "pick_clean_then_place_in_recep",
    "pick_heat_then_place_in_recep",
    "pick_cool_then_place_in_recep",
    "pick_two_obj_and_place",
)

#: Command wordings: "classic" (json_2.1.1 data, ReAct/ETO/SPA prompts: "put X in/on Y",
#: "You arrive at loc N.") and "v04" (alfworld >= 0.4: "move X to Y", "You arrive at {r}.", `help`).
DIALECTS = ("classic", "v04")


@dataclass(frozen=True)
class GameSpec:
    """One ALFWorld game.

    Attributes:
        problem: PDDL problem text (the ``pddl_problem`` entry of a ``game.tw-pddl`` file).
        task_type: one of :data:`TASK_TYPES`.
        goal: the goal sentence without the final period, e.g. ``"put a hot egg in countertop"``.
        dialect: one of :data:`DIALECTS`.
        name: where the game came from, e.g. ``"generated/test/12"`` or an official file path.
        pddl_params: ALFRED's ``pddl_params`` (object_target, parent_target, toggle_target,
            mrecep_target, object_sliced), as in ``traj_data.json``.
        walkthrough: an expert plan when the source has one.
        scene: free-form facts about the scene (scene type, layout number, size) for reports.
    """

    problem: str
    task_type: str
    goal: str
    dialect: str = "classic"
    name: str = ""
    pddl_params: dict = field(default_factory=dict)
    walkthrough: tuple[str, ...] | None = None
    scene: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.task_type not in TASK_TYPES:
            raise ValueError(f"{self.name or 'game'}: unknown task type {self.task_type!r}; expected one of {TASK_TYPES}")
        if self.dialect not in DIALECTS:
            raise ValueError(f"{self.name or 'game'}: unknown dialect {self.dialect!r}; expected one of {DIALECTS}")
