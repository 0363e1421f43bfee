"""``kvideo predict MODEL VIDEO``: top-k labels (and a timeline) of one video; with ``--out`` or a folder / list
file as VIDEO, the resumable batch job of :mod:`kvideo.cli.batch`."""

from kvideo.cli import batch as batch_cli
from kvideo.cli._common import add_common, default_of


def cmd_predict(args):
    from kvideo.io.capture import check_path
    from kvideo.tasks import VideoClassifier

    if batch_cli.is_batch(args.video, args.out):
        args.format = batch_cli.fmt_batch
        return batch_cli.cmd_predict_batch(args)

    check_path(args.video)  # a missing file, a folder or a photo: say so before the model loads
    clf = VideoClassifier.load(args.model)
    out = {"video": str(args.video), "predictions": clf.predict(args.video, top_k=args.top_k), "timeline": []}
    if args.timeline:
        out["timeline"] = clf.predict_timeline(args.video, window_frames=args.window_frames, stride=args.stride)
    out["class_names"] = clf.class_names
    return out


def _fmt_predict(r):
    lines = [f"{r['video']}:"] + [f"  {p['label']:<16}{p['score']:.3f}" for p in r["predictions"]]
    for seg in r.get("timeline") or []:
        lines.append(f"  {seg['start']:8.2f}-{seg['end']:8.2f}s  {seg['label']:<16}{seg['score']:.3f}")
    return "\n".join(lines)


def register(subparsers):
    from kvideo.tasks import Task

    p = subparsers.add_parser("predict", help="classify a video, or every video of a folder (--out results.jsonl)",
                              description="Top-k labels of a video; with --out (or a folder or list file as "
                                          "VIDEO) a resumable batch job, one JSON line per video with its timeline.")
    p.add_argument("model", metavar="MODEL.keras")
    p.add_argument("video", metavar="VIDEO", help="a video, or a folder / list file of videos (batch job)")
    top_k = default_of(Task.predict, "top_k")
    batch_cli.add_predict_flags(p)
    p.add_argument("--top-k", dest="top_k", type=int, default=top_k, help=f"labels to show (default {top_k})")
    p.add_argument("--timeline", action="store_true", help="also classify the video window by window")
    p.add_argument("--window-frames", dest="window_frames", type=int, default=None,
                   help="source frames per timeline window (default: median training-video length)")
    p.add_argument("--stride", type=int, default=None, help="frames between timeline windows (default half a window)")
    add_common(p)
    p.set_defaults(func=cmd_predict, format=_fmt_predict)
