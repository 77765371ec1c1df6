"""A scripted shopper that earns reward 1.0: the source of demonstrations.

It plans once per goal: search the goal's natural keywords (attribute + product kind) and take the
first listed product that would score 1.0 with the goal's options; if none does, search the target's
title and take the target. Then, from whatever page the agent is on, it gives the next command of
that plan: ``search[...]`` when elsewhere, ``next >``/``< prev`` to the plan's result page, the
product, each missing option, Buy Now. It uses the goal's hidden fields (like ALFWorld's expert
uses the world state), never the observation text.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from spa_gym.envs.webshop.pages import PageState
from spa_gym.envs.webshop.search import PRODUCT_WINDOW


@dataclass(frozen=True)
class Plan:
    query: str                            # keywords to search
    product: int                          # product index to buy (listed in the query's results)
    options: tuple[tuple[str, str], ...]  # (group, value) to click, in order


def options_for(product: Any, goal: Any) -> dict[str, str]:
    """The goal's options that ``product`` offers, as (group -> value) clicks."""
    names = goal.option_names or ("",) * len(goal.goal_options)
    chosen: dict[str, str] = {}
    for name, value in zip(names, goal.goal_options):
        for group, values in product.options.items():
            if (group == name or not name) and value in values and group not in chosen:
                chosen[group] = value
                break
    return chosen


def make_plan(goal: Any, products: Any, search: Callable[[str], list[int]],
              reward: Callable[[Any, Any, dict[str, str]], dict[str, Any]]) -> Plan | None:
    """Plan a purchase worth 1.0, or None when neither the natural query nor the title finds one."""
    queries = [goal.search_query] if goal.search_query else []
    queries.append(goal.name.lower())
    for query in queries:
        for index in search(query):
            product = products.product(index)
            chosen = options_for(product, goal)
            # Each value must select its own group when clicked (the first group holding it wins a click).
            if any(next(g for g, vs in product.options.items() if v in vs) != g for g, v in chosen.items()):
                continue
            if reward(product, goal, chosen)["reward"] == 1.0:
                return Plan(query=query, product=index, options=tuple(chosen.items()))
    return None


def next_action(plan: Plan | None, state: PageState, products: Any) -> str | None:
    """The expert's command on ``state``, or None when done or no plan exists."""
    if plan is None or state.page == "done":
        return None
    on_plan = " ".join(state.keywords) == plan.query and plan.product in state.results
    if state.page == "results" and on_plan:
        target_page = state.results.index(plan.product) // PRODUCT_WINDOW + 1
        if target_page == state.results_page:
            return f"click[{products.product(plan.product).asin}]"
        return "click[Next >]" if target_page > state.results_page else "click[< Prev]"
    if state.page in ("item", "sub") and state.product == plan.product:  # however the agent got here
        if state.page == "sub":
            return "click[< Prev]"
        for group, value in plan.options:
            if state.options.get(group) != value:
                return f"click[{value}]"
        return "click[Buy Now]"
    return f"search[{plan.query}]"
