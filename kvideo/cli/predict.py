"""``kvideo predict MODEL DIR_OR_LIST --out results.jsonl``: the batch form of ``kvideo predict``."""

from pathlib import Path

from kvideo.utils import formats
from kvideo.utils.validation import argument_error


def is_batch(args) -> bool:
    """A batch job when ``--out`` is given or the input is a directory or a (non-video) list file."""
    src = Path(args.video)
    return bool(getattr(args, "out", None)) or src.is_dir() or (src.is_file() and not formats.is_video(src))


def cmd_predict_batch(args):
    from kvideo.tasks import VideoClassifier
    from kvideo.tasks.batch import predict_batch

    if not args.out:
        raise argument_error("out", args.out, "a RESULTS.jsonl path for a batch job over a directory or list file")
    clf = VideoClassifier.load(args.model)
    return predict_batch(clf, args.video, args.out, workers=args.workers, top_k=args.top_k,
                         timeline=True, window_frames=args.window_frames, stride=args.stride)


def add_batch_flags(p):
    p.add_argument("--out", default=None, metavar="RESULTS.jsonl",
                   help="batch job: one JSON line per video (resumable; VIDEO may be a directory or a list file)")
    p.add_argument("--workers", type=int, default=1, help="parallel decode workers for a batch job (default 1)")


def fmt_batch(r):
    return (f"{r['done']} videos classified ({r['errors']} errors), {r['skipped']} already done "
            f"-> {r['out']}")
