"""``kvideo info VIDEO`` and ``kvideo sample OUT_DIR``."""

from __future__ import annotations

from kvideo.cli._common import add_common


def _info(args):
    from kvideo.io import video_info

    return video_info(args.video)


def _format_info(r):
    return (
        f"{r['path']}\n  {r['width']}x{r['height']}  {r['frames']} frames  {r['fps']:.3f} fps  "
        f"{r['duration']:.2f} s  codec {r['codec']}"
    )


def _size(text):
    import argparse

    try:
        parts = [int(v) for v in text.lower().replace("x", ",").split(",") if v.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected S or HxW, e.g. 64 or 48x64. Received: {text!r}") from None
    if len(parts) == 1:
        parts = parts * 2
    if len(parts) != 2 or min(parts) < 8:
        raise argparse.ArgumentTypeError(f"expected S or HxW with sides >= 8, e.g. 64 or 48x64. Received: {text!r}")
    return tuple(parts)


def _sample(args):
    from kvideo.datasets import make_sample_videos

    classes = args.classes or ["left", "right", "grow", "shrink"]
    if len(classes) == 1 and "," in classes[0]:
        classes = [c for c in classes[0].split(",") if c]
    root = make_sample_videos(
        args.out_dir,
        classes=classes,
        per_class=args.per_class,
        num_frames=args.frames,
        size=args.size,
        fps=args.fps,
        seed=args.seed,
        ext=args.ext,
        progress=True,
    )
    files = sorted(str(p) for p in root.glob(f"*/*{args.ext}"))
    return {
        "out_dir": str(root),
        "classes": list(classes),
        "per_class": args.per_class,
        "files": len(files),
        "num_frames": args.frames,
        "size": list(args.size),
        "fps": args.fps,
        "seed": args.seed,
    }


def _format_sample(r):
    return f"wrote {r['files']} clips ({', '.join(r['classes'])}) to {r['out_dir']}"


def register(subparsers):
    from kvideo.datasets import SAMPLE_CLASSES

    p = subparsers.add_parser("info", help="show a video's frames, fps, duration, size and codec")
    p.add_argument("video", help="path to a video file")
    add_common(p)
    p.set_defaults(func=_info, format=_format_info)

    p = subparsers.add_parser(
        "sample",
        help="write synthetic motion clips (classes differ only in frame order) to OUT_DIR/<class>/",
        description=f"Known classes: {', '.join(SAMPLE_CLASSES)}.",
    )
    p.add_argument("out_dir", help="output folder")
    p.add_argument("--classes", nargs="+", metavar="CLASS", help="default: left right grow shrink")
    p.add_argument("--per-class", type=int, default=12, help="clips per class (default 12)")
    p.add_argument("--frames", type=int, default=24, help="frames per clip (default 24)")
    p.add_argument("--size", type=_size, default=(64, 64), help="S or HxW (default 64)")
    p.add_argument("--fps", type=float, default=12.0, help="frame rate (default 12)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--ext", default=".mp4", choices=[".mp4", ".avi", ".webm", ".mkv", ".mov"])
    add_common(p)
    p.set_defaults(func=_sample, format=_format_sample)
