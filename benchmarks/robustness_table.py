"""Build broken input files, run each through the API and the CLI, write docs/robustness.md.

Every case ends in one of: ``clean error`` (API: a ``KVideoError``; CLI: non-zero exit, last stderr line
``error: ...``, no traceback), ``fallback`` (API: a valid result; CLI: exit 0 with valid JSON) or ``CRASH``
(anything else: another exception type, a traceback, a hang past the time bound).

    python3 benchmarks/robustness_table.py            # writes docs/robustness.md
    python3 benchmarks/robustness_table.py --out X.md
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
TIMEOUT_S = 60


def _good_video(path, frames=24, h=48, w=64):
    from kvideo.io import write_video

    rng = np.random.default_rng(0)
    return write_video(str(path), rng.integers(0, 255, (frames, h, w, 3), dtype=np.uint8), fps=12)


def build_video_cases(tmp: Path):
    """Return [(name, path)] of broken or odd video inputs, all created under ``tmp``."""
    good = Path(_good_video(tmp / "good.mp4"))
    data = good.read_bytes()
    cases = [("missing file", tmp / "nope.mp4")]
    (tmp / "empty.mp4").write_bytes(b"")
    cases.append(("empty file", tmp / "empty.mp4"))
    (tmp / "random.mp4").write_bytes(np.random.default_rng(1).bytes(4096))
    cases.append(("random bytes .mp4", tmp / "random.mp4"))
    (tmp / "trunc30.mp4").write_bytes(data[: int(len(data) * 0.3)])
    cases.append(("first 30% of a real file", tmp / "trunc30.mp4"))
    (tmp / "header.mp4").write_bytes(data[:64])
    cases.append(("header only (64 bytes)", tmp / "header.mp4"))
    import cv2

    cv2.imwrite(str(tmp / "img.png"), np.zeros((32, 32, 3), np.uint8))
    os.replace(tmp / "img.png", tmp / "image.mp4")
    cases.append(("PNG image named .mp4", tmp / "image.mp4"))
    (tmp / "adir.mp4").mkdir()
    cases.append(("directory named .mp4", tmp / "adir.mp4"))
    cases.append(("1x1 pixels", Path(_good_video(tmp / "one.avi", 8, 1, 1))))
    cases.append(("2x2 pixels", Path(_good_video(tmp / "two.avi", 8, 2, 2))))
    cases.append(("odd size 171x97", Path(_good_video(tmp / "odd.avi", 8, 97, 171))))
    cases.append(("fewer frames (3) than num_frames", Path(_good_video(tmp / "short.avi", 3))))
    sp = tmp / "dir with spaces é ü"
    sp.mkdir()
    cases.append(("path with spaces and non-ASCII", Path(_good_video(sp / "vidéo ü.avi", 8))))
    return cases + build_odd_videos(tmp)


def _pyav_video(path, codec, pix_fmt, values, pts=None, w=64, h=48):
    """Frames of flat grey ``values`` (top-left 10x20 block white) encoded by PyAV; ``pts`` in milliseconds."""
    from fractions import Fraction

    import av

    with av.open(str(path), "w") as out:
        s = out.add_stream(codec, rate=12)
        s.width, s.height, s.pix_fmt = w, h, pix_fmt
        if pts is not None:
            s.codec_context.time_base = s.time_base = Fraction(1, 1000)
        for i, v in enumerate(values):
            img = np.full((h, w, 3), v, np.uint8)
            img[:10, :20] = 255
            f = av.VideoFrame.from_ndarray(img, format="rgb24")
            if pts is not None:
                f.pts, f.time_base = pts[i], Fraction(1, 1000)
            for pkt in s.encode(f):
                out.mux(pkt)
        for pkt in s.encode():
            out.mux(pkt)
    return Path(path)


def rotate_mp4(src, dst, degrees=90):
    """Copy an mp4, setting its track's display matrix (what phones write) to a ``degrees`` rotation."""
    import struct

    d = bytearray(Path(src).read_bytes())
    p = d.find(b"tkhd")
    off = p + 8 + (20 if d[p + 4] == 0 else 32) + 16
    one, minus = 0x10000, 0xFFFF0000
    a, b, c, e = {90: (0, one, minus, 0), 180: (minus, 0, 0, minus), 270: (0, minus, one, 0)}[degrees]
    d[off:off + 36] = struct.pack(">9I", a, b, 0, c, e, 0, 0, 0, 0x40000000)
    Path(dst).write_bytes(bytes(d))
    return Path(dst)


