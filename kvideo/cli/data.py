"""``kvideo info VIDEO`` and ``kvideo sample OUT_DIR``."""

from __future__ import annotations

from kvideo.cli._common import add_common, default_of, size_type


def _info(args):
    from kvideo.io import video_info

    return video_info(args.video)


def _format_info(r):
    return (
        f"{r['path']}\n  {r['width']}x{r['height']}  {r['frames']} frames  {r['fps']:.3f} fps  "
        f"{r['duration']:.2f} s  codec {r['codec']}"
    )


def _sample(args):
    from kvideo.datasets import make_sample_videos

    classes = args.classes or list(default_of(make_sample_videos, "classes"))
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
    from kvideo.datasets import SAMPLE_CLASSES, make_sample_videos
    from kvideo.utils.validation import parse_size

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
    d = {name: default_of(make_sample_videos, name)
         for name in ("classes", "per_class", "num_frames", "size", "fps", "seed", "ext")}
    p.add_argument("--classes", nargs="+", metavar="CLASS", help=f"default: {' '.join(d['classes'])}")
    p.add_argument("--per-class", type=int, default=d["per_class"], help=f"clips per class (default {d['per_class']})")
    p.add_argument("--frames", type=int, default=d["num_frames"], help=f"frames per clip (default {d['num_frames']})")
    p.add_argument("--size", type=size_type(8), default=parse_size(d["size"]),
                   help="S or HxW (default {}x{})".format(*parse_size(d["size"])))
    p.add_argument("--fps", type=float, default=float(d["fps"]), help=f"frame rate (default {d['fps']})")
    p.add_argument("--seed", type=int, default=d["seed"], help=f"seed of the clips (default {d['seed']})")
    p.add_argument("--ext", default=d["ext"], choices=[".mp4", ".avi", ".webm", ".mkv", ".mov"],
                   help=f"container (default {d['ext']})")
    add_common(p)
    p.set_defaults(func=_sample, format=_format_sample)
