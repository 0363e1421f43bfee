"""Make the demo's built-in default model: ``python demo/make_default_model.py [--out PATH]``.

Trains ``kvideo.demo.defaults.DEFAULT_SPEC`` (a small td_gru on ``make_sample_videos`` clips: left, right, grow,
shrink) and saves it, by default to ``kvideo/demo/default_model.keras``, the file ``kvideo demo`` loads
when no ``--model`` is given. It prints the file size, the training time and the accuracy on fresh sample clips
(another seed) so the shipped model's quality is on record.
"""

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main(argv=None):
    from kvideo.demo.defaults import DEFAULT_SPEC, SHIPPED_MODEL, train_default_model

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", default=str(SHIPPED_MODEL))
    p.add_argument("--epochs", type=int, default=None, help="override DEFAULT_SPEC['epochs'] (for trying)")
    p.add_argument("--arch", default=None, help="override DEFAULT_SPEC['arch'] (for trying)")
    args = p.parse_args(argv)
    spec = {}
    if args.epochs:
        spec["epochs"] = args.epochs
    if args.arch:
        spec["arch"] = args.arch
        spec["arch_options"] = {}
    t0 = time.perf_counter()
    out = train_default_model(args.out, spec=spec, verbose=2)
    took = time.perf_counter() - t0

    from kvideo.datasets import make_sample_videos
    from kvideo.tasks import VideoClassifier

    clf = VideoClassifier.load(out)
    with tempfile.TemporaryDirectory() as tmp:
        spec_all = dict(DEFAULT_SPEC, **spec)
        test = make_sample_videos(
            Path(tmp) / "test", classes=spec_all["classes"], per_class=10, num_frames=spec_all["sample_frames"],
            size=spec_all["sample_size"], seed=999,
        )
        ev = clf.evaluate(str(test), verbose=0)
    result = {
        "out": str(out),
        "bytes": Path(out).stat().st_size,
        "train_seconds": round(took, 1),
        "test_accuracy": ev.get("accuracy"),
        "spec": {k: (list(v) if isinstance(v, tuple) else v) for k, v in dict(DEFAULT_SPEC, **spec).items()
                 if k != "arch_options"},
    }
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
