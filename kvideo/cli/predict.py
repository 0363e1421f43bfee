"""``kvideo predict MODEL DIR_OR_LIST --out results.jsonl``: the batch form of ``kvideo predict``."""

from pathlib import Path

from kvideo.cli._common import default_of
from kvideo.tasks.batch import predict_batch
from kvideo.utils import formats
from kvideo.utils.validation import argument_error


def is_batch(args) -> bool:
    """A batch job when ``--out`` is given or the input is a directory or a (non-video) list file."""
    src = Path(args.video)
    return bool(getattr(args, "out", None)) or src.is_dir() or (src.is_file() and not formats.is_video(src))


def cmd_predict_batch(args):
    from kvideo.tasks import VideoClassifier

    if not args.out:
        raise argument_error("out", args.out, "a RESULTS.jsonl path for a batch job over a directory or list file")
    clf = VideoClassifier.load(args.model)
    return predict_batch(clf, args.video, args.out, workers=args.workers, top_k=args.top_k, timeline=True,
                         window_frames=args.window_frames, stride=args.stride, batch_size=args.batch_size)


def add_batch_flags(p):
    p.add_argument("--out", default=None, metavar="RESULTS.jsonl",
                   help="batch job: one JSON line per video (resumable; VIDEO may be a directory or a list file)")
    p.add_argument("--workers", type=int, default=default_of(predict_batch, "workers"),
                   help="batch job: parallel decode workers (default %(default)s)")
    p.add_argument("--batch-size", dest="batch_size", type=int, default=default_of(predict_batch, "batch_size"),
                   help="batch job: clips per model call (default %(default)s)")


def fmt_batch(r):
    return (f"{r['done']} videos classified ({r['errors']} errors) in {r['seconds']:.1f}s, "
            f"{r['skipped']} already done -> {r['out']}")
