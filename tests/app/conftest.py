"""A real ``symbiosim app`` server and a headless Debian chromium for the browser tests.

The server is started by the fixture (``python -m symbiosim.runs.cli app`` on a free port) and
stopped by its PID. A missing chromium fails the tests with the command that installs it: they
are never skipped.
"""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
STARTUP_S = 90
ARTIFACTS = Path(__file__).parents[2] / "test-artifacts"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def app_url(tmp_path_factory):
    yield from _serve(tmp_path_factory)


@pytest.fixture(scope="session")
def region_app_url(tmp_path_factory):
    """The app started on a bundled region by name (``symbiosim app --scenario north_rhine_westphalia``)."""
    yield from _serve(tmp_path_factory, "--scenario", "north_rhine_westphalia")


def _serve(tmp_path_factory, *options: str):
    """Start ``symbiosim app`` on a free port, yield its URL when it answers, stop it afterwards."""
    port = _free_port()
    log = tmp_path_factory.mktemp("app") / "server.log"
    with log.open("w") as handle:
        server = subprocess.Popen(
            [sys.executable, "-m", "symbiosim.runs.cli", "app", "--port", str(port), *options],
            stdout=handle,
            stderr=subprocess.STDOUT,
            cwd=tmp_path_factory.getbasetemp(),
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + STARTUP_S
        while True:
            if server.poll() is not None:
                pytest.fail(f"symbiosim app exited with {server.returncode}:\n{log.read_text()}")
            try:
                with urllib.request.urlopen(url, timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"symbiosim app did not answer within {STARTUP_S} s:\n{log.read_text()}")
            time.sleep(0.5)
        yield url
    finally:
        os.killpg(server.pid, signal.SIGTERM)  # the server and anything it started
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
    server_log = log.read_text()
    assert "Traceback" not in server_log, server_log


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: run 'bash scripts/setup_browser.sh' (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, app_url):
    """A fresh page on the app (a new session, so a new model), collecting console errors."""
    yield from _page(browser, app_url)


@pytest.fixture
def region_page(browser, region_app_url):
    """A fresh page on the app started on a bundled region."""
    yield from _page(browser, region_app_url)


def _page(browser, url: str):
    context = browser.new_context(viewport={"width": 1500, "height": 1100})
    tab = context.new_page()
    tab.console_errors = []
    tab.on("console", lambda message: tab.console_errors.append(message.text) if message.type == "error" else None)
    tab.on("pageerror", lambda error: tab.console_errors.append(str(error)))
    tab.goto(url)
    tab.get_by_role("button", name="Step").wait_for(timeout=60_000)
    yield tab
    context.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
