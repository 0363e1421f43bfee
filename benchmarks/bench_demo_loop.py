"""Measure the demo's Teachable-Machine loop: time to first page and to first classification (cold `kvideo demo`),
time to train 2 labels x 5 clips through the Train tab's quick path, the accuracy of that model on held-out clips,
and the Live tab's predictions per second on this CPU.

    python benchmarks/bench_demo_loop.py [--port 7872] [--live-seconds 20] [--out benchmarks/results/demo_loop.json]

Data (2 labels, 5 training clips each, held-out clips never trained on):
- "real": the two videos of ../shared/data/videos (stage footage vs a crowd), cut into 10-frame clips; training
  clips come from the first half of each video, held-out clips from the second half (skipped without the folder).
- "actors": kvideo.datasets.actors, "wave1" vs "jump"; training clips show actors 0-4, held-out clips actors 5-8
  (people the model never saw).
Training is ``kvideo.demo.quick.train_quick`` (what the Train button runs) in this process, with a fresh, empty
embedding cache. Live is ``kvideo.demo.live.LivePreview`` over the trained model (what the Live tab runs), fed
held-out frames at a camera's rate from two threads (the tab's concurrency limit); frames that come while a
prediction runs only refresh the ring buffer.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

import numpy as np

VIDEOS = Path(__file__).resolve().parents[2] / "shared" / "data" / "videos"
if not VIDEOS.exists():
    VIDEOS = Path("/work/shared/data/videos")
REAL = {"stage": "short_hamilton_clip.mp4", "crowd": "facenet_pytorch_video.mp4"}
ACTORS = ("wave1", "jump")
CLIP_FRAMES, TRAIN_CLIPS = 10, 5


def first_page_and_classification(port, clip):
    """Cold `kvideo demo` (fresh cache): seconds from the command to HTTP 200 and to the first /classify answer."""
    from gradio_client import Client, handle_file

    with tempfile.TemporaryDirectory(prefix="kvideo-bench-loop-cache-") as cache:
        env = dict(os.environ, KVIDEO_CACHE_DIR=cache, TF_CPP_MIN_LOG_LEVEL="3")
        t0 = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-m", "kvideo", "demo", "--port", str(port)], env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            url, page_s = f"http://127.0.0.1:{port}/", None
            while page_s is None and time.perf_counter() - t0 < 600:
                if proc.poll() is not None:
                    raise RuntimeError(f"kvideo demo exited with {proc.returncode}")
                try:
                    with urllib.request.urlopen(url, timeout=2) as r:
                        page_s = time.perf_counter() - t0 if r.status == 200 else None
                except OSError:
                    time.sleep(0.05)
            out = Client(url, verbose=False).predict(handle_file(str(clip)), api_name="/classify")
            first_s = time.perf_counter() - t0
            return {"first_page_s": round(page_s, 2), "first_classification_s": round(first_s, 2),
                    "first_label": (out[0] or {}).get("label")}
        finally:
            proc.terminate()
            proc.wait(timeout=60)


def real_clips(root):
    """``({label: [train clips]}, [(held-out clip, label)])`` cut from the two real videos."""
    from kvideo.io import read_clip, video_info, write_video

    train, held = {}, []
    for label, name in REAL.items():
        path = VIDEOS / name
        fps = float(video_info(path)["fps"])
        frames = read_clip(path, size=(360, 640), sampling="all")
        half = len(frames) // 2
        starts_train = np.linspace(0, half - CLIP_FRAMES, TRAIN_CLIPS).astype(int)
        starts_held = np.linspace(half, len(frames) - CLIP_FRAMES, TRAIN_CLIPS).astype(int)
        out = Path(root) / "real" / label
        out.mkdir(parents=True, exist_ok=True)
        train[label] = [str(write_video(out / f"train_{s}.mp4", frames[s:s + CLIP_FRAMES], fps=fps)) for s in starts_train]
        held += [(str(write_video(out / f"held_{s}.mp4", frames[s:s + CLIP_FRAMES], fps=fps)), label) for s in starts_held]
    return train, held


def actor_clips(root):
    from kvideo.datasets.actors import make_actor_videos

    rows = make_actor_videos(Path(root) / "actors", actions=ACTORS, actors=9, seed=3, progress=False)
    train = {a: [r["path"] for r in rows if r["action"] == a and int(r["actor"][5:]) < TRAIN_CLIPS] for a in ACTORS}
    held = [(r["path"], r["action"]) for r in rows if int(r["actor"][5:]) >= TRAIN_CLIPS]
    return train, held


def train_and_test(state, train, held):
    """Train through the demo's quick path; time it, then the held-out accuracy of the saved model."""
    from kvideo.demo.quick import train_quick

    rows = tuple((label, clips) for label, clips in train.items())
    t0 = time.perf_counter()
    updates = list(train_quick(state, rows))
    train_s = time.perf_counter() - t0
    model_path = updates[-1].model_path
    t0 = time.perf_counter()
    again = list(train_quick(state, rows))  # the same clips again: their embeddings come from the cache
    retrain_s = time.perf_counter() - t0
    clf = state.trained_model(model_path)
    t0 = time.perf_counter()
    hits = [clf.predict(path)[0]["label"] == label for path, label in held]
    return clf, {
        "train_clips": {k: len(v) for k, v in train.items()},
        "train_s": round(train_s, 2),
        "retrain_same_clips_s": round(retrain_s, 2),
        "page_message": updates[-1].message,
        "held_out_clips": len(held),
        "held_out_accuracy": round(float(np.mean(hits)), 3),
        "predict_file_s": round((time.perf_counter() - t0) / len(held), 3),
        "model_mb": round(Path(model_path).stat().st_size / 2**20, 1),
        "retrained_ok": again[-1].model_path is not None,
    }


