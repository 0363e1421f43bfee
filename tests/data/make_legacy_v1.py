"""How legacy_v1.keras and legacy_v1_expected.json were made (run ONCE, with the pre-split code, commit 59e6b6a).

    python3 tests/data/make_legacy_v1.py tests/data

A tiny td_gru trained 3 epochs on sample clips, saved in the first format (kvideo.VideoClassifier/1), and
its predict_proba on clips made by make_sample_clip; the demo default model's outputs on two more.
Running it with today's code writes today's format instead: keep the committed files.
"""

import json
import sys
import tempfile
from pathlib import Path


def main(out):
    import keras

    import kvideo
    from kvideo.datasets.synthetic import make_sample_clip

    keras.utils.set_random_seed(0)
    tmp = Path(tempfile.mkdtemp())
    root = kvideo.make_sample_videos(tmp / "v", classes=("left", "right"), per_class=4, num_frames=12, size=(32, 32),
                                     seed=3)
    clf = kvideo.VideoClassifier("td_gru", num_frames=8, image_size=(24, 24), units=8, filters=[8, 8])
    clf.fit(root, epochs=3, batch_size=4, verbose=0)
    clf.save(out / "legacy_v1.keras")
    clips = [{"cls": "left", "num_frames": 8, "size": [24, 24], "seed": [5, 1]},
             {"cls": "right", "num_frames": 16, "size": [48, 40], "seed": [5, 2]}]
    x = [make_sample_clip(c["cls"], c["num_frames"], tuple(c["size"]), seed=c["seed"]) for c in clips]
    probs = [clf.predict_proba(a)[0].tolist() for a in x]
    labels = [clf.predict(a, top_k=1)[0]["label"] for a in x]
    demo = kvideo.VideoClassifier.load("kvideo/demo/default_model.keras")
    dclips = [{"cls": "grow", "num_frames": 12, "size": [48, 48], "seed": [7, 1]},
              {"cls": "shrink", "num_frames": 24, "size": [64, 64], "seed": [7, 2]}]
    dx = [make_sample_clip(c["cls"], c["num_frames"], tuple(c["size"]), seed=c["seed"]) for c in dclips]
    result = {"generated_with": "kvideo commit 59e6b6a (before the tasks/ split), make_sample_clip clips",
              "legacy_v1": {"clips": clips, "probs": probs, "top_labels": labels},
              "demo_default": {"clips": dclips, "probs": [demo.predict_proba(a)[0].tolist() for a in dx],
                               "top_labels": [demo.predict(a, top_k=1)[0]["label"] for a in dx]}}
    (out / "legacy_v1_expected.json").write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main(Path(sys.argv[1]))
