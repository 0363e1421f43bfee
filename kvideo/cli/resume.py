"""``kvideo train --resume``: the training checkpoint beside ``--out`` (see :mod:`kvideo.tasks.checkpoint`).

The end-to-end architectures write ``<out>.ckpt.keras`` after every epoch; ``--resume`` continues from it
and it is deleted once ``--out`` is saved. Without ``--resume`` a checkpoint left by an interrupted run
is a one-line error (continue it with ``--resume`` or delete it): it is never overwritten unasked. The
pretrained architectures train their head in seconds on cached embeddings: ``--resume`` there reuses
the embeddings an interrupted run already stored (which a plain re-run does as well).
"""

from __future__ import annotations

import os
import sys

from kvideo.utils.validation import received


def add_resume_flag(parser):
    parser.add_argument("--resume", action="store_true",
                        help="continue an interrupted run from OUT.ckpt.keras (written after every epoch)")


def fit_kwargs(args, clf) -> dict:
    """The ``checkpoint`` / ``resume`` arguments of ``clf.fit`` for this command (empty for the pretrained archs)."""
    from kvideo.tasks import EmbeddingClassifier
    from kvideo.tasks.checkpoint import checkpoint_path

    if isinstance(clf, EmbeddingClassifier):
        if getattr(args, "resume", False):
            _log("--resume: the embeddings an earlier run stored are reused from the cache; the head is fit afresh")
        return {}
    path = checkpoint_path(args.out)
    if path.exists() and not getattr(args, "resume", False):
        raise FileExistsError(f"A checkpoint of an interrupted run is in the way ({str(path)!r}): pass --resume to "
                              f"continue it, or delete it to start afresh. {received('checkpoint', str(path))}")
    if getattr(args, "resume", False):
        _log(f"resuming from {path}" if path.exists() else f"--resume: no checkpoint at {path}; starting afresh")
    return {"checkpoint": str(path), "resume": bool(getattr(args, "resume", False))}


def finish(kwargs) -> None:
    """After ``--out`` is saved: the checkpoint has served its purpose."""
    path = kwargs.get("checkpoint")
    if path and os.path.exists(path):
        os.remove(path)


def _log(msg):
    print(msg, file=sys.stderr, flush=True)
