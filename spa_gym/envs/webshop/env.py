"""`WebShopEnv`: WebShop's text shopping task as a Gymnasium environment, offline.

>>> import tempfile
>>> cache = tempfile.TemporaryDirectory()
>>> env = WebShopEnv(num_products=300, expert=True, cache_dir=cache.name)
>>> obs, info = env.reset(seed=0, options={"split": "test", "task_id": 0})
>>> obs.startswith("WebShop [SEP] Instruction: [SEP] ")
True
>>> while not info["won"] and info["expert_action"]:
...     obs, reward, terminated, truncated, info = env.step(info["expert_action"])
>>> reward, terminated, obs.startswith("Thank you for shopping with us!")
(1.0, True, True)
>>> cache.cleanup()
"""

from __future__ import annotations

import os
import random
from typing import Any

from spa_gym.core.seeding import stable_seed
from spa_gym.core.state_hash import canonical, sorted_tuple
from spa_gym.core.tasks import TaskSet
from spa_gym.core.text_env import TextEnv
from spa_gym.envs.webshop.catalogue import Catalogue
from spa_gym.envs.webshop.expert import Plan, make_plan, next_action
from spa_gym.envs.webshop.goals import Goal, GoalSet
from spa_gym.envs.webshop.pages import OBSERVATION_MODES, PageState, Shop
from spa_gym.envs.webshop.reward import get_reward
from spa_gym.envs.webshop.search import SEARCH_RETURN_N, SearchIndex, get_index


