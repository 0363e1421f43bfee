"""End to end in a real headless browser: Debian's chromium driven by Playwright (no browser download).

Needs `apt-get install chromium` (/usr/bin/chromium) and the `playwright` Python package. The screenshot is
kept in ./artifacts/demo_classify.png (gitignored) as the test's artifact.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("KVIDEO_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(os.environ.get("KVIDEO_ARTIFACTS", Path(__file__).resolve().parents[1] / "artifacts"))
BROWSER_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"no system chromium at {CHROMIUM}: apt-get install chromium"),
]

pytest.importorskip("playwright.sync_api", reason="the playwright Python package is not installed")
pytest.importorskip("gradio")


@pytest.fixture(scope="module")
def served():
    """The demo as `kvideo demo` serves it: the built-in default model and the sample clips."""
    from kvideo.demo.app import build_app, launch

    app = build_app()
    app, url = launch(app, port=0, block=False, quiet=True)
    yield app, url
    app.close()


@pytest.fixture(scope="module")
def page(served):
    from playwright.sync_api import sync_playwright

    app, url = served
    with tempfile.TemporaryDirectory(prefix="kvideo-chromium-") as profile, sync_playwright() as pw:
        ctx = pw.chromium.launch_persistent_context(
            profile,  # a fresh --user-data-dir
            executable_path=CHROMIUM,
            headless=True,
            args=BROWSER_ARGS,
            viewport={"width": 1280, "height": 1000},
        )
        pg = ctx.new_page()
        requests = []
        pg.on("request", lambda r: requests.append(r.url))
        pg.goto(url, wait_until="load", timeout=90_000)
        pg.wait_for_selector("#classify-button", timeout=90_000)
        pg.kvideo_requests = requests
        pg.kvideo_url = url
        yield pg
        ctx.close()


def test_upload_click_see_label(page, served):
    app, url = served
    state = app.kvideo_state
    long_clip = next(p for p in state.samples if "long" in Path(p).name)
    page.locator("#classify-video input[type=file]").set_input_files(long_clip)
    page.wait_for_selector("#classify-video video", timeout=30_000)
    page.locator("#classify-button").click()
    label = page.locator("#classify-label .output-class")
    label.wait_for(timeout=120_000)
    page.wait_for_function(
        "() => document.querySelector('#classify-info') && document.querySelector('#classify-info').innerText.includes('timeline')",
        timeout=60_000,
    )
    text = label.inner_text().strip()
    assert text in state.imagenet.class_names, text  # the page's default model: ImageNet labels
    page.wait_for_timeout(500)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTIFACTS / "demo_classify.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000
    # the page loaded nothing from outside this machine (no fonts, analytics or CDN)
    local = url.rstrip("/")
    outside = [u for u in page.kvideo_requests if not u.startswith((local, "blob:", "data:"))]
    assert not outside, outside


def test_error_shows_in_page_and_server_keeps_running(page, served):
    app, url = served
    page.locator("#classify-model").get_by_label("trained in the Train tab").check()
    page.locator("#classify-button").click()
    page.get_by_text("train one in the Train tab", exact=False).first.wait_for(timeout=60_000)
    # the server still answers: back to the built-in model with a short sample clip
    short = next(p for p in app.kvideo_state.samples if "long" not in Path(p).name)
    page.locator("#classify-model").get_by_label("built-in").check()
    page.locator("#classify-video button[aria-label='Clear']").first.click()
    page.locator("#classify-video input[type=file]").set_input_files(short)
    page.wait_for_selector("#classify-video video", timeout=30_000)
    page.locator("#classify-button").click()
    page.wait_for_function(
        "() => { const el = document.querySelector('#classify-info'); return el && el.innerText.includes('video: 2.0 s'); }",
        timeout=60_000,
    )