def live_rate(clf, lock, streams, fps, seconds, min_interval=None):
    """Feed ``streams`` (``[(label, frames)]``, each for ``seconds / len(streams)``) at ``fps`` into a LivePreview,
    from at most 2 threads at a time; count predictions and how often the top label is the one being played."""
    from kvideo.demo.live import DEFAULT_MIN_INTERVAL, DEFAULT_WINDOW, LivePreview, classifier_predict

    latencies, tops = [], []
    base = classifier_predict(clf, lock=lock)

    def timed(clip):
        t = time.perf_counter()
        out = base(clip)
        latencies.append(time.perf_counter() - t)
        return out

    live = LivePreview(timed, window=min(DEFAULT_WINDOW, 2 * clf.num_frames),
                       min_interval=DEFAULT_MIN_INTERVAL if min_interval is None else min_interval)
    in_flight, skipped, sent = threading.Semaphore(2), 0, 0
    threads = []

    def one(frame, label):
        try:
            before = live.predictions
            scores = live.step(frame)
            if scores and live.predictions > before:
                tops.append(max(scores, key=scores.get) == label)
        finally:
            in_flight.release()

    t_start = time.perf_counter()
    per = seconds / len(streams)
    for label, frames in streams:
        t0 = time.perf_counter()
        i = 0
        while time.perf_counter() - t0 < per:
            if in_flight.acquire(blocking=False):  # the browser's frame goes to a free worker, else it is lost
                th = threading.Thread(target=one, args=(frames[i % len(frames)], label))
                th.start()
                threads.append(th)
                sent += 1
            else:
                skipped += 1
            i += 1
            time.sleep(max(0.0, t0 + i / fps - time.perf_counter()))
    for th in threads:
        th.join()
    wall = time.perf_counter() - t_start
    return {"fps_fed": fps, "seconds": round(wall, 1), "min_interval_s": live.min_interval, "window": live.window,
            "predictions": live.predictions, "predictions_per_s": round(live.predictions / wall, 2),
            "predict_latency_median_s": round(statistics.median(latencies), 3) if latencies else None,
            "frames_sent": sent, "frames_lost_workers_busy": skipped, "frames_dropped_while_predicting": live.dropped,
            "top_label_is_played_label": round(float(np.mean(tops)), 3) if tops else None}


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--port", type=int, default=7872)
    p.add_argument("--live-seconds", type=float, default=20.0)
    p.add_argument("--out", default=None)
    p.add_argument("--skip-start", action="store_true", help="skip the cold start measurement")
    args = p.parse_args(argv)
    res = {"cpus": os.cpu_count(), "loadavg_start": [round(x, 2) for x in os.getloadavg()]}
    with tempfile.TemporaryDirectory(prefix="kvideo-bench-loop-") as tmp:
        os.environ["KVIDEO_CACHE_DIR"] = str(Path(tmp) / "cache")  # a fresh embedding cache for the training runs
        from kvideo.datasets import make_sample_videos
        from kvideo.demo.state import DemoState
        from kvideo.io import read_clip

        if not args.skip_start:
            short = make_sample_videos(Path(tmp) / "short", classes=("left",), per_class=1, num_frames=50,
                                       size=(240, 320), fps=25) / "left" / "left_0.mp4"
            res["start"] = first_page_and_classification(args.port, short)
        state = DemoState(workdir=Path(tmp) / "work", samples=False)
        sets = {"actors": actor_clips(tmp)}
        if VIDEOS.exists():
            sets["real"] = real_clips(tmp)
        res["train"], models = {}, {}
        for name, (train, held) in sets.items():
            models[name], res["train"][name] = train_and_test(state, train, held)
            print(name, json.dumps(res["train"][name]), flush=True)
        name = "real" if "real" in sets else "actors"
        held = sets[name][1]
        streams = [(label, np.concatenate([read_clip(p, size=None, sampling="all") for p, lab in held if lab == label]))
                   for label in dict.fromkeys(lab for _, lab in held)]
        res["live"] = {"model": name}
        for key, fps, interval in (("camera_30fps", 30, None), ("page_10fps", 10, None), ("unthrottled_30fps", 30, 0.0)):
            res["live"][key] = live_rate(models[name], state.model_lock, streams, fps, args.live_seconds, interval)
            print(key, json.dumps(res["live"][key]), flush=True)
    res["loadavg_end"] = [round(x, 2) for x in os.getloadavg()]
    text = json.dumps(res, indent=1)
    print(text)
    if args.out:
        Path(args.out).write_text(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
