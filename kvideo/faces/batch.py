"""Who is in every photo and video of a folder: one gallery and one DeepFace load for the whole job.

``identify_batch(gallery, source, out)`` writes one JSON line per file to ``out``: a photo gives
``{"path", "kind": "image", "faces": [...]}`` (as ``FaceGallery.identify``), a video ``{"path", "kind":
"video", "segments", "people", ...}`` (as ``scan_video``: who appears when); a file that cannot be read is
``{"path", "error", "reason"}`` and the job goes on. Files already in ``out`` are skipped, so a killed job
resumes where it stopped. Photos are decoded by ``workers`` threads ahead of the face model.

Example (needs a gallery and photos of faces):
    >>> from kvideo.faces import FaceGallery
    >>> identify_batch(FaceGallery.open("people.db"), "photos/", "faces.jsonl")  # doctest: +SKIP
    {'total': 120, 'skipped': 0, 'done': 120, 'errors': 1, ...}
"""

from __future__ import annotations

from pathlib import Path

from kvideo.utils.formats import is_video
from kvideo.utils.progress import progress
from kvideo.utils.ray_engine import RayWorker
from kvideo.utils.results import error_record, open_job, prefetch
from kvideo.utils.validation import check_choice, check_int


def identify_file(gallery, path, image=None, every_n_frames=5, threshold=None) -> dict:
    """The JSON record of one photo or video (``image``: the photo already decoded, else it is read)."""
    from kvideo.faces.video import scan_video

    if is_video(path):
        r = scan_video(path, gallery, every_n_frames=every_n_frames, threshold=threshold, progress=False)
        r.pop("video", None)
        r.pop("annotated", None)
        return {"path": str(path), "kind": "video", **r}
    return {"path": str(path), "kind": "image",
            "faces": gallery.identify(str(path) if image is None else image, threshold=threshold)}


def _load(path):
    """Decode a photo in a worker thread (videos are read frame by frame by ``scan_video``)."""
    from kvideo.faces.embed import load_image

    return None if is_video(path) else load_image(path)


def _file_records(gallery, paths, workers=1, every_n_frames=5, threshold=None):
    """Yield the record of each path (photos decoded by ``workers`` threads ahead of the face model)."""
    for path, image, err in prefetch(paths, _load, workers=workers):
        if err is None:
            try:
                yield identify_file(gallery, path, image, every_n_frames, threshold)
                continue
            except Exception as e:  # noqa: BLE001 - one bad file is a line, never a stopped job
                err = e
        yield error_record(path, err)


class RayIdentifier(RayWorker):
    """``--engine ray``: one gallery and one DeepFace load per Ray actor."""

    suffix = ".db"

    def load(self, path):
        from kvideo.faces.gallery import FaceGallery

        gallery = FaceGallery.open(path)
        gallery.engine.warmup()
        return gallery

    def run(self, paths):
        return list(_file_records(self.resource, paths, **self.options))


def identify_batch(gallery, source, out, workers=1, every_n_frames=5, threshold=None, engine="local",
                   verbose=None) -> dict:
    """Identify the faces in every photo and video of ``source`` (a folder, walked recursively, or a text
    file listing one path a line) into the JSON-lines file ``out``; resumable, one line per file.

    ``gallery`` is a ``FaceGallery`` or the path of one. ``engine="ray"`` runs the files on ``workers`` Ray
    actors (Ray Data, ``kvideo.utils.ray_engine``); the lines are the same. Returns the job summary
    ``{"total", "skipped", "done", "errors", "seconds", "per_second", "out", "engine", "model", "detector"}``.
    """
    from kvideo.faces.gallery import FaceGallery

    workers = check_int("workers", workers, low=1)
    every_n_frames = check_int("every_n_frames", every_n_frames, low=1)
    engine = check_choice("engine", engine, ("local", "ray"))
    if isinstance(gallery, (str, Path)):
        gallery = FaceGallery.open(gallery)
    options = {"every_n_frames": every_n_frames, "threshold": threshold}
    with open_job(source, out, kinds=("image", "video")) as job:
        if engine == "ray":
            from kvideo.utils.ray_engine import ray_records

            recs = ray_records(job.todo, RayIdentifier, {"data": Path(gallery.path).read_bytes(),
                               "options": {**options, "workers": 1}}, concurrency=workers, batch_size=4)
        else:
            if job.todo:
                gallery.engine.warmup()  # the one model load, before the first file
            recs = _file_records(gallery, job.todo, workers, **options)
        for rec in progress(recs, total=len(job.todo), desc="identify", unit="file", enabled=verbose):
            job.write(rec)
    return job.summary(engine=engine, model=gallery.model, detector=gallery.detector)
