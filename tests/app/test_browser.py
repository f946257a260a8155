"""The app end to end: a real server, a real headless chromium, the figures of a headless run."""

import re

import pytest
from playwright.sync_api import expect

from symbiosim.runs.app import DEFAULT_LABEL, AppModel, scenario_choices
from symbiosim.runs.app_views import key_figures

pytestmark = pytest.mark.slow
SEED = 42
TIMEOUT_MS = 30_000


def shown_figures(page) -> str:
    return page.get_by_text(re.compile("This month:")).first.inner_text()


def expected_figures(months: int, **controls) -> str:
    model = AppModel(DEFAULT_LABEL, SEED, **controls)
    model.run(months)
    return " · ".join(f"{name} {value}" for name, value in key_figures(model).items())


def step(page, month: int) -> None:
    page.get_by_role("button", name="Step").click()
    expect(page.get_by_text(f"Date: 2025-{month:02d}")).to_be_visible(timeout=TIMEOUT_MS)


def test_the_page_loads_with_every_tab_and_no_console_error(page, artifacts):
    expect(page.get_by_text("Date: start (no month simulated)")).to_be_visible(timeout=TIMEOUT_MS)
    step(page, 1)
    facilities = page.locator("svg circle.facility")
    expect(facilities).to_have_count(308, timeout=TIMEOUT_MS)
    # hovering a facility shows its name, sector, output, by-products and partners
    notes = facilities.locator("title").all_text_contents()
    assert any("sells" in note and "partners:" in note for note in notes)
    page.screenshot(path=artifacts / "app_page0_map.png", full_page=True)
    page.get_by_role("tab", name="Page 1").click()
    expect(page.locator("img").first).to_be_visible(timeout=TIMEOUT_MS)
    page.screenshot(path=artifacts / "app_page1_series.png", full_page=True)
    page.get_by_role("tab", name="Page 2").click()
    expect(page.get_by_role("button", name="Run comparison")).to_be_visible(timeout=TIMEOUT_MS)
    page.screenshot(path=artifacts / "app_page2_compare.png", full_page=True)
    assert page.console_errors == []


def test_three_steps_show_the_figures_of_a_headless_run(page):
    for month in (1, 2, 3):
        step(page, month)
    shown = shown_figures(page)
    assert expected_figures(3) in " ".join(shown.split())


def test_a_policy_change_applies_on_reset(page):
    step(page, 1)
    before = shown_figures(page)
    tick(page, "Facilitation platform")
    page.get_by_role("button", name="Reset").click()
    expect(page.get_by_text("Date: start (no month simulated)")).to_be_visible(timeout=TIMEOUT_MS)
    for month in (1, 2):
        step(page, month)
    shown = " ".join(shown_figures(page).split())
    assert expected_figures(2, platform=True) in shown
    assert expected_figures(2) not in shown
    assert shown != before


def test_play_and_pause(page):
    page.get_by_role("button", name="▶").click()
    expect(page.get_by_text(re.compile(r"Date: 2025-0[2-9]"))).to_be_visible(timeout=TIMEOUT_MS)
    page.get_by_role("button", name="❚❚").click()
    step_button = page.get_by_role("button", name="Step")
    expect(step_button).to_be_enabled(timeout=TIMEOUT_MS)
    page.wait_for_timeout(1000)  # a step already under way when Pause was pressed may still land
    month = int(re.search(r"month (\d+) of", shown_status(page)).group(1))
    page.wait_for_timeout(2000)  # paused: the date stands still
    assert int(re.search(r"month (\d+) of", shown_status(page)).group(1)) == month


def shown_status(page) -> str:
    return page.locator("p", has_text=re.compile(r"month \d+ of")).first.inner_text()


def tick(page, label: str) -> None:
    """Tick a sidebar checkbox by its label, as a user does."""
    page.get_by_text(label, exact=True).click()
    expect(page.get_by_role("checkbox", name=label)).to_be_checked(timeout=TIMEOUT_MS)


def test_the_comparison_view_runs_two_models(page, artifacts):
    tick(page, "Facilitation platform")
    page.get_by_role("button", name="Reset").click()
    page.get_by_role("tab", name="Page 2").click()
    page.get_by_role("button", name="Run comparison").click()
    expect(page.get_by_text("Comparison over 3 year(s), seed 42")).to_be_visible(timeout=90_000)
    expect(page.get_by_text("exchanged, kt/yr")).to_be_visible(timeout=TIMEOUT_MS)
    page.screenshot(path=artifacts / "app_page2_compare_result.png", full_page=True)


def _outward_address() -> str:
    """This machine's address on its network (not loopback), or '' when it has none."""
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("10.255.255.255", 1))  # no packet is sent for UDP connect
            return probe.getsockname()[0]
        except OSError:
            return ""


def test_the_server_listens_on_this_machine_only(app_url):
    import urllib.error
    import urllib.request

    port = app_url.rsplit(":", 1)[1].strip("/")
    with urllib.request.urlopen(app_url, timeout=5) as response:
        assert response.status == 200
    address = _outward_address()
    assert address, "no network address to test against"
    assert not address.startswith("127."), "no network address to test against"
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(f"http://{address}:{port}/", timeout=5)


def test_a_bundled_region_runs_in_the_app_with_its_currency(region_page):
    """The app started with --scenario north_rhine_westphalia: its 169 facilities and a headless run's figures, in euro."""
    page = region_page
    expect(page.get_by_text("Date: start (no month simulated)")).to_be_visible(timeout=TIMEOUT_MS)
    step(page, 1)
    expect(page.locator("svg circle.facility")).to_have_count(169, timeout=TIMEOUT_MS)
    label = next(name for name in scenario_choices() if "North Rhine-Westphalia" in name)
    model = AppModel(label, SEED)
    model.run(1)
    expected = " · ".join(f"{name} {value}" for name, value in key_figures(model).items())
    shown = " ".join(shown_figures(page).split())
    assert expected in shown
    assert "M EUR" in shown
    assert page.console_errors == []
