"""The Prefect UI as a reviewer uses it, in headless Chromium (Debian's; never a downloaded browser):
a real server, the deployments served by `python -m flows.serve`, the run form, the review, the reel.
Screenshots go to e2e-screenshots/ in the project, to look at when this fails."""

import re
import shutil
from pathlib import Path

import pytest

from tests.prefect_server import BIN, PROJECT, Processes, base_env, free_port, start_server, wait_for

pytestmark = pytest.mark.e2e

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SHOTS = PROJECT / "e2e-screenshots"
TEXT = "Hello from the browser. This reel waits for a reviewer."


@pytest.fixture
def ui(tmp_path):
    """(UI address, files address, output folder) of a server with served deployments."""
    from prefect.settings import PREFECT_API_URL, temporary_settings

    if not Path(CHROMIUM).exists():
        pytest.skip("Chromium is not installed: apt-get install chromium")
    SHOTS.mkdir(exist_ok=True)
    processes = Processes(tmp_path, base_env(tmp_path))
    files_port, out = free_port(), tmp_path / "out"
    try:
        api = start_server(processes, tmp_path / "prefect-home")
        processes.start("serve", [str(BIN / "python"), "-m", "flows.serve", "--out", str(out),
                                  "--files-port", str(files_port)])
        with temporary_settings(updates={PREFECT_API_URL: api}):
            wait_for(lambda: len(_deployments()) == 3, 120, "the served deployments")
            yield api.removesuffix("/api"), f"http://127.0.0.1:{files_port}", out
    finally:
        processes.stop_all()


def _deployments() -> dict:
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        return {d.name: d.id for d in client.read_deployments()}


def _runs_named(name: str) -> list:
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        return [run for run in client.read_flow_runs() if run.name == name]


def field(page, label: str):
    """A form field by its label (the UI adds ' (Optional)' to those that are not required)."""
    return page.locator(
        f'xpath=//span[@class="schema-form-property__label" and (normalize-space()="{label}" or '
        f'normalize-space()="{label} (Optional)")]/ancestor::div[contains(concat(" ", @class, " "), '
        '" schema-form-property ")][1]')


def choose(page, label: str, value: str) -> None:
    control = field(page, label).locator("button.p-select-button__control")
    control.focus()
    control.press("ArrowDown")
    page.get_by_role("option", name=value, exact=True).click()


def submit_form(page, base: str, reel_id: str, title: str) -> None:
    page.goto(f"{base}/deployments/deployment/{_deployments()['produce-reel']}/run", wait_until="networkidle")
    field(page, "Voiceover").locator("textarea").fill(TEXT)
    field(page, "Reel id").locator("textarea").fill(reel_id)
    field(page, "Title").locator("textarea").fill(title)
    choose(page, "Voice", "kokoro-nezumi")
    choose(page, "Camera", "static")
    choose(page, "Animator", "still")
    page.screenshot(path=SHOTS / "run-form.png")
    page.get_by_role("button", name="Submit").click()


def review(page, base: str, run_id, decision: str | None, notes: str = "") -> None:
    page.goto(f"{base}/runs/flow-run/{run_id}", wait_until="networkidle")
    page.get_by_role("button", name="Resume").click()
    dialog = page.get_by_role("dialog")
    if decision:
        choose(page, "Decision", decision)
        field(page, "Reviewer").locator("textarea").fill("Dana Whitfield")
        field(page, "Notes").locator("textarea").fill(notes)
    page.screenshot(path=SHOTS / f"review-{decision or 'empty'}.png")
    dialog.get_by_role("button", name="Submit").click()


def suspended_run(name: str):
    return wait_for(lambda: [r for r in _runs_named(name) if r.state.name == "Suspended"], 240,
                    f"run '{name}' to wait for review")[0]


def test_a_reviewer_approves_and_plays_the_reel_and_a_rejection_reads_rejected(ui):
    from playwright.sync_api import expect, sync_playwright

    base, files, out = ui
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        try:
            submit_form(page, base, "Browser Check", "Browser check")
            run = suspended_run("browser-check: Browser check")
            page.goto(f"{base}/runs/flow-run/{run.id}", wait_until="networkidle")
            expect(page.get_by_text("Suspended").first).to_be_visible()

            review(page, base, run.id, None)  # an empty review is refused, and the run still waits
            expect(page.get_by_text("'decision' is a required property")).to_be_visible()
            expect(page.get_by_text("'reviewer' is a required property")).to_be_visible()
            assert _runs_named(run.name)[0].state.name == "Suspended"

            review(page, base, run.id, "approve", "Looks good")
            wait_for(lambda: _runs_named(run.name)[0].state.type.value == "COMPLETED", 300, "the render", every=2)
            page.goto(f"{base}/runs/flow-run/{run.id}", wait_until="networkidle")
            expect(page.get_by_text("Completed").first).to_be_visible()
            page.get_by_text("Artifacts", exact=True).first.click()
            play = page.get_by_role("link", name=re.compile(r"^Play the \d+\.\d s reel$"))
            expect(play).to_be_visible()  # on the artifact's card
            page.screenshot(path=SHOTS / "artifacts.png")
            assert play.get_attribute("href") == f"{files}/browser-check/reel.mp4"
            page.get_by_text("reel-browser-check", exact=True).click()
            link = page.get_by_role("link", name="browser-check/reel.mp4", exact=True)
            expect(link).to_be_visible()  # the link artifact itself
            page.screenshot(path=SHOTS / "reel-artifact.png")
            href = link.get_attribute("href")
            assert href == f"{files}/browser-check/reel.mp4" and (out / "browser-check" / "reel.mp4").is_file()

            response = page.request.get(href)
            assert response.status == 200 and response.headers["content-type"] == "video/mp4"
            player = browser.new_page()
            player.goto(href)
            player.wait_for_function("() => document.querySelector('video')?.readyState >= 2", timeout=30000)
            size = player.evaluate("() => [document.querySelector('video').videoWidth, "
                                   "document.querySelector('video').videoHeight]")
            assert size == [1080, 1920]
            player.screenshot(path=SHOTS / "reel-playing.png")

            submit_form(page, base, "browser-reject", "Rejected in the browser")
            rejected = suspended_run("browser-reject: Rejected in the browser")
            review(page, base, rejected.id, "reject", "Wrong product name")
            wait_for(lambda: _runs_named(rejected.name)[0].state.name == "Rejected", 120, "the rejection")
            page.goto(f"{base}/runs", wait_until="networkidle")
            expect(page.get_by_text("Rejected", exact=True).first).to_be_visible()
            rows = page.locator(".flow-run-list-item, [class*='flow-run-list']").all_inner_texts()
            page.screenshot(path=SHOTS / "runs-list.png", full_page=True)
            listing = " ".join(rows) or page.inner_text("body")
            assert re.search(r"browser-reject: Rejected in the browser\s+Rejected", listing), listing[:2000]
            assert re.search(r"browser-check: Browser check\s+Completed", listing), listing[:2000]
            assert not (out / "browser-reject").exists()
        except Exception:
            page.screenshot(path=SHOTS / "failure.png", full_page=True)
            raise
        finally:
            browser.close()
