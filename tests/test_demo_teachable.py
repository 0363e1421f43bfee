"""The Teachable-Machine loop in a real browser: record clips for two labels from a (fake) webcam, train with the
quick path, watch the Live tab name what the camera shows, download the model and use it in Python.

Debian's chromium plays a generated clip as its webcam (``--use-file-for-fake-video-capture``). One browser has
one fake camera, so the clip alternates between the two "objects" a person would hold up: a red ball on a dark
background (:data:`CYCLE` / 2 seconds), then a blue card on a light one. The test watches the camera in the page
(mean brightness of the webcam's ``<video>``) and presses Record when the object it wants has just appeared,
as a person would. Screenshots of each step go to ``./artifacts/teachable_*.png`` (gitignored).

The default run records 2 clips per label; the slow run records 5 (what the issue asks for).
"""

from __future__ import annotations

import os
import re
import tempfile
import time
from pathlib import Path

import numpy as np
import pytest

CHROMIUM = os.environ.get("KVIDEO_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(os.environ.get("KVIDEO_ARTIFACTS", Path(__file__).resolve().parents[1] / "artifacts"))
LABELS = ("ball", "card")
FPS = 15
#: Seconds of one camera cycle: the ball for the first half, the card for the second.
CYCLE = 8.0
#: Seconds recorded per clip (well inside a half cycle, even when a click lands late under load).
RECORD_SECONDS = 1.5
#: Generous waits (the machine may be busy): page steps, training, the live preview.
STEP_MS, TRAIN_MS, LIVE_S = 120_000, 300_000, 150.0

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"no system chromium at {CHROMIUM}: apt-get install chromium"),
]

pytest.importorskip("playwright.sync_api", reason="the playwright Python package is not installed")
pytest.importorskip("gradio")

# Mean luma of a webcam <video> in the page (-1 while it shows nothing yet).
_LUMA_JS = """(sel) => { const v = document.querySelector(sel); if (!v || !v.videoWidth) return -1;
  const c = document.createElement('canvas'); c.width = 8; c.height = 8; const g = c.getContext('2d');
  g.drawImage(v, 0, 0, 8, 8); const d = g.getImageData(0, 0, 8, 8).data; let s = 0;
  for (let i = 0; i < d.length; i += 4) s += 0.299 * d[i] + 0.587 * d[i + 1] + 0.114 * d[i + 2];
  return s / 64; }"""


