"""Batch jobs of the CLI: ``kvideo predict MODEL DIR_OR_LIST --out results.jsonl`` and
``kvideo faces identify DB DIR_OR_LIST --out faces.jsonl``.

A command becomes a batch job when ``--out`` is given or its input is a folder or a list file; it writes
one JSON line per file (resumable) and returns the job summary (one JSON object with ``--json``).
"""

from pathlib import Path

from kvideo.cli._common import default_of
from kvideo.utils import formats
from kvideo.utils.validation import argument_error


def is_batch(source, out=None) -> bool:
    """A batch job when ``out`` is given or ``source`` is a folder or a list file (neither a video nor a photo).
    A folder named like a video or a photo (``x.mp4/``) is taken for the one file it pretends to be, so
    its error says what it is ("it is a directory, not a video file").

    >>> is_batch("clip.mp4"), is_batch("clip.mp4", out="r.jsonl"), is_batch(".")
    (False, True, True)
    """
    src = Path(source)
    named_like_one = formats.kind_of(src) in ("video", "image")
    return bool(out) or (src.is_dir() and not named_like_one) or (src.is_file() and not named_like_one)


def _check_out(out):
    if not out:
        raise argument_error("--out", out, "a RESULTS.jsonl path for a batch job over a folder or a list file")


def add_job_flags(p, what, function):
    """``--out`` / ``--workers`` of a batch job; defaults from ``function``'s signature."""
    p.add_argument("--out", default=None, metavar="RESULTS.jsonl",
                   help=f"batch job: one JSON line per {what} (resumable: a rerun skips those already in it); "
                        "the input may then be a folder or a text file listing one path a line")
    p.add_argument("--workers", type=int, default=default_of(function, "workers"),
                   help="batch job: parallel decode workers, or Ray actors with --engine ray (default %(default)s)")
    p.add_argument("--engine", choices=["local", "ray"], default=default_of(function, "engine"),
                   help="batch job: 'local' (this process) or 'ray' (Ray Data: a local Ray, or the cluster of "
                        "$RAY_ADDRESS; pip install \"kvideo[ray]\"; see docs/batch.md) (default %(default)s)")


def add_predict_flags(p):
    from kvideo.tasks.batch import predict_batch

    add_job_flags(p, "video", predict_batch)
    p.add_argument("--batch-size", dest="batch_size", type=int, default=default_of(predict_batch, "batch_size"),
                   help="batch job: clips per model call (default %(default)s)")


def add_identify_flags(p):
    from kvideo.faces.batch import identify_batch

    add_job_flags(p, "photo or video", identify_batch)


def cmd_predict_batch(args):
    from kvideo.tasks import VideoClassifier
    from kvideo.tasks.batch import predict_batch

    _check_out(args.out)
    clf = VideoClassifier.load(args.model)
    return predict_batch(clf, args.video, args.out, workers=args.workers, top_k=args.top_k, timeline=True,
                         window_frames=args.window_frames, stride=args.stride, batch_size=args.batch_size, engine=args.engine)


def cmd_identify_batch(args):
    from kvideo.faces.batch import identify_batch

    _check_out(args.out)
    if args.annotate:
        raise argument_error("--annotate", args.annotate, "left out for a batch job (it annotates one video)")
    return identify_batch(args.db, args.input, args.out, workers=args.workers, every_n_frames=args.every_n_frames,
                          threshold=args.threshold, engine=args.engine)


def fmt_batch(r):
    return (f"{r['done']} files done ({r['errors']} errors) in {r['seconds']:.1f}s, {r['skipped']} already done "
            f"-> {r['out']}")
