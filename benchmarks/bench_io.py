"""Benchmarks of kvideo.io / kvideo.data (numbers go to benchmarks/io_data.md).

    python benchmarks/bench_io.py --part all --workdir /tmp/kvideo_bench     # ~5-8 min on 2 cores
    python benchmarks/bench_io.py --part read      # (a) read_clip vs naive full decode, grab vs seek
    python benchmarks/bench_io.py --part read --only long_h264.mp4 --no-density   # (a), one file, quick
    python benchmarks/bench_io.py --part decode    # (a) detail: x264 GOP 250, decoded frames, decoder threads
    python benchmarks/bench_io.py --part cache     # (b) one pass over >=100 clips: cold vs cached
    python benchmarks/bench_io.py --part cache --clip-size 64 64 --clip-frames 24 --clip-codec mp4v \
        --image-size 64                             # (b) on make_sample_videos' default tiny clips
    python benchmarks/bench_io.py --part rss       # (c) iter_clips over a 20,000-frame file: RSS

Generated files are kept in --workdir and reused by later runs (delete it to regenerate).
Timings are the median of --repeats runs with a warm page cache. Prints Markdown tables and writes
them, with the machine and arguments, to --out (default: <workdir>/results.md).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import cv2  # noqa: E402

from kvideo.io import iter_clips, keyframe_interval, read_clip, sample_indices, video_info, write_video  # noqa: E402
from kvideo.io.capture import check_path, open_capture  # noqa: E402
from kvideo.io import pyav_seek as pyav_seek_mod  # noqa: E402
from kvideo.io.pyav_seek import PyAVSeeker  # noqa: E402
from kvideo.io.reader import FrameReader  # noqa: E402

LINES = []


def emit(s=""):
    print(s, flush=True)
    LINES.append(s)


def rss_mib():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def timeit2(fn, repeats):
    """(median wall seconds, median CPU seconds of this process). CPU time is what to compare on a
    shared machine: other people's jobs inflate wall time but not our process's CPU time."""
    ws, cs = [], []
    for _ in range(repeats):
        t, c = time.perf_counter(), time.process_time()
        fn()
        ws.append(time.perf_counter() - t)
        cs.append(time.process_time() - c)
    return statistics.median(ws), statistics.median(cs)


def timeit(fn, repeats):
    return timeit2(fn, repeats)[1]


def synthetic_frames(n, size, seed=0):
    """Moving shapes on a textured, slowly panning background with noise: compresses like footage."""
    h, w = size
    rng = np.random.default_rng(seed)
    big = cv2.resize(rng.integers(0, 255, (h // 8, w // 4, 3), dtype=np.uint8), (w * 2, h), interpolation=cv2.INTER_CUBIC)
    balls = [(rng.uniform(0, w), rng.uniform(0, h), rng.uniform(-6, 6), rng.uniform(-4, 4), int(rng.integers(10, 40)),
              tuple(int(c) for c in rng.integers(0, 255, 3))) for _ in range(6)]
    for i in range(n):
        off = int((i * 2) % w)
        f = big[:, off : off + w].copy()
        for x, y, vx, vy, r, col in balls:
            cx, cy = int((x + vx * i) % w), int((y + vy * i) % h)
            cv2.circle(f, (cx, cy), r, col, -1, cv2.LINE_AA)
        cv2.putText(f, str(i), (10, h - 10), cv2.FONT_HERSHEY_SIMPLEX, 1.0, (255, 255, 255), 2)
        noise = rng.integers(-6, 7, f.shape, dtype=np.int16)
        yield np.clip(f.astype(np.int16) + noise, 0, 255).astype(np.uint8)


def write_h264(path, frames, fps, gop):
    """H.264 with an explicit keyframe interval (x264 default is 250; cameras often use 1-2 s)."""
    import av
    from fractions import Fraction

    from kvideo.utils.files import atomic_path

    with atomic_path(path) as tmp, av.open(str(tmp), "w") as c:
        s = None
        for f in frames:
            if s is None:
                s = c.add_stream("libx264", rate=Fraction(fps).limit_denominator(1001))
                s.width, s.height, s.pix_fmt = f.shape[1], f.shape[0], "yuv420p"
                s.options = {"crf": "23", "preset": "veryfast", "g": str(gop), "keyint_min": str(gop)}
            for pkt in s.encode(av.VideoFrame.from_ndarray(f, format="rgb24")):
                c.mux(pkt)
        for pkt in s.encode():
            c.mux(pkt)


def ensure(path, n, size, codec, fps=30.0):
    path = Path(path)
    if not path.exists():
        t = time.perf_counter()
        if codec.startswith("h264:g"):
            write_h264(path, synthetic_frames(n, size), fps, int(codec[6:]))
        else:
            write_video(path, synthetic_frames(n, size), fps=fps, codec=codec)
        print(f"  generated {path.name} ({n} frames {size[1]}x{size[0]} {codec}) in {time.perf_counter() - t:.1f}s",
              file=sys.stderr, flush=True)
    return path


# ---------------------------------------------------------------------------------- (a)
def naive_read(path, num_frames, size):
    """The baseline: decode every frame (cap.read), keep the 16 picked ones."""
    cap = cv2.VideoCapture(str(path))
    n = int(cap.get(cv2.CAP_PROP_FRAME_COUNT))
    want = set(int(i) for i in sample_indices(0, n, num_frames))
    out = []
    i = 0
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        if i in want:
            out.append(cv2.cvtColor(cv2.resize(frame, size[::-1], interpolation=cv2.INTER_AREA), cv2.COLOR_BGR2RGB))
        i += 1
    cap.release()
    return np.stack(out)


def forced(path, num_frames, size, mode):
    """read the uniform indices with a forced strategy: 'grab' (never seek) or 'seek' (always seek)."""
    p = check_path(path)
    cap = open_capture(p)
    n = int(cap.get(cv2.CAP_PROP_FRAME_COUNT))
    idx = np.unique(sample_indices(0, n, num_frames))
    r = FrameReader(p, cap, size, allow_seek=(mode == "seek"))
    if mode == "seek":
        r._threshold = 0
        r_skip = r.skip_to

        def skip_to(i):  # seek for every gap > 0
            if i > r.pos:
                cap.set(cv2.CAP_PROP_POS_FRAMES, i)
                r.pos = i
            else:
                r_skip(i)

        r.skip_to = skip_to
    frames = [r.read(int(i)) for i in idx]
    r.close()
    return np.stack(frames)


def part_read(args, wd):
    size = (360, 640)
    files = [
        ensure(wd / "long_mp4v.mp4", args.long_frames, size, "mp4v"),
        ensure(wd / "long_h264.mp4", args.long_frames, size, "h264"),
        ensure(wd / "long_h264_gop30.mp4", args.long_frames, size, "h264:g30"),
        ensure(wd / "long_xvid.avi", args.long_frames, size, "XVID"),
        ensure(wd / "long_mjpg.avi", args.long_frames, size, "MJPG"),
        ensure(wd / "long_vp8.webm", args.long_frames, size, "VP80"),
    ]
    shared = Path(__file__).resolve().parents[2] / "shared" / "data" / "videos"
    if shared.is_dir():
        files += sorted(shared.glob("*.mp4"))
    if args.only:
        files = [f for f in files if any(o in f.name for o in args.only)]
    out = (112, 112)
    emit(f"### (a) read_clip: 16 uniform frames at 112x112 vs naive full decode (median of {args.repeats})")
    emit("")
    emit("Times in seconds, wall / CPU (CPU = this process, all threads). Speed-up = naive / read_clip.")
    emit("`seek=\"keyframe\"` (inexact: nearest keyframes) is reported apart and is not the headline.")
    emit("")
    emit("| file | frames | size | codec | GOP | naive | read_clip | speed-up wall | speed-up CPU | cv2 grab only (CPU) | cv2 seek always (CPU) | cv2 auto, no PyAV (CPU) | same frames | seek=keyframe | keyframe speed-up wall / CPU |")
    emit("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    rows = []
    from kvideo.io import reader as reader_mod

    for f in files:
        info = video_info(f)
        gop = keyframe_interval(f)
        nw, nc = timeit2(lambda: naive_read(f, 16, out), max(1, args.repeats - 1))
        cw, cc = timeit2(lambda: read_clip(f, 16, out), args.repeats)
        kw, kc = timeit2(lambda: read_clip(f, 16, out, seek="keyframe"), args.repeats)
        t_grab = timeit(lambda: forced(f, 16, out, "grab"), 1)
        t_seek = timeit(lambda: forced(f, 16, out, "seek"), 1)
        reader_mod.PREFER_PYAV_SEEK = False
        t_cv2 = timeit(lambda: read_clip(f, 16, out), args.repeats)
        same_cv2 = bool(np.array_equal(naive_read(f, 16, out), read_clip(f, 16, out)))
        reader_mod.PREFER_PYAV_SEEK = True
        same = bool(np.array_equal(naive_read(f, 16, out), read_clip(f, 16, out))) and same_cv2
        rows.append({"file": f.name, "frames": info["frames"], "codec": info["codec"], "gop": gop, "naive": [nw, nc],
                     "read_clip": [cw, cc], "grab": t_grab, "seek": t_seek, "cv2_auto": t_cv2, "same": same,
                     "keyframe": [kw, kc]})
        emit(f"| {f.name} | {info['frames']} | {info['width']}x{info['height']} | {info['codec']} | {gop} | "
             f"{nw:.2f} / {nc:.2f} | {cw:.3f} / {cc:.3f} | {nw / cw:.1f}x | **{nc / cc:.1f}x** | {t_grab:.2f} | "
             f"{t_seek:.2f} | {t_cv2:.3f} | {same} | {kw:.3f} / {kc:.3f} | {nw / kw:.1f}x / {nc / kc:.1f}x |")
    emit("")
    if args.no_density:
        return rows
    # grab vs seek as a function of the number of frames sampled (gap = frames / num_frames)
    emit("#### grab vs seek by sampling density (long files; CPU seconds per read)")
    emit("")
    emit("| file | GOP | frames sampled | mean gap | forced grab | forced seek | read_clip (auto) |")
    emit("|---|---|---|---|---|---|---|")
    for f in [f for f in files if f.name.startswith("long_")]:
        gop = keyframe_interval(f)
        n = video_info(f)["frames"]
        for k in (16, 64):
            tg = timeit(lambda: forced(f, k, out, "grab"), 1)
            ts = timeit(lambda: forced(f, k, out, "seek"), 1)
            ta = timeit(lambda: read_clip(f, k, out), 1)
            emit(f"| {f.name} | {gop} | {k} | {n / k:.0f} | {tg:.3f} | {ts:.3f} | {ta:.3f} |")
    emit("")
    return rows


def part_decode(args, wd):
    """(a, detail) where the time goes on x264 GOP 250: frames decoded vs the exact floor, decoder
    threads, and whether skipping the loop filter would keep frames exact."""
    import av


    f = ensure(wd / "long_h264.mp4", args.long_frames, (360, 640), "h264")
    n = video_info(f)["frames"]
    want = sample_indices(0, n, 16)
    with av.open(str(f)) as c:  # reference frames = what a NONREF-skipping decoder still outputs
        s = c.streams.video[0]
        s.codec_context.skip_frame = "NONREF"
        k = float(s.time_base * s.average_rate)
        refs = {int(round((fr.pts - (s.start_time or 0)) * k)) for fr in c.decode(s)}
    p = check_path(f)
    seeker = PyAVSeeker(p, (112, 112), None, wanted=want)
    for i in want:
        seeker.read(int(i))
    seeker.close()
    keys = np.asarray(seeker.keys)
    span = set()
    for i in want:
        kf = keys[np.searchsorted(keys, i, side="right") - 1]
        span.update(range(int(kf), int(i) + 1))
    floor = len((refs & span) | set(want.tolist()))
    emit(f"### (a, detail) {f.name}: {n} frames, {len(keys)} keyframes, 16 uniform targets")
    emit("")
    emit(f"frames between each target and its keyframe: {len(span)}; reference frames among them + targets "
         f"(exact floor): {floor}; decoded by read_clip: {seeker.decoded} ({seeker.seeks} seeks)")
    emit("")
    ref = naive_read(f, 16, (112, 112))
    emit("| variant | read_clip wall / CPU (s) | same frames as naive |")
    emit("|---|---|---|")
    old = pyav_seek_mod.SPARSE_DECODE_THREADS
    for threads, name in ((1, "1 decoder thread (default)"), (2, "2 frame threads"), (0, "FFmpeg auto threads")):
        pyav_seek_mod.SPARSE_DECODE_THREADS = threads
        w, c = timeit2(lambda: read_clip(f, 16, (112, 112)), args.repeats)
        same = bool(np.array_equal(read_clip(f, 16, (112, 112)), ref))
        emit(f"| {name} | {w:.3f} / {c:.3f} | {same} |")
    pyav_seek_mod.SPARSE_DECODE_THREADS = old
    w, c = timeit2(lambda: read_clip(f, 16, (112, 112), seek="keyframe"), args.repeats)
    emit(f"| seek=\"keyframe\" (nearest keyframes, inexact by design) | {w:.3f} / {c:.3f} | "
         f"{bool(np.array_equal(read_clip(f, 16, (112, 112), seek='keyframe'), ref))} |")
    emit("")

    def first_500(opts):
        with av.open(str(f)) as c:
            s = c.streams.video[0]
            s.codec_context.thread_count = 1
            if opts:
                s.codec_context.options = opts
            t = time.process_time()
            out = []
            for i, fr in enumerate(c.decode(s)):
                if i % 50 == 49:
                    out.append(fr.to_ndarray(format="bgr24"))
                if i == 499:
                    break
            return time.process_time() - t, out

    t0, a = first_500(None)
    t1, b = first_500({"skip_loop_filter": "all"})
    err = max(int(np.abs(x.astype(np.int16) - y).max()) for x, y in zip(a, b))
    emit(f"skip_loop_filter=all (decode of 500 frames, CPU): {t1:.3f} s vs {t0:.3f} s ({100 * (1 - t1 / t0):.0f}% less); "
         f"frames exact: {err == 0} (max pixel error {err})")
    emit("")
    return {"span": len(span), "floor": floor, "decoded": seeker.decoded}


# ---------------------------------------------------------------------------------- (b)
def part_cache(args, wd):
    from kvideo.data import cache as cache_mod
    from kvideo.data import video_dataset_from_directory

    h, w = args.clip_size
    root = wd / f"clips_{w}x{h}_{args.clip_frames}_{args.clip_codec}"
    if (h, w, args.clip_frames, args.clip_codec) == (240, 320, 90, "h264"):
        root = wd / "clips"  # name used by the first runs
    classes = ("left", "right", "up", "down")
    per = args.clips // len(classes)
    if not root.exists():
        from kvideo.datasets import make_sample_videos

        t = time.perf_counter()
        # default 320x240, 90 frames (3 s at 30 fps): the size of typical short action clips
        make_sample_videos(root, classes=classes, per_class=per, num_frames=args.clip_frames, size=(h, w), fps=30,
                           seed=1, codec=args.clip_codec)
        print(f"  generated {per * len(classes)} clips in {time.perf_counter() - t:.1f}s", file=sys.stderr)
    results, cpu = {}, {}
    emit(f"### (b) one pass over {per * len(classes)} clips ({w}x{h}, {args.clip_frames} frames, {args.clip_codec} mp4), "
         f"{args.num_frames} frames at {args.image_size}x{args.image_size}, batch 8")
    emit("")
    emit("| pass | wall (s) | CPU (s) | clips/s (wall) | wall vs cached | CPU vs cached |")
    emit("|---|---|---|---|---|---|")
    import shutil

    cache_dir = wd / "cache"
    for name in ("no cache", "cold (decode + write cache)", "cached", "cached (2nd run)"):
        if name.startswith("cold") and cache_dir.exists():
            shutil.rmtree(cache_dir)
        cache_mod._fingerprints.clear()  # a new process would not have the memo either
        ds = video_dataset_from_directory(root, num_frames=args.num_frames, image_size=args.image_size, batch_size=8, shuffle=True,
                                          seed=0, cache=False if name == "no cache" else cache_dir, verbose=False,
                                          check_files=True)
        gc.collect()
        t, c = time.perf_counter(), time.process_time()
        for i in range(len(ds)):
            ds[i]
        results[name] = time.perf_counter() - t
        cpu[name] = time.process_time() - c
    base = min(results["cached"], results["cached (2nd run)"])
    cbase = min(cpu["cached"], cpu["cached (2nd run)"])
    n = len(ds.file_paths)
    for name, t in results.items():
        emit(f"| {name} | {t:.3f} | {cpu[name]:.3f} | {n / t:.0f} | {t / base:.1f}x | {cpu[name] / cbase:.1f}x |")
    emit("")
    cold = "cold (decode + write cache)"
    emit(f"cold / cached = **{results[cold] / base:.1f}x** wall, **{cpu[cold] / cbase:.1f}x** CPU; "
         f"no-cache / cached = **{results['no cache'] / base:.1f}x** wall")
    results = {"wall": results, "cpu": cpu}
    emit("")
    return results


# ---------------------------------------------------------------------------------- (c)
def part_rss(args, wd):
    f = ensure(wd / "very_long_mp4v.mp4", args.rss_frames, (180, 320), "mp4v")
    info = video_info(f)
    gc.collect()
    start = rss_mib()
    samples = []
    t = time.perf_counter()
    n = 0
    for n, w in enumerate(iter_clips(f, clip_frames=16, stride=8, size=(112, 112)), 1):
        if n % args.rss_every == 0:
            samples.append(rss_mib())
    elapsed = time.perf_counter() - t
    end = rss_mib()
    peak = max(samples + [end])
    full = info["frames"] * 112 * 112 * 3 / 2**20
    emit(f"### (c) iter_clips over {info['frames']} frames ({info['width']}x{info['height']} mp4v), "
         f"clip_frames=16, stride=8, size=112x112")
    emit("")
    emit("| windows | seconds | RSS start (MiB) | RSS peak (MiB) | RSS end (MiB) | growth start->end | all frames in RAM would be |")
    emit("|---|---|---|---|---|---|---|")
    emit(f"| {n} | {elapsed:.1f} | {start:.1f} | {peak:.1f} | {end:.1f} | {end - start:+.1f} MiB | {full:.0f} MiB |")
    emit("")
    emit("RSS every %d windows (MiB): %s" % (args.rss_every, " ".join(f"{s:.0f}" for s in samples)))
    emit("")
    return {"start": start, "peak": peak, "end": end, "samples": samples}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--part", choices=["read", "decode", "cache", "rss", "all"], default="all")
    ap.add_argument("--workdir", default="/tmp/kvideo_bench")
    ap.add_argument("--out", default=None)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--long-frames", type=int, default=3000)
    ap.add_argument("--rss-frames", type=int, default=20000)
    ap.add_argument("--rss-every", type=int, default=250)
    ap.add_argument("--clips", type=int, default=120)
    ap.add_argument("--clip-size", type=int, nargs=2, default=(240, 320), metavar=("H", "W"))
    ap.add_argument("--clip-frames", type=int, default=90)
    ap.add_argument("--clip-codec", default="h264", help="h264 or mp4v")
    ap.add_argument("--num-frames", type=int, default=16)
    ap.add_argument("--only", nargs="+", default=None, metavar="NAME",
                    help="(a) only files whose name contains one of these (e.g. long_h264.mp4)")
    ap.add_argument("--no-density", action="store_true", help="(a) skip the grab-vs-seek density table")
    ap.add_argument("--image-size", type=int, default=112)
    args = ap.parse_args(argv)
    wd = Path(args.workdir)
    wd.mkdir(parents=True, exist_ok=True)
    emit(f"<!-- python benchmarks/bench_io.py {' '.join(argv if argv is not None else sys.argv[1:])} -->")
    emit(f"Machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, "
         f"OpenCV {cv2.__version__}, load average at start {os.getloadavg()[0]:.1f}")
    emit("")
    res = {}
    if args.part in ("read", "all"):
        res["read"] = part_read(args, wd)
    if args.part in ("decode", "all"):
        res["decode"] = part_decode(args, wd)
    if args.part in ("cache", "all"):
        res["cache"] = part_cache(args, wd)
    if args.part in ("rss", "all"):
        res["rss"] = part_rss(args, wd)
    emit(f"load average at end {os.getloadavg()[0]:.1f}")
    out = Path(args.out) if args.out else wd / f"results_{args.part}{'' if args.part != 'cache' else '_%dx%d' % tuple(args.clip_size[::-1])}.md"
    out.write_text("\n".join(LINES) + "\n")
    (out.with_suffix(".json")).write_text(json.dumps(res, indent=1, default=str))
    print(f"wrote {out}", file=sys.stderr)


if __name__ == "__main__":
    main()