class WebShopEnv(TextEnv):
    """WebShop in the original's ``text`` (or ``text_rich``) observation mode.

    Args:
        split: default split for ``reset`` (``"train"``, ``"valid"``, ``"test"``).
        observation_mode: ``"text"`` (``[SEP]``-joined, what LLM papers use) or ``"text_rich"``.
        num_products: size of the generated catalogue (ignored with ``data_dir``).
        catalogue_seed: seed of the generated catalogue and its goals.
        data_dir: folder with the original's ``items_shuffle*.json``, ``items_ins_v2*.json`` and
            ``items_human_ins.json``; when given, the env serves the official products and the 12,087-style
            human goals with the official split (test = goals 0-499, valid = 500-1499, train = the rest).
        expert: add ``info["expert_action"]``, a command of a shopper that earns 1.0.
        max_steps: step limit (15, the ReAct-style budget; SPA-RL uses 10, the IL baselines 100).
        render_mode: ``"ansi"`` or ``"human"``.
        cache_dir: where search indexes are cached (default ``$SPA_GYM_CACHE`` or ``~/.cache/spa_gym``).
        show_attrs: offer the item page's ``Attributes`` button and sub-page (off, as in the original).
        back_doors: answer the original's debug searches (off): ``search[<r>]`` lists 50 random products (seeded
            by task and step), ``search[<c> beauty]`` every product of a category, ``search[<q> body lotion]``
            every product of a scrape query, all in catalogue order. They leak the goal product, so leave them
            off for RL. ``<a>`` (which crashes the original) and ``<c>`` without a category are no-ops.

    Actions are ``search[keywords]`` (allowed on every page) and ``click[value]`` with a value from the
    page. ``info["admissible_commands"]`` lists the ``click[...]`` commands of the page; ``search[...]``
    is always admissible too and is not listed (its keywords are free text).
    """

    def __init__(self, split: str = "train", observation_mode: str = "text", num_products: int = 10_000,
                 catalogue_seed: int = 0, data_dir: str | os.PathLike | None = None, expert: bool = False,
                 max_steps: int = 15, render_mode: str | None = None,
                 cache_dir: str | os.PathLike | None = None, show_attrs: bool = False,
                 back_doors: bool = False) -> None:
        if observation_mode not in OBSERVATION_MODES:
            raise ValueError(f"observation_mode must be one of {OBSERVATION_MODES}, got {observation_mode!r}")
        if data_dir is not None:
            from spa_gym.envs.webshop.official import OfficialData

            self.source: Any = OfficialData.open(data_dir, cache_dir=cache_dir)
            self._goals: Any = self.source
            self._task_set = self.source.task_set
        else:
            self.source = Catalogue(num_products=num_products, seed=catalogue_seed)
            self._goals = GoalSet(self.source)
            self._task_set = self._goals.task_set
        self.show_attrs = show_attrs
        self.back_doors = back_doors
        super().__init__(split=split, max_steps=max_steps, expert=expert, render_mode=render_mode)
        self.observation_mode = observation_mode
        self.index: SearchIndex = get_index(self.source.key, self.source.documents(), len(self.source),
                                            cache_dir=cache_dir)
        self._plans: dict[tuple[str, int], Plan | None] = {}
        self._world: dict[str, Any] = {}

    # ------------------------------------------------------------------ TextEnv hooks
    def _emitted_characters(self) -> str:
        return self.source.characters()  # the data's own (official titles are often not ASCII)

    @property
    def task_set(self) -> TaskSet:
        return self._task_set

    @property
    def goal(self) -> Goal:
        return self._world["goal"]

    def _shop(self) -> Shop:
        goal = self.goal
        return Shop(self.source, self.index.search, lambda product, options: get_reward(product, goal, options),
                    goal.instruction_text, show_attrs=self.show_attrs,
                    back_door=self._back_door if self.back_doors else None)

    def _back_door(self, keywords: tuple[str, ...]) -> list[int] | None:
        """The original's debug searches (``get_top_n_product_from_keywords``), seeded where it draws."""
        if keywords[0] == "<r>":
            rng = random.Random(stable_seed("webshop-back-door", self.source.key, self._split, self._task_id,
                                            self._step_count))
            return rng.sample(range(len(self.source)), k=min(SEARCH_RETURN_N, len(self.source)))
        if keywords[0] == "<c>" and len(keywords) > 1:
            return list(self.source.indices_where("category", keywords[1].strip()))
        if keywords[0] == "<q>":
            return list(self.source.indices_where("query", " ".join(keywords[1:]).strip()))
        return None  # "<a>" needs a table the text env never builds, and "<c>" alone has no category

    def _start_episode(self, split: str, task_id: int) -> str:
        self._world = {"goal": self._goals.goal(split, task_id), "page": PageState()}
        return self._shop().render(self._world["page"], self.observation_mode)

    def _execute(self, action: str) -> tuple[str, float, bool, bool]:
        shop = self._shop()
        state, reward, done, valid = shop.step(self._world["page"], action)
        self._world["page"] = state
        return shop.render(state, self.observation_mode), reward, done, valid

    def _admissible_commands(self) -> list[str]:
        return [f"click[{c}]" for c in self._shop().clickables(self._world["page"]) if c != "search"]

    def _won(self) -> bool:
        purchase = self._world["page"].purchase
        return purchase is not None and purchase["reward"] == 1.0

    def _task_description(self) -> tuple[str, str]:
        return self.goal.instruction_text, self.goal.category

    def _expert_action(self) -> str | None:
        key = (self._split, self._task_id)
        if key not in self._plans:
            if len(self._plans) > 1024:
                self._plans.clear()
            self._plans[key] = make_plan(self.goal, self.source, self.index.search, get_reward)
        return next_action(self._plans[key], self._world["page"], self.source)

    def _state_view(self) -> Any:
        # The goal is the task's (catalogue key + task id); the page state is what steps change. Back doors'
        # random listing is seeded by the step count, so with them on the count is part of the state.
        p: PageState = self._world["page"]
        page = (p.page, p.keywords, p.results, p.results_page, p.product, sorted_tuple(p.options.items()),
                p.sub_page, p.visited, canonical(p.purchase))
        return (self.source.key, self.show_attrs, self.back_doors,
                self._step_count if self.back_doors else None, page)

    def _extra_info(self) -> dict[str, Any]:
        state: PageState = self._world["page"]
        clickables = self._shop().clickables(state)
        return {
            "available_actions": {"has_search_bar": state.page == "start", "clickables": clickables},
            "page": state.page,
            "reward_breakdown": dict(state.purchase) if state.purchase else None,
        }
