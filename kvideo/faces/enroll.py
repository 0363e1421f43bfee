"""Enrolling a folder of photos (``photos/<identity>/*.jpg``) into a :class:`~kvideo.faces.FaceGallery`, incrementally.

Steps: list the photos and what the gallery already holds from that folder (:func:`_plan`), find the
largest face of each new or changed photo (:func:`_detect`), embed them in batches, then write every
change in ONE transaction (:func:`_write`). The report lists every photo with its status.
"""

from __future__ import annotations

import hashlib
import os
import sys
import time
from pathlib import Path

import numpy as np

from kvideo.errors import ImageReadError
from kvideo.utils.formats import is_ignored_name, is_image
from kvideo.utils.validation import argument_error

STATUSES = ("added", "updated", "unchanged", "removed", "skipped")


def _progress(iterable, total, desc, enabled=True):
    if not enabled:
        return iterable
    try:
        from tqdm.auto import tqdm

        return tqdm(iterable, total=total, desc=desc, file=sys.stderr, disable=total < 2, leave=False)
    except ImportError:  # pragma: no cover
        return iterable


def _skipped(path, identity, reason):
    return {"path": str(path), "identity": identity, "status": "skipped", "used": False, "reason": reason}


def _list_photos(root: Path):
    """``([(identity, photo path)], [report rows of files that are skipped])`` of ``root/<identity>/**``."""
    photos, report = [], []
    from kvideo.faces.gallery import check_identity

    for entry in sorted(root.iterdir()):
        if entry.is_dir():
            if is_ignored_name(entry.name):
                continue
            try:
                check_identity(entry.name)
            except ValueError as e:
                report.append(_skipped(entry, entry.name, f"not a usable name for a person: {e}"))
                continue
            for p in sorted(entry.rglob("*")):
                if not p.is_file() or p.name.startswith("."):
                    continue
                if is_image(p):
                    photos.append((entry.name, p))
                else:
                    report.append(_skipped(p, entry.name, f"not an image file ({p.suffix or 'no extension'})"))
        elif entry.is_file() and is_image(entry):
            report.append(_skipped(entry, None, "not inside a <identity>/ sub-folder"))
    return photos, report


def _plan(gallery, root: Path):
    """What to do: ``(todo [(identity, path, sha, status)], removed sources, old rows by source, report)``."""
    photos, report = _list_photos(root)
    if not photos:
        raise argument_error(
            "folder", str(root), f"a folder with one sub-folder of photos per person, e.g. {root}/alice/1.jpg "
            "(no photos found)",
        )
    prefix = str(root) + os.sep
    with gallery.connect() as conn:
        old = {
            r[0]: {"sha256": r[1], "identity": r[3], "how": r[4]}
            for r in conn.execute("SELECT source, sha256, id, identity, how, box FROM faces WHERE origin = 'enroll'")
            if r[0].startswith(prefix)
        }
    seen, todo = set(), []
    for identity, p in photos:
        src = str(p)
        seen.add(src)
        try:
            sha = hashlib.sha256(p.read_bytes()).hexdigest()
        except OSError as e:
            report.append(_skipped(src, identity, f"unreadable: {e}"))
            continue
        if src in old and old[src]["sha256"] == sha and old[src]["identity"] == identity:
            report.append({"path": src, "identity": identity, "status": "unchanged", "used": True,
                           "how": old[src]["how"]})
            continue
        todo.append((identity, p, sha, "updated" if src in old else "added"))
    removed = [src for src in old if src not in seen]
    for src in removed:
        report.append({"path": src, "identity": old[src]["identity"], "status": "removed", "used": False,
                       "reason": "no longer in the folder"})
    return todo, removed, old, report


def _detect(engine, todo, report, progress):
    """Find the largest face of each photo to (re)enroll; returns ``[(index into report, aligned crop)]``."""
    pending = []
    for identity, p, sha, status in _progress(todo, len(todo), "enroll: detecting faces", progress):
        rec = {"path": str(p), "identity": identity, "status": status, "sha256": sha}
        try:
            _, faces = engine.locate(p)
        except ImageReadError as e:
            rec.update(status="skipped", used=False, reason=e.reason)
            report.append(rec)
            continue
        if not faces:
            rec.update(status="skipped", used=False,
                       reason="no face found (and too large or not square enough to be a face crop)")
            report.append(rec)
            continue
        f = faces[0]
        rec.update(used=True, how=f["how"], faces=len(faces), box=[int(v) for v in f["box"]])
        report.append(rec)
        pending.append((len(report) - 1, f["face"]))
    return pending


def _write(gallery, report, removed, old, pending, embs):
    """Every change of this enroll in ONE transaction."""
    with gallery.connect(write=True) as conn:
        for src in removed:
            conn.execute("DELETE FROM faces WHERE origin = 'enroll' AND source = ?", (src,))
        for rec in report:
            if rec["status"] in ("updated", "skipped") and rec["path"] in old:
                conn.execute("DELETE FROM faces WHERE origin = 'enroll' AND source = ?", (rec["path"],))
        gallery.warn_same_photo(conn, [(report[i]["identity"], report[i]["sha256"], report[i]["path"])
                                       for i, _ in pending])  # after the deletes: a moved photo is no duplicate
        now = time.time()
        for (i, _), emb in zip(pending, embs):
            rec = report[i]
            gallery.insert(conn, rec["identity"], rec["path"], "enroll", rec["sha256"], rec["how"], rec["box"], emb, now)


def enroll_folder(gallery, folder, progress: bool = True) -> dict:
    """Enroll ``folder/<identity>/*`` into ``gallery``; see :meth:`kvideo.faces.FaceGallery.enroll`.

    Example:
        >>> enroll_folder(FaceGallery.create("people.db"), "photos/")  # needs photos of faces  # doctest: +SKIP
    """
    root = Path(folder)
    if not root.is_dir():
        raise argument_error(
            "folder", str(root), "a folder with one sub-folder of photos per person (photos/<name>/*.jpg)"
        )
    root = root.resolve()
    todo, removed, old, report = _plan(gallery, root)
    engine = gallery.engine
    pending = _detect(engine, todo, report, progress)
    embs = engine.embed([c for _, c in pending]) if pending else np.zeros((0, gallery.embedding_size), np.float32)
    _write(gallery, report, removed, old, pending, embs)
    for rec in report:
        rec.pop("sha256", None)
    counts = {k: sum(r["status"] == k for r in report) for k in STATUSES}
    counts["used_detected"] = sum(bool(r.get("used")) and r.get("how", "").startswith("detected") for r in report)
    counts["used_whole_image"] = sum(bool(r.get("used")) and r.get("how") == "whole-image" for r in report)
    return {
        "db": str(gallery.path),
        "folder": str(root),
        "model": gallery.model,
        "detector": gallery.detector,
        "threshold": gallery.threshold,
        "counts": counts,
        "identities": gallery.counts(),
        "photos": report,
    }
