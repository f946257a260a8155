"""Time per step in the browser app, including the redraw, measured in headless chromium.

Target (issue: browser app): on the default scenario, one step including redraw takes <= 0.5 s
in the browser. Starts a real `symbiosim app` server, clicks Step N times on the map page and
times each click until the new date is shown; prints the median and the spread. As a baseline
measured in the same run, the same number of steps of the model alone (no browser) is timed.

Usage: python benchmarks/bench_app.py [--steps N] [--port P]
"""

import argparse
import os
import signal
import statistics
import subprocess
import sys
import time
import urllib.request

from playwright.sync_api import expect, sync_playwright

from symbiosim.runs.app import AppModel

TARGET_S = 0.5
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]  # fmt: skip


def main() -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--port", type=int, default=8791)
    args = parser.parse_args()
    server = subprocess.Popen(
        [sys.executable, "-m", "symbiosim.runs.cli", "app", "--port", str(args.port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    try:
        url = f"http://127.0.0.1:{args.port}/"
        for _ in range(180):
            try:
                with urllib.request.urlopen(url, timeout=2):
                    break
            except OSError:
                time.sleep(0.5)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
            page = browser.new_page(viewport={"width": 1500, "height": 1100})
            page.goto(url)
            step = page.get_by_role("button", name="Step")
            step.wait_for(timeout=90_000)
            seconds = []
            for month in range(1, args.steps + 1):
                started = time.perf_counter()
                step.click()
                date = f"{2025 + (month - 1) // 12}-{(month - 1) % 12 + 1:02d}"
                expect(page.get_by_text(f"Date: {date}")).to_be_visible(timeout=30_000)
                seconds.append(time.perf_counter() - started)
            browser.close()
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=15)
    model = AppModel()
    started = time.perf_counter()
    model.run(args.steps)
    model_only = (time.perf_counter() - started) / args.steps
    median = statistics.median(seconds)
    print(f"{args.steps} steps in the browser (map page), seconds per step including redraw:")
    print(f"  median {median:.3f}  min {min(seconds):.3f}  max {max(seconds):.3f}")
    print(f"  the model alone: {model_only * 1000:.1f} ms per step; ratio browser / model {median / model_only:.0f}")
    print(f"median {median:.2f} s (target <= {TARGET_S} s): {'OK' if median <= TARGET_S else 'MISSED'}")


if __name__ == "__main__":
    main()
