"""`--engine ray`: batch jobs on Ray Data with a local Ray cluster on this machine (2 CPUs).

Same lines as the local engine, resumable from a local job's output (the driver writes both), error lines
for bad files. Skipped when ``ray[data]`` is not installed (``pip install "kvideo[ray]"``).
"""

from __future__ import annotations

import json

import numpy as np
import pytest

import kvideo

ray = pytest.importorskip("ray")
pytest.importorskip("ray.data")

from test_faces import needs_dlib  # noqa: E402


@pytest.fixture(scope="module")
def local_ray(tmp_path_factory):
    with pytest.MonkeyPatch.context() as mp:  # the Ray workers inherit the environment: their own DeepFace home
        mp.setenv("DEEPFACE_HOME", str(tmp_path_factory.mktemp("ray_deepface_home")))
        ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
        yield ray
        ray.shutdown()


def _lines(path):
    return [json.loads(ln) for ln in path.read_text().splitlines()]


def test_predict_batch_on_ray_matches_local_and_resumes(tmp_path, local_ray):
    from kvideo.tasks.batch import predict_batch

    vids = tmp_path / "vids"
    vids.mkdir()
    rng = np.random.default_rng(0)
    for i in range(6):
        kvideo.io.write_video(str(vids / f"v{i}.mp4"), rng.integers(0, 255, (16, 24, 24, 3), np.uint8), fps=8)
    (vids / "broken.mp4").write_bytes(b"not a video")
    clf = kvideo.VideoClassifier("frame_cnn", class_names=["a", "b"], num_frames=2, image_size=16)

    local = tmp_path / "local.jsonl"
    predict_batch(clf, vids, local, window_frames=8, verbose=False)
    out = tmp_path / "ray.jsonl"
    done = [ln for ln in local.read_text().splitlines() if '"error"' not in ln][:2]
    out.write_text("\n".join(done) + '\n{"path": "torn')  # a job killed mid-line
    r = predict_batch(clf, vids, out, workers=2, batch_size=2, window_frames=8, engine="ray", verbose=False)
    assert (r["engine"], r["total"], r["skipped"], r["done"], r["errors"]) == ("ray", 7, 2, 5, 1)

    got, want = {x["path"]: x for x in _lines(out)}, {x["path"]: x for x in _lines(local)}
    assert len(_lines(out)) == len(got) == 7 and set(got) == set(want)
    for path, x in want.items():
        y = got[path]
        if "error" in x:
            assert y["error"] == x["error"] and y["reason"] == x["reason"]
            continue
        assert [p["label"] for p in y["predictions"]] == [p["label"] for p in x["predictions"]]
        np.testing.assert_allclose([p["score"] for p in y["predictions"]], [p["score"] for p in x["predictions"]],
                                   atol=1e-5)
        assert [(t["start"], t["end"], t["label"]) for t in y["timeline"]] == [
            (t["start"], t["end"], t["label"]) for t in x["timeline"]]


@needs_dlib
def test_identify_batch_on_ray(tmp_path, local_ray):
    import cv2

    from kvideo.faces import FaceGallery
    from kvideo.faces.batch import identify_batch

    FaceGallery.create(tmp_path / "g.db")  # the actors get it as bytes, and load their own DeepFace
    src = tmp_path / "in"
    src.mkdir()
    cv2.imwrite(str(src / "grey.png"), np.full((480, 640, 3), 128, np.uint8))
    (src / "broken.jpg").write_bytes(b"not a jpeg")
    r = identify_batch(tmp_path / "g.db", src, tmp_path / "f.jsonl", engine="ray", verbose=False)
    assert (r["engine"], r["done"], r["errors"]) == ("ray", 2, 1)
    recs = {x["path"].rsplit("/", 1)[-1]: x for x in _lines(tmp_path / "f.jsonl")}
    assert recs["grey.png"] == {"path": str(src / "grey.png"), "kind": "image", "faces": []}
    assert recs["broken.jpg"]["error"] == "ImageReadError"
