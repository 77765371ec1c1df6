"""The verifiers adapter against the real package (verifiers 0.4, ``verifiers.v1``): the taskset's rows, whole
episodes through verifiers' rollout machinery and interception server, a stub model on loopback (no network)."""

from __future__ import annotations

import asyncio
import time

import gymnasium as gym
import pytest

vf = pytest.importorskip("verifiers.v1", reason="needs the verifiers extra: pip install 'spa-gym[verifiers]'")
web = pytest.importorskip("aiohttp.web")

from spa_gym.integrations.episode import SPAEpisode  # noqa: E402
from spa_gym.integrations.verifiers import PLUGIN_ID, SYSTEM_PROMPT, load_environment  # noqa: E402

ENV_ID, SPLIT, SEED = "SPA-ALFWorld-v0", "test", 3


def expert_commands(task_id: int) -> list[str]:
    env = gym.make(ENV_ID, expert=True)
    _, info = env.reset(seed=SEED, options={"split": SPLIT, "task_id": task_id})
    commands, done = [], False
    while not done:
        commands.append(info["expert_action"])
        _, _, terminated, truncated, info = env.step(commands[-1])
        done = terminated or truncated
    return commands


class StubModel:
    """An OpenAI-compatible chat endpoint on loopback: reply k of a conversation is ``script[k]`` (with a
    thought line before it, as a reasoning model writes), and every request is kept."""

    def __init__(self, script: list[str]) -> None:
        self.script, self.requests = script, []

    async def chat(self, request):
        body = await request.json()
        self.requests.append(body)
        k = sum(m["role"] == "assistant" for m in body["messages"])
        command = self.script[k] if k < len(self.script) else "look"
        return web.json_response({
            "id": f"stub-{len(self.requests)}", "object": "chat.completion", "created": int(time.time()),
            "model": body["model"], "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
            "choices": [{"index": 0, "finish_reason": "stop",
                         "message": {"role": "assistant", "content": f"Thought: next step.\nAction: {command}"}}]})

    async def play(self, env, tasks) -> list:
        app = web.Application()
        app.router.add_post("/v1/chat/completions", self.chat)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]
        ctx = vf.ModelContext(model="stub", client=vf.EvalClientConfig(base_url=f"http://127.0.0.1:{port}/v1",
                                                                         api_key_var="SPA_GYM_STUB_KEY"))
        try:
            async with env.serving():
                return [await env.run_episode(task, ctx) for task in tasks]
        finally:
            await runner.cleanup()


def test_taskset_rows_are_the_first_observations():
    env = load_environment(env_id=ENV_ID, split=SPLIT, num_tasks=3, seed=SEED)
    tasks = list(env.taskset)
    base = gym.make(ENV_ID)
    assert [t.data.info["task_id"] for t in tasks] == [0, 1, 2]
    for t in tasks:
        obs, _ = base.reset(seed=SEED, options={"split": SPLIT, "task_id": t.data.info["task_id"]})
        assert t.data.prompt == obs and t.data.system_prompt == SYSTEM_PROMPT
    assert len({t.key for t in tasks}) == 3
    assert type(env).__name__ == "SPAEnv" and env.config.taskset.id == PLUGIN_ID


def test_expert_episode_through_verifiers_rewards_spa_and_shows_env_reward():
    task_id = 1
    script = expert_commands(task_id)
    env = load_environment(env_id=ENV_ID, split=SPLIT, num_tasks=2, seed=SEED)
    (task,) = [t for t in env.taskset if t.data.info["task_id"] == task_id]
    model = StubModel(script)
    (episode,) = asyncio.run(model.play(env, [task]))
    assert episode.ok, episode.errors
    (trace,) = episode.traces
    # the same commands through our own episode (same default estimator) give the reference rewards
    reference = SPAEpisode(ENV_ID)
    first = reference.reset(task_id, SPLIT, SEED)
    for command in script:
        reference.step(command)
    played = trace.info["spa_gym"]
    assert played["actions"] == script and played["won"] and played["done"]
    assert played["dense_rewards"] == pytest.approx(reference.dense_rewards)
    assert trace.rewards["spa_reward"].score == pytest.approx(reference.dense_return)
    assert trace.rewards["env_reward"].score == 1.0 and trace.rewards["env_reward"].weight == 0.0
    assert trace.reward == pytest.approx(reference.dense_return)  # the env reward is shown, not added
    assert trace.metrics["won"] == 1.0 and trace.metrics["turns"] == len(script)
    assert trace.metrics["grounding"] == 1.0 and len(set(played["state_hashes"])) == len(script)
    # what the model saw: our system turn, then the env's observations exactly, one request per turn
    assert len(model.requests) == len(script)
    last = model.requests[-1]["messages"]
    assert last[0] == {"role": "system", "content": SYSTEM_PROMPT} and last[1]["content"] == first
    observations = [m["content"] for m in last if m["role"] == "user"]
    assert observations == [first] + [t.observation for t in reference.turns[:-1]]


def test_env_reward_weight_and_the_step_limit():
    env = load_environment(env_id=ENV_ID, split=SPLIT, num_tasks=1, seed=SEED, env_reward_weight=1.0,
                           env_kwargs={"max_steps": 3})
    (task,) = list(env.taskset)
    model = StubModel(["inventory", "fly to the moon"])  # never wins; the env's step limit ends the episode
    (episode,) = asyncio.run(model.play(env, [task]))
    assert episode.ok, episode.errors
    (trace,) = episode.traces
    played = trace.info["spa_gym"]
    assert played["actions"] == ["inventory", "fly to the moon", "look"] and played["done"]
    assert trace.metrics["turns"] == 3 and trace.metrics["grounding"] == pytest.approx(2 / 3)
    assert trace.rewards["env_reward"].weight == 1.0 and trace.rewards["env_reward"].score == 0.0
    assert trace.reward == pytest.approx(trace.rewards["spa_reward"].score + trace.rewards["env_reward"].score)