def lying_avi(path, frames=8, claimed=1000):
    """An AVI of ``frames`` frames whose headers claim ``claimed``."""
    import struct

    src = Path(_good_video(path, frames))
    d = bytearray(src.read_bytes())
    for tag, at in ((b"avih", 16), (b"strh", 32)):
        p = d.find(tag) + 8 + at
        d[p:p + 4] = struct.pack("<I", claimed)
    src.write_bytes(bytes(d))
    return src


def build_odd_videos(tmp: Path):
    """Phone and camera oddities that must decode: rotation tag, grayscale, 10/16-bit, VFR, a lying frame count."""
    values = [20 * i for i in range(8)]
    cases = []
    try:
        plain = _pyav_video(tmp / "landscape.mp4", "libx264", "yuv420p", values)
        cases.append(("portrait phone video (rotation 90)", rotate_mp4(plain, tmp / "portrait.mp4")))
        cases.append(("grayscale (gray)", _pyav_video(tmp / "gray.mkv", "ffv1", "gray", values)))
        cases.append(("16-bit grayscale (gray16le)", _pyav_video(tmp / "gray16.mkv", "ffv1", "gray16le", values)))
        cases.append(("10-bit (yuv420p10le)", _pyav_video(tmp / "ten.mkv", "ffv1", "yuv420p10le", values)))
        cases.append(("variable frame rate", _pyav_video(tmp / "vfr.mp4", "libx264", "yuv420p", values,
                                                         pts=[0, 10, 20, 300, 310, 900, 905, 2000])))
    except ImportError:  # PyAV missing: these cases need it to be made
        pass
    cases.append(("container says 1000 frames, holds 8", lying_avi(tmp / "lying.avi")))
    return cases


def run_api(path):
    """API: ``kvideo.io.read_clip`` -> 'fallback' on a valid clip, 'clean error' on KVideoError, else CRASH."""
    from kvideo.errors import KVideoError
    from kvideo.io import read_clip

    try:
        clip = read_clip(path, num_frames=8, size=(32, 32))
    except KVideoError as e:
        return "clean error", str(e)
    except Exception as e:  # noqa: BLE001 - anything else is what this table exists to catch
        return "CRASH", f"{type(e).__name__}: {e}"
    ok = clip.shape == (8, 32, 32, 3) and clip.dtype == np.uint8
    return ("fallback" if ok else "CRASH"), f"clip {clip.shape} {clip.dtype}"


def run_cli(args):
    """CLI: ``python -m kvideo ARGS --json`` judged by the contract in the module docstring."""
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    try:
        r = subprocess.run([sys.executable, "-m", "kvideo", *args, "--json"], capture_output=True, text=True,
                           timeout=TIMEOUT_S, env=env, cwd=ROOT)
    except subprocess.TimeoutExpired:
        return "CRASH", f"hang > {TIMEOUT_S}s"
    lines = [ln for ln in r.stderr.strip().splitlines() if ln.strip()]
    last = lines[-1] if lines else ""
    if r.returncode == 0:
        try:
            json.loads(r.stdout)
            return "fallback", "exit 0, valid JSON"
        except ValueError:
            return "CRASH", "exit 0 without valid JSON"
    if "Traceback" in r.stderr or not last.startswith("error: "):
        return "CRASH", f"exit {r.returncode}: {last[:160]}"
    return "clean error", last[:160]


def collect(tmp: Path):
    rows = []
    for name, path in build_video_cases(tmp):
        rows.append(("video", name, "API read_clip", *run_api(path)))
        rows.append(("video", name, "CLI info", *run_cli(["info", str(path)])))
    return [(a, n, e, k, d.replace(str(tmp), "$TMP")) for a, n, e, k, d in rows]


def render(rows):
    counts = {k: sum(r[3] == k for r in rows) for k in ("clean error", "fallback", "CRASH")}
    out = ["# Robustness: bad input and faults", "",
           "Written by `python3 benchmarks/robustness_table.py` (every case is rebuilt in a temp dir each run).", "",
           f"- cases tried: {len(rows)}", f"- clean errors: {counts['clean error']}",
           f"- documented fallbacks: {counts['fallback']}", f"- crashes: {counts['CRASH']}", "",
           "| area | case | entry point | ends in | detail |", "|---|---|---|---|---|"]
    for area, name, entry, kind, detail in rows:
        detail = detail.replace("|", "\\|").replace("\n", " ")
        out.append(f"| {area} | {name} | {entry} | {kind} | {detail[:200]} |")
    return "\n".join(out) + "\n", counts


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=str(ROOT / "docs" / "robustness.md"))
    a = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as t:
        rows = collect(Path(t))
    text, counts = render(rows)
    Path(a.out).parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(a.out).with_suffix(".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, a.out)
    print(json.dumps({"cases": len(rows), **counts, "out": a.out}))
    return 1 if counts["CRASH"] else 0


if __name__ == "__main__":
    sys.exit(main())
