"""Measure the demo: start time of `kvideo demo` (cold and warm), /classify latency on a 10 s clip, and 20
concurrent /classify requests. Loopback only; every wait is bounded.

    python benchmarks/bench_demo.py [--port 7871] [--repeats 5] [--concurrent 20] [--out results.json]

"cold" = a fresh, empty KVIDEO_CACHE_DIR (the sample clips are made, the default model is loaded from the
package); "warm" = the second start with the same cache. Python's own files are in the OS page cache in both.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path


def wait_served(url, proc, timeout=600):
    t_end = time.monotonic() + timeout
    while time.monotonic() < t_end:
        if proc.poll() is not None:
            raise RuntimeError(f"kvideo demo exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200 and b"<html" in r.read(4096).lower():
                    return True
        except OSError:
            pass
        time.sleep(0.1)
    raise TimeoutError(f"{url} not served after {timeout} s")


def start_demo(port, cache, extra=()):
    env = dict(os.environ, KVIDEO_CACHE_DIR=str(cache), TF_CPP_MIN_LOG_LEVEL="3")
    cmd = [sys.executable, "-m", "kvideo", "demo", "--port", str(port), *extra]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    drain = threading.Thread(target=lambda: proc.stderr.read(), daemon=True)
    drain.start()
    wait_served(f"http://127.0.0.1:{port}/", proc)
    return proc, time.perf_counter() - t0


def stop(proc):
    proc.send_signal(signal.SIGINT)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def make_10s_clip(folder):
    """A 10 s, 25 fps, 320x240 H.264 clip of the demo's motions."""
    import numpy as np

    from kvideo.datasets import make_sample_videos
    from kvideo.io import read_clip, write_video

    root = make_sample_videos(Path(folder) / "src", classes=("left", "grow"), per_class=1, num_frames=125,
                              size=(240, 320), fps=25)
    parts = [read_clip(root / c / f"{c}_0.mp4", size=None, sampling="all") for c in ("left", "grow")]
    return write_video(Path(folder) / "clip_10s.mp4", np.concatenate(parts), fps=25.0)


_BREAKDOWN = r"""
import json, os, time
os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
out, t = {}, time.perf_counter()
def lap(name):
    global t
    now = time.perf_counter(); out[name] = round(now - t, 2); t = now
import gradio; lap("import gradio")
import keras; lap("import keras + tensorflow")
from kvideo.demo.defaults import SHIPPED_MODEL, sample_clips
from kvideo.tasks import VideoClassifier
clf = VideoClassifier.load(SHIPPED_MODEL); lap("load the shipped default model")
sample_clips(); lap("sample clips (cached)")
from kvideo.demo.app import build_app, launch
app = build_app(clf); lap("build_app")
app, url = launch(app, port=0, block=False, quiet=True); lap("launch (server up)")
app.close()
print("BREAKDOWN " + json.dumps(out))
"""


def start_breakdown(cache):
    """Where a warm start's seconds go, measured in one fresh process."""
    env = dict(os.environ, KVIDEO_CACHE_DIR=str(cache), TF_CPP_MIN_LOG_LEVEL="3")
    r = subprocess.run([sys.executable, "-c", _BREAKDOWN], env=env, capture_output=True, text=True, timeout=600)
    line = [l for l in r.stdout.splitlines() if l.startswith("BREAKDOWN ")]
    return json.loads(line[-1][len("BREAKDOWN "):]) if line else {"error": r.stderr[-300:]}


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--port", type=int, default=7871)
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--concurrent", type=int, default=20)
    p.add_argument("--out", default=None)
    args = p.parse_args(argv)
    from gradio_client import Client, handle_file

    from kvideo.io import video_info

    res = {"python": sys.version.split()[0], "cpus": os.cpu_count(), "loadavg_start": [round(x, 1) for x in os.getloadavg()]}
    with tempfile.TemporaryDirectory(prefix="kvideo-bench-demo-") as tmp:
        cache = Path(tmp) / "cache"
        proc, cold = start_demo(args.port, cache)
        res["start_cold_s"] = round(cold, 2)
        stop(proc)
        res["start_warm_breakdown_s"] = start_breakdown(cache)
        proc, warm = start_demo(args.port, cache)
        res["start_warm_s"] = round(warm, 2)
        try:
            url = f"http://127.0.0.1:{args.port}/"
            clip = str(make_10s_clip(tmp))
            info = video_info(clip)
            res["clip"] = {k: info[k] for k in ("frames", "fps", "duration", "width", "height", "codec")}
            client = Client(url, verbose=False)
            t0 = time.perf_counter()
            client.predict(handle_file(clip), api_name="/classify")
            res["classify_10s_first_s"] = round(time.perf_counter() - t0, 3)
            times = []
            for _ in range(args.repeats):
                t0 = time.perf_counter()
                label, timeline, strip, md = client.predict(handle_file(clip), api_name="/classify")
                times.append(time.perf_counter() - t0)
            res["classify_10s_median_s"] = round(statistics.median(times), 3)
            res["classify_10s_all_s"] = [round(t, 3) for t in times]
            res["classify_10s_has_timeline"] = timeline is not None
            res["classify_10s_server_md"] = md

            def one(i):
                c = Client(url, verbose=False)
                t0 = time.perf_counter()
                try:
                    out = c.predict(handle_file(clip), api_name="/classify")
                    ok = bool(out[0] and out[0].get("label"))
                    return ok, time.perf_counter() - t0, None
                except Exception as e:  # noqa: BLE001
                    return False, time.perf_counter() - t0, str(e)[:200]

            t0 = time.perf_counter()
            with ThreadPoolExecutor(args.concurrent) as pool:
                outs = list(pool.map(one, range(args.concurrent), timeout=600))
            wall = time.perf_counter() - t0
            lat = sorted(t for _, t, _ in outs)
            res["concurrent"] = {
                "requests": args.concurrent,
                "succeeded": sum(ok for ok, _, _ in outs),
                "errors": [e for _, _, e in outs if e][:3],
                "wall_s": round(wall, 2),
                "latency_p50_s": round(statistics.median(lat), 2),
                "latency_max_s": round(lat[-1], 2),
            }
        finally:
            stop(proc)
    res["loadavg_end"] = [round(x, 1) for x in os.getloadavg()]
    text = json.dumps(res, indent=1)
    print(text)
    if args.out:
        Path(args.out).write_text(text)
    return 0 if res["concurrent"]["succeeded"] == args.concurrent else 1


if __name__ == "__main__":
    sys.exit(main())
