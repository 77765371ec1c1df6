"""The OpenEnv adapter against the real openenv-core: `spa-gym serve --protocol openenv` on loopback, driven
through a full expert episode by openenv-core's own client."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time

import pytest

pytest.importorskip("openenv.core", reason="needs the openenv extra: pip install 'spa-gym[openenv]'")

from openenv.core import GenericEnvClient  # noqa: E402

from spa_gym.integrations.episode import SPAEpisode  # noqa: E402
from spa_gym.integrations.openenv import SPAEnvClient, SPATextAction, _is_loopback  # noqa: E402


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server():
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "spa_gym.cli", "serve", "--protocol", "openenv",
                             "--env", "SPA-ALFWorld-v0", "--host", "127.0.0.1", "--port", str(port),
                             "--session-timeout", "30"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            assert proc.poll() is None, proc.stdout.read().decode()
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                time.sleep(0.3)
        else:
            pytest.fail("server did not start")
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_full_expert_episode_over_openenv(server):
    expert = SPAEpisode(env_kwargs={"expert": True})
    expert.reset(task_id=2, split="train")
    with SPAEnvClient(base_url=server).sync() as client:
        result = client.reset(task_id=2, split="train")
        assert result.observation.text == expert.observation
        assert result.observation.admissible_commands == expert.admissible_commands
        assert not result.done
        rewards = []
        while not expert.done:
            command = expert.info["expert_action"]
            turn = expert.step(command)
            result = client.step(SPATextAction(command=command))
            assert result.observation.text == turn.observation
            assert result.reward == pytest.approx(turn.dense_reward)
            assert result.observation.env_reward == turn.env_reward
            assert result.done == turn.done
            rewards.append(result.reward)
        assert result.done and result.observation.won and result.observation.env_reward == 1.0
        state = client.state()
        assert state.step_count == len(rewards) and state.env_return == 1.0
        assert state.dense_return == pytest.approx(sum(rewards))


def test_generic_client_and_invalid_command(server):
    with GenericEnvClient(base_url=server).sync() as client:
        first = client.reset(task_id=0, split="valid")
        result = client.step({"command": "fly to the moon"})
        assert result.observation["text"] == "Nothing happens."
        assert result.observation["info"]["action_valid"] is False
        assert not result.done
        assert first.observation["task"]


def test_serve_refuses_a_remote_host_by_default():
    from spa_gym.integrations.openenv import serve

    assert _is_loopback("127.0.0.1") and _is_loopback("::1") and not _is_loopback("0.0.0.0")
    with pytest.raises(ValueError, match="loopback"):
        serve(host="0.0.0.0", port=1)