def object_frames(label, n, size=(240, 320), phase=0):
    """``n`` RGB frames of one label: a red ball moving right on dark blue, or a blue card moving down on cream."""
    h, w = size
    yy, xx = np.mgrid[:h, :w]
    out = np.empty((n, h, w, 3), np.uint8)
    for t in range(n):
        k = t + phase
        if label == LABELS[0]:
            out[t] = (20, 20, 60)
            out[t][(xx - (w // 5 + (k * 8) % (3 * w // 5))) ** 2 + (yy - h // 2) ** 2 < (h // 5) ** 2] = (230, 30, 30)
        else:
            out[t] = (230, 230, 200)
            out[t][(abs(xx - w // 2) < w // 7) & (abs(yy - (h // 6 + (k * 6) % (2 * h // 3))) < h // 7)] = (20, 60, 220)
    return out


def write_y4m(path, frames, fps=FPS):
    """Write RGB frames as a YUV4MPEG2 (4:2:0) file, the format chromium's fake camera plays."""
    t, h, w, _ = frames.shape
    rgb = frames.astype(np.float32)
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    y = 0.299 * r + 0.587 * g + 0.114 * b
    u = (-0.168736 * r - 0.331264 * g + 0.5 * b + 128).reshape(t, h // 2, 2, w // 2, 2).mean((2, 4))
    v = (0.5 * r - 0.418688 * g - 0.081312 * b + 128).reshape(t, h // 2, 2, w // 2, 2).mean((2, 4))
    planes = [np.clip(np.round(p), 0, 255).astype(np.uint8) for p in (y, u, v)]
    with open(path, "wb") as f:
        f.write(f"YUV4MPEG2 W{w} H{h} F{fps}:1 Ip A1:1 C420jpeg\n".encode())
        for i in range(t):
            f.write(b"FRAME\n" + b"".join(p[i].tobytes() for p in planes))
    return Path(path)


def camera_label(page, selector):
    """What the fake camera shows now in the page's ``<video>`` at ``selector`` (None: no picture yet)."""
    luma = page.evaluate(_LUMA_JS, selector)
    return None if luma < 0 else (LABELS[0] if luma < 128 else LABELS[1])


def wait_for_start_of(page, selector, label, timeout=3 * CYCLE):
    """Wait until the camera switches to ``label`` (so that the next ``CYCLE / 2`` seconds show it)."""
    seen_other, t_end = False, time.monotonic() + timeout
    while time.monotonic() < t_end:
        now = camera_label(page, selector)
        seen_other |= now is not None and now != label
        if seen_other and now == label:
            return
        page.wait_for_timeout(50)
    raise AssertionError(f"the camera never switched to {label}")


def shot(page, name):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"teachable_{name}.png"), full_page=True)


@pytest.fixture(scope="module")
def camera(tmp_path_factory):
    half = int(CYCLE / 2 * FPS)
    frames = np.concatenate([object_frames(LABELS[0], half), object_frames(LABELS[1], half)])
    return write_y4m(tmp_path_factory.mktemp("camera") / "camera.y4m", frames)


@pytest.fixture(scope="module")
def served():
    from kvideo.demo.app import build_app, launch

    app = build_app(samples=False)
    app, url = launch(app, port=0, block=False, quiet=True)
    yield app, url
    app.close()


@pytest.fixture
def page(served, camera):
    from playwright.sync_api import sync_playwright

    args = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--use-fake-ui-for-media-stream",
            "--use-fake-device-for-media-stream", f"--use-file-for-fake-video-capture={camera}"]
    with tempfile.TemporaryDirectory(prefix="kvideo-chromium-") as profile, sync_playwright() as pw:
        ctx = pw.chromium.launch_persistent_context(profile, executable_path=CHROMIUM, headless=True, args=args,
                                                    viewport={"width": 1280, "height": 1000}, accept_downloads=True)
        ctx.set_default_timeout(STEP_MS)
        pg = ctx.new_page()
        pg.goto(served[1], wait_until="load", timeout=STEP_MS)
        pg.get_by_role("tab", name="Train").wait_for(timeout=STEP_MS)  # a tab's content is drawn when it opens
        yield pg
        ctx.close()


def record_clip(page, index, label, kept_before, shoot=False):
    """Record one clip of ``label`` into label card ``index`` as a person would: open the camera, wait for the
    object, Record, Stop, Keep; wait until the card counts one more clip."""
    card = page.locator(f"#label-rec-{index}")
    card.get_by_text("Click to Access Webcam").click()
    video = f"#label-rec-{index} video[data-testid=webcam-video]"
    wait_for_start_of(page, video, label)
    card.locator("button[aria-label='start recording']").click()
    page.wait_for_timeout(RECORD_SECONDS * 1000)  # the length of the recording
    card.locator("[title='stop recording']").wait_for()  # recording
    if shoot:
        shot(page, "1a_recording")
    card.locator("button.capture-button").click()  # stop
    card.locator("video[src]").wait_for()  # uploaded and shown in the player
    if shoot:
        shot(page, "1b_recorded")
    page.locator(f"#label-keep-{index}").click()
    n = kept_before + 1
    page.locator(f"#label-count-{index}").get_by_text(f"{n} clip{'' if n == 1 else 's'}", exact=True).wait_for()


def rename(page, index, name):
    box = page.locator(f"#label-name-{index} textarea, #label-name-{index} input").first
    box.fill(name)
    box.press("Enter")
    page.wait_for_function(
        "([i, name]) => { const b = document.querySelector(`#label-name-${i} textarea, #label-name-${i} input`);"
        " return b && b.value === name; }", arg=[index, name])


def train(page):
    page.locator("#train-button").click()
    page.locator("#train-status").get_by_text("Done in").wait_for(timeout=TRAIN_MS)
    return page.locator("#train-status").inner_text()


def download_model(page, out_dir):
    link = page.locator("#train-model-file a[download], #train-model-file a").first
    with page.expect_download() as info:
        link.click()
    path = Path(out_dir) / info.value.suggested_filename
    info.value.save_as(path)
    return path


def watch_live(page):
    """Open the Live tab on the trained model; return ``{label: seconds until the bars named it while the camera
    showed it}`` for both labels (screenshots of each)."""
    page.get_by_role("tab", name="Live").click()
    page.locator("#live-model").get_by_label("trained in the Train tab").check()
    cam = page.locator("#live-camera")
    cam.get_by_text("Click to Access Webcam").click()
    cam.locator("button[aria-label='capture photo']").click()  # starts streaming
    video, named, t0 = "#live-camera video[data-testid=webcam-video]", {}, time.monotonic()
    top = page.locator("#live-label .output-class")
    while len(named) < len(LABELS) and time.monotonic() - t0 < LIVE_S:
        shown = camera_label(page, video)
        said = top.inner_text().strip() if top.count() else ""
        if shown is not None and said == shown and camera_label(page, video) == shown and shown not in named:
            named[shown] = round(time.monotonic() - t0, 1)
            shot(page, f"4_live_{shown}")
        page.wait_for_timeout(200)
    status = page.locator("#live-status").inner_text()
    return named, status


def teachable_loop(page, clips_per_label, tmp_path):
    page.get_by_role("tab", name="Train").click()
    page.locator("#train-button").wait_for()
    for i, name in enumerate(LABELS):
        rename(page, i, name)
    t0 = time.monotonic()
    for k in range(clips_per_label):
        for i, name in enumerate(LABELS):
            record_clip(page, i, name, kept_before=k, shoot=k == 0 and i == 0)
            if k == 0 and i == 0:
                shot(page, "1c_kept_first_clip")
    record_s = time.monotonic() - t0
    shot(page, "2_clips_kept")
    t0 = time.monotonic()
    status = train(page)
    train_s = time.monotonic() - t0
    shot(page, "3_trained")
    for name in LABELS:
        assert f"{name}: {clips_per_label}" in status, status
    model_path = download_model(page, tmp_path)
    page.locator("#export-button").click()
    page.wait_for_function("() => { const c = document.querySelector('#export-snippet');"
                           " return c && c.innerText.includes('VideoClassifier.load'); }")
    assert page.locator("#export-file a").count() >= 1
    shot(page, "3b_exported")
    named, live_status = watch_live(page)
    assert set(named) == set(LABELS), (named, live_status)
    n_predictions = int(re.search(r"(\d+) predictions", live_status).group(1))
    assert n_predictions >= 2, live_status
    print(f"\nrecorded {2 * clips_per_label} clips in {record_s:.0f} s, trained in {train_s:.0f} s (page), "
          f"live named {named} (s after start); {live_status}")
    return model_path


def check_in_python(model_path, tmp_path):
    """The downloaded .keras file loads in plain Python and names fresh clips of each label."""
    import kvideo
    from kvideo.io import write_video

    assert model_path.suffix == ".keras", model_path
    clf = kvideo.VideoClassifier.load(model_path)
    assert sorted(clf.class_names) == sorted(LABELS), clf.class_names
    for name in LABELS:
        clip = write_video(tmp_path / f"fresh_{name}.mp4", object_frames(name, 24, phase=7), fps=FPS)
        assert clf.predict(clip)[0]["label"] == name, clf.predict(clip)


def test_record_train_live_download(page, tmp_path):
    model_path = teachable_loop(page, 2, tmp_path)
    check_in_python(model_path, tmp_path)


@pytest.mark.slow
def test_record_train_live_download_5_clips(page, tmp_path):
    model_path = teachable_loop(page, 5, tmp_path)
    check_in_python(model_path, tmp_path)
