"""spa-gym view: the API over a recorded run, path traversal refused, loopback bind, and the page in a real
browser (Debian's chromium, headless, driven by selenium; skipped without it)."""

from __future__ import annotations

import http.client
import json
import os
import shutil
import socket
import threading
import time
from pathlib import Path

import gymnasium as gym
import pytest

pytest.importorskip("starlette", reason="the viewer extra is not installed (pip install 'spa-gym[viewer]')")
pytest.importorskip("uvicorn", reason="the viewer extra is not installed (pip install 'spa-gym[viewer]')")

import spa_gym  # noqa: E402,F401
from spa_gym.cli import main  # noqa: E402
from spa_gym.progress import ProgressEstimator  # noqa: E402
from spa_gym.progress.episodes import NoisyExpertPolicy, collect_episodes  # noqa: E402
from spa_gym.viewer import runs as viewer_runs  # noqa: E402
from spa_gym.viewer.app import create_app, make_server  # noqa: E402
from spa_gym.wrappers import RecordEpisodes, SPAReward  # noqa: E402

SECRET = "top-secret-outside-the-run"
CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"


def make_run(root: Path, episodes: int = 6) -> Path:
    """A small recorded run: ALFWorld through SPAReward, PPO and estimator histories, an eval report."""
    run = root / "run"
    env = RecordEpisodes(SPAReward(gym.make("SPA-ALFWorld-v0", expert=True), ProgressEstimator.default(seed=0)),
                         run / "episodes" / "train.jsonl", metadata={"source": "test", "reward": "spa_potential"})
    collect_episodes(env, NoisyExpertPolicy(0.3, seed=0), episodes, seed=0, progress=False)
    env.close()
    with open(run / "episodes" / "train.jsonl", "a") as f:
        f.write('{"task": "broken", "steps": [\n')
    history = [{"iteration": i + 1, "success_rate": 0.1 * i, "env_return": 0.1 * i, "shaped_return": 0.2 * i,
                "grounding": 0.8} for i in range(5)]
    (run / "ppo").mkdir()
    (run / "ppo" / "history.json").write_text(json.dumps(history))
    (run / "estimator_history.json").write_text(json.dumps({"train_loss": [0.5, 0.3, 0.2], "valid_loss": [0.6, 0.4, 0.3]}))
    (run / "report.json").write_text(json.dumps({"results": {"PPO-SPA": {"success_rate": 0.5, "average_score": 0.5,
                                                                         "grounding": 0.9, "mean_steps": 12.0,
                                                                         "episodes": 6}}, "meta": {}}))
    (root / "secret.txt").write_text(SECRET)
    (root / "outside").mkdir()
    (root / "outside" / "secret.txt").write_text(SECRET)
    (root / "outside" / "leak.jsonl").write_text(json.dumps({"task": SECRET, "observation": "o", "steps": [],
                                                             "final_reward": 0.0}) + "\n")
    os.symlink(root / "secret.txt", run / "link_out.txt")
    os.symlink(root / "outside", run / "linkdir")
    (run / ".hidden.json").write_text("{}")
    return run


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory) -> Path:
    return make_run(tmp_path_factory.mktemp("viewer"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Served:
    """A viewer server running in a thread for the duration of a ``with`` block."""

    def __init__(self, root: Path, **kwargs) -> None:
        self.port = _free_port()
        self.server = make_server(root, "127.0.0.1", self.port, **kwargs)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> Served:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the viewer server did not start")
            time.sleep(0.05)
        return self

    def __exit__(self, *exc) -> None:
        self.server.should_exit = True
        self.thread.join(10)

    def get(self, raw_path: str, host: str | None = None) -> tuple[int, bytes]:
        """Send ``raw_path`` exactly as written (no client-side normalisation of ``..``)."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            conn.putrequest("GET", raw_path, skip_host=True)
            conn.putheader("Host", host or f"127.0.0.1:{self.port}")
            conn.endheaders()
            resp = conn.getresponse()
            return resp.status, resp.read()
        finally:
            conn.close()


# ---------------------------------------------------------------------- API
def test_api_lists_episodes_filters_and_errors(run_dir):
    from starlette.testclient import TestClient

    client = TestClient(create_app(run_dir), base_url="http://127.0.0.1")
    run = client.get("/api/run").json()
    assert run["episodes"] == 6 and run["errors"] == 1 and run["files"] == ["episodes/train.jsonl"]
    assert run["filters"]["env_id"] == ["SPA-ALFWorld-v0"] and run["filters"]["reward_mode"] == ["spa_potential"]
    rows = client.get("/api/episodes").json()["rows"]
    assert len(rows) == 7 and rows[-1]["error"] and "not JSON" in rows[-1]["error"]
    won = client.get("/api/episodes", params={"won": "true"}).json()["rows"]
    assert all(r["won"] or r["error"] for r in won)
    task_type = rows[0]["task_type"]
    filtered = client.get("/api/episodes", params={"task_type": task_type}).json()["rows"]
    assert {r["task_type"] for r in filtered if not r["error"]} == {task_type}
    ep = client.get("/api/episode", params={"file": rows[0]["file"], "line": 1}).json()
    steps = ep["record"]["steps"]
    assert ep["error"] is None and len(ep["series"]["step"]) == len(steps) + 1
    assert ep["series"]["true_progress"][1:] == [s["true_progress"] for s in steps]
    assert ep["series"]["progress"][1:] == [s["spa"]["progress"] for s in steps]
    bad = client.get("/api/episode", params={"file": rows[0]["file"], "line": 7}).json()
    assert bad["error"]
    assert client.get("/api/episode", params={"file": rows[0]["file"], "line": 99}).status_code == 404
    reports = client.get("/api/reports").json()
    assert list(reports["ppo"]) == ["ppo/history.json"] and list(reports["estimator"]) == ["estimator_history.json"]
    assert list(reports["eval"]) == ["report.json"] and reports["quality"]["steps"] > 0
    page = client.get("/")
    assert page.status_code == 200 and "script-src 'self'" in page.headers["content-security-policy"]
    assert client.get("/static/vendor/uPlot.iife.min.js").status_code == 200
    assert client.post("/api/run").status_code == 405


def test_overlong_line_is_an_error_row(tmp_path, monkeypatch):
    monkeypatch.setattr(viewer_runs, "MAX_LINE_BYTES", 100)
    good = json.dumps({"task": "t", "observation": "o", "steps": [], "final_reward": 1.0})
    (tmp_path / "e.jsonl").write_text(json.dumps({"task": "x" * 500, "observation": "o", "steps": [],
                                                  "final_reward": 0.0}) + "\n" + good + "\n[1]\n\n")
    rows = viewer_runs.RunFolder(tmp_path).rows()
    assert [(r["line"], bool(r["error"])) for r in rows] == [(1, True), (2, False), (3, True)]
    assert "longer than 100 bytes" in rows[0]["error"] and rows[1]["final_reward"] == 1.0


# ---------------------------------------------------------------------- security
ATTACKS = [
    "/files/../../etc/passwd", "/files/../secret.txt", "/files/%2e%2e/secret.txt", "/files/%2E%2E%2Fsecret.txt",
    "/files/..%2f..%2f..%2fetc%2fpasswd", "/files/%252e%252e/secret.txt", "/files//etc/passwd",
    "/files/%2Fetc%2Fpasswd", "/files/link_out.txt", "/files/linkdir/secret.txt", "/files/linkdir/leak.jsonl",
    "/files/.hidden.json", "/files/episodes/..%5C..%5Csecret.txt", "/files/episodes/%00.jsonl",
    "/static/../../secret.txt", "/static/%2e%2e/app.py", "/static/%2e%2e/%2e%2e/viewer/app.py",
    "/../secret.txt", "/api/episode?file=../secret.txt&line=1", "/api/episode?file=%2e%2e/outside/leak.jsonl&line=1",
    "/api/episode?file=linkdir/leak.jsonl&line=1", "/api/episode?file=/etc/passwd&line=1",
]


def test_traversal_and_symlinks_refused(run_dir):
    with Served(run_dir) as srv:
        status, body = srv.get("/files/ppo/history.json")
        assert status == 200 and b"success_rate" in body
        for path in ATTACKS:
            status, body = srv.get(path)
            assert status in (400, 403, 404), (path, status)
            assert SECRET.encode() not in body and b"root:" not in body and b"make_server" not in body, path
        rows = json.loads(srv.get("/api/episodes")[1])["rows"]
        assert all(SECRET not in r["task"] for r in rows)  # the symlinked folder's file is not listed
        # DNS rebinding: a page on another name must not reach the viewer through the browser
        assert srv.get("/api/run", host="evil.example:80")[0] == 400


def test_files_are_streamed_with_a_sandbox(run_dir, tmp_path):
    big = run_dir / "big.bin"
    big.write_bytes(os.urandom(1024) * 3 * 1024)  # 3 MiB
    try:
        with Served(run_dir) as srv:
            conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=10)
            conn.request("GET", "/files/big.bin")
            resp = conn.getresponse()
            assert resp.status == 200 and int(resp.getheader("content-length")) == big.stat().st_size
            assert "sandbox" in resp.getheader("content-security-policy")
            assert resp.getheader("x-content-type-options") == "nosniff"
            assert resp.read() == big.read_bytes()
            conn.close()
    finally:
        big.unlink()


def test_binds_loopback_by_default(run_dir, capsys):
    with Served(run_dir) as srv:
        (sock,) = [s for server in srv.server.servers for s in server.sockets]
        assert sock.getsockname()[0] == "127.0.0.1"
    with pytest.raises(ValueError, match="--allow-remote"):
        make_server(run_dir, "0.0.0.0", 8765)
    warnings = []
    server = make_server(run_dir, "0.0.0.0", 8765, allow_remote=True, warn=warnings.append)  # built, not started
    assert server.config.host == "0.0.0.0" and "reachable from other machines" in warnings[0]
    assert main(["view", str(run_dir), "--host", "0.0.0.0"]) == 2
    assert "--allow-remote" in capsys.readouterr().err
    assert main(["view", str(run_dir / "missing")]) == 2


# ---------------------------------------------------------------------- a real browser
def _chromium_driver(tmp_path: Path, monkeypatch):
    if not (Path(CHROMIUM).is_file() and Path(CHROMEDRIVER).is_file()):
        pytest.skip(f"Debian's chromium and chromium-driver are not installed ({CHROMIUM}, {CHROMEDRIVER}); "
                    "apt-get install -y chromium chromium-driver")
    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed (the viewer extra)")
    from selenium.webdriver.chrome.service import Service

    monkeypatch.setenv("SE_OFFLINE", "true")  # selenium-manager must never try to download a driver
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-dev-shm-usage",
                 "--window-size=1280,860", f"--user-data-dir={tmp_path / 'chromium-profile'}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)


def test_page_in_chromium(run_dir, tmp_path, monkeypatch):
    driver = _chromium_driver(tmp_path, monkeypatch)
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    wait = WebDriverWait(driver, 30)
    try:
        with Served(run_dir) as srv:
            driver.get(f"http://127.0.0.1:{srv.port}/")
            wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#episode-list tbody tr")) == 7)
            assert len(driver.find_elements(By.CSS_SELECTOR, "#episode-list tr.error-row")) == 1
            assert "6 episodes" in driver.find_element(By.ID, "run-counts").text
            driver.find_elements(By.CSS_SELECTOR, "#episode-list tbody tr:not(.error-row)")[0].click()
            wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, "#episode-plot .uplot canvas")))
            items = driver.find_elements(By.CSS_SELECTOR, "#transcript li")
            ep = json.loads(srv.get("/api/episode?file=episodes/train.jsonl&line=1")[1])["record"]
            assert len(items) == len(ep["steps"]) + 1
            assert ep["steps"][0]["action"] in items[1].text
            legend = driver.find_element(By.CSS_SELECTOR, "#episode-plot .u-legend").text
            assert "estimated progress" in legend and "true progress" in legend and "reward" in legend
            driver.save_screenshot(str(tmp_path / "viewer-episode.png"))
            driver.find_element(By.ID, "tab-run").click()
            wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#run-content .uplot canvas")) >= 3)
            assert "Pearson" in driver.find_element(By.ID, "run-content").text
            assert not driver.find_element(By.ID, "episodes-view").is_displayed()
            driver.save_screenshot(str(tmp_path / "viewer-run.png"))
            errors = [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]
            assert errors == [], errors
    finally:
        driver.quit()
    assert (tmp_path / "viewer-episode.png").stat().st_size > 10_000
    if os.environ.get("SPA_GYM_VIEWER_SCREENSHOTS"):  # keep them for a person to look at
        for name in ("viewer-episode.png", "viewer-run.png"):
            shutil.copy(tmp_path / name, Path(os.environ["SPA_GYM_VIEWER_SCREENSHOTS"]) / name)
