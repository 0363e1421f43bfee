"""Who appears when in a video: detect on sampled frames, track, embed once per track, merge into segments.

Words: a *track* is one face followed from sampled frame to sampled frame (box overlap); a *segment*
is a time span ``{identity, start, end, frames, best_distance}`` in the result: the tracks of one
person less than ``merge_gap`` seconds apart merged into one.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

import kvideo.io
from kvideo.utils.validation import check_int


# -- tracking (pure logic, no faces needed) ------------------------------------------------------------
def iou(a, b) -> float:
    """Intersection over union of two [x, y, w, h] boxes.

    Example:
        >>> from kvideo.faces.video import iou
        >>> iou([0, 0, 10, 10], [5, 0, 10, 10])
        0.3333333333333333
    """
    ax1, ay1, ax2, ay2 = a[0], a[1], a[0] + a[2], a[1] + a[3]
    bx1, by1, bx2, by2 = b[0], b[1], b[0] + b[2], b[1] + b[3]
    iw = max(0.0, min(ax2, bx2) - max(ax1, bx1))
    ih = max(0.0, min(ay2, by2) - max(ay1, by1))
    inter = iw * ih
    union = a[2] * a[3] + b[2] * b[3] - inter
    return float(inter / union) if union > 0 else 0.0


class Track:
    """One face followed across sampled frames."""

    def __init__(self, track_id: int, frame: int, seconds: float, box):
        self.id = track_id
        self.boxes = {frame: list(box)}  # sampled frame index -> box
        self.times = {frame: seconds}
        self.missed = 0
        self.embeddings: list[np.ndarray] = []
        self.embedded_at: list[int] = []
        self.identity = None
        self.nearest = None
        self.best_distance = None
        self.distance = None

    @property
    def last_box(self):
        return self.boxes[max(self.boxes)]

    @property
    def first_frame(self) -> int:
        return min(self.boxes)

    @property
    def last_frame(self) -> int:
        return max(self.boxes)


class IoUTracker:
    """Greedy IoU matching of detections to the tracks seen in the last ``max_missed + 1`` sampled frames.

    Example:
        >>> from kvideo.faces.video import IoUTracker
        >>> t = IoUTracker()
        >>> t.update(0, 0.0, [[10, 10, 50, 50]])
        [(0, True)]
        >>> t.update(5, 0.2, [[12, 11, 50, 50], [200, 10, 40, 40]])
        [(0, False), (1, True)]
    """

    def __init__(self, iou_threshold: float = 0.3, max_missed: int = 2):
        self.iou_threshold = float(iou_threshold)
        self.max_missed = int(max_missed)
        self.tracks: list[Track] = []
        self.active: list[Track] = []

    def update(self, frame: int, seconds: float, boxes) -> list[tuple[int, bool]]:
        """Assign each box a track; returns ``[(track_id, is_new)]`` in the order of ``boxes``."""
        pairs = []
        for ti, t in enumerate(self.active):
            for bi, b in enumerate(boxes):
                v = iou(t.last_box, b)
                if v >= self.iou_threshold:
                    pairs.append((v, ti, bi))
        pairs.sort(reverse=True)
        used_t, assigned = set(), {}
        for v, ti, bi in pairs:
            if ti in used_t or bi in assigned:
                continue
            used_t.add(ti)
            assigned[bi] = self.active[ti]
        out = []
        for bi, b in enumerate(boxes):
            t = assigned.get(bi)
            if t is None:
                t = Track(len(self.tracks), frame, seconds, b)
                self.tracks.append(t)
                self.active.append(t)
                out.append((t.id, True))
            else:
                t.boxes[frame] = list(b)
                t.times[frame] = seconds
                t.missed = 0
                out.append((t.id, False))
        matched = {id(t) for t in assigned.values()}
        keep = []
        for t in self.active:
            if id(t) in matched or frame in t.boxes:
                keep.append(t)
                continue
            t.missed += 1
            if t.missed <= self.max_missed:
                keep.append(t)
        self.active = keep
        return out


def assign_identities(tracks, gallery, threshold=None) -> None:
    """Give each track the identity whose median (over the track's embeddings) distance is smallest.

    A track is accepted only when that median is within the threshold; ``best_distance`` is the
    smallest single distance to the chosen (or nearest) identity.
    """
    from kvideo.faces.embed import distances, identity_distances

    thr = gallery.threshold if threshold is None else float(threshold)
    names, refs = gallery.embeddings()
    uniq = sorted(set(names.tolist()))
    for t in tracks:
        if not t.embeddings:
            continue
        if len(uniq) == 0:
            t.identity, t.distance, t.best_distance = None, None, None
            continue
        _, per_id = identity_distances(distances(np.stack(t.embeddings), refs, gallery.metric), names)  # (k, ids)
        med = np.median(per_id, axis=0)
        j = int(np.argmin(med))
        t.distance = float(med[j])
        t.best_distance = float(per_id[:, j].min())
        t.identity = uniq[j] if med[j] <= thr else None
        t.nearest = uniq[j]


def merge_segments(segments, max_gap: float = 1.0) -> list[dict]:
    """Merge time segments of the same identity that overlap or are at most ``max_gap`` seconds apart.

    ``segments``: dicts with ``identity, start, end, frames, best_distance``; unknown people
    (identity None) are never merged with each other.

    Example:
        >>> from kvideo.faces.video import merge_segments
        >>> merge_segments([{"identity": "a", "start": 0.0, "end": 1.0, "frames": 3, "best_distance": 0.4},
        ...                 {"identity": "a", "start": 1.5, "end": 2.0, "frames": 2, "best_distance": 0.3}])
        [{'identity': 'a', 'start': 0.0, 'end': 2.0, 'frames': 5, 'best_distance': 0.3}]
    """
    known = sorted((dict(s) for s in segments if s["identity"] is not None), key=lambda s: (s["identity"], s["start"]))
    out = []
    for s in known:
        if out and out[-1]["identity"] == s["identity"] and s["start"] <= out[-1]["end"] + max_gap:
            m = out[-1]
            m["end"] = max(m["end"], s["end"])
            m["frames"] += s["frames"]
            bd = [v for v in (m["best_distance"], s["best_distance"]) if v is not None]
            m["best_distance"] = min(bd) if bd else None
        else:
            out.append(s)
    out += [dict(s) for s in segments if s["identity"] is None]
    return sorted(out, key=lambda s: (s["start"], s["identity"] is None, s["identity"] or ""))


# -- the scan -------------------------------------------------------------------------------------------
def scan_video(video, gallery, every_n_frames: int = 5, annotate_to=None, threshold: float | None = None,
               embed_every: int = 3, max_embeddings: int = 8, iou_threshold: float = 0.3, max_missed: int = 2,
               merge_gap: float = 1.0, min_track_frames: int = 1, progress: bool = True) -> dict:
    """Find who appears when in ``video``.

    Every ``every_n_frames``-th frame is run through the gallery's face detector; faces are tracked
    between sampled frames by box overlap (IoU), and a track is embedded when it starts and again every
    ``embed_every`` sampled frames (at most ``max_embeddings`` times), in batches. Each track gets the
    identity with the smallest median distance (None when nobody enrolled is within the threshold), and
    tracks of the same person less than ``merge_gap`` seconds apart are merged into one segment.

    Returns ``{"segments": [{"identity", "start", "end", "frames", "best_distance"}], "people",
    "raw_tracks" (tracks before merging), "frames_processed", "frames_total", "seconds" (wall-clock
    time of the scan), "duration", "fps", "faces_detected", "embeddings", "annotated" (path or None),
    ...}``. ``start``/``end`` are in seconds of video; ``end`` extends to the next sampled frame;
    ``frames`` counts the sampled frames in which the face was seen.

    ``annotate_to`` (``.webm`` plays in browsers) writes a copy of the video with boxes and names.

    Example:
        >>> from kvideo.faces import FaceGallery, scan_video
        >>> result = scan_video("talk.mp4", FaceGallery.open("people.db"), every_n_frames=5)  # needs a video of enrolled people  # doctest: +SKIP
        >>> result["segments"][0]  # doctest: +SKIP
        {'identity': 'alice', 'start': 0.0, 'end': 4.2, 'frames': 21, 'best_distance': 0.33}
    """
    from kvideo.faces.gallery import FaceGallery

    if isinstance(gallery, (str, Path)):
        gallery = FaceGallery.open(gallery)
    every_n_frames = check_int("every_n_frames", every_n_frames, low=1)
    info = kvideo.io.probe(video)  # kvideo.VideoReadError (.path, .reason) for a missing or broken file
    path, fps = Path(info["path"]), info["fps"]
    t0 = time.perf_counter()
    tracker = IoUTracker(iou_threshold=iou_threshold, max_missed=max_missed)
    total = -(-info["frames"] // every_n_frames) if info["frames"] else None
    stats = _track_and_embed(path, gallery.engine, tracker, every_n_frames, embed_every, max_embeddings,
                             _progress_bar(progress, total))
    thr = gallery.threshold if threshold is None else float(threshold)
    tracks = [t for t in tracker.tracks if len(t.boxes) >= min_track_frames]
    assign_identities(tracks, gallery, thr)
    n_frames = max(info["frames"], stats["last_frame"] + 1)
    duration = n_frames / fps
    segments = merge_segments(_track_segments(tracks, duration, every_n_frames / fps), max_gap=merge_gap)
    elapsed = time.perf_counter() - t0
    annotated = None
    if annotate_to is not None:
        annotated = str(annotate_video(path, tracks, annotate_to, every_n_frames, fps))
    return {
        "video": str(path),
        "segments": segments,
        "people": sorted({s["identity"] for s in segments if s["identity"] is not None}),
        "raw_tracks": len(tracks),
        "frames_processed": stats["frames_processed"],
        "frames_total": n_frames,
        "every_n_frames": every_n_frames,
        "fps": round(fps, 3),
        "duration": round(duration, 3),
        "seconds": round(elapsed, 3),
        "faces_detected": stats["faces_detected"],
        "embeddings": stats["embeddings"],
        "model": gallery.model,
        "detector": gallery.detector,
        "threshold": thr,
        "annotated": annotated,
    }


def _progress_bar(enabled, total):
    if not enabled:
        return None
    try:
        from tqdm.auto import tqdm

        return tqdm(total=total, desc="scan_video", unit="frame", file=sys.stderr, leave=False)
    except ImportError:  # pragma: no cover
        return None


def _track_and_embed(path, engine, tracker, every_n_frames, embed_every, max_embeddings, bar) -> dict:
    """Detect on every sampled frame, track, and embed each track when due (in batches)."""
    pending: list[tuple[Track, np.ndarray]] = []
    stats = {"frames_processed": 0, "faces_detected": 0, "embeddings": 0, "last_frame": -1}
    sampled_index: dict[int, int] = {}  # frame -> ordinal of sampled frames

    def flush():
        if pending:
            for (t, _), e in zip(pending, engine.embed([c for _, c in pending])):
                t.embeddings.append(e)
            stats["embeddings"] += len(pending)
            pending.clear()

    try:
        for frame, seconds, rgb in kvideo.io.iter_frames(path, every_n_frames=every_n_frames):
            sampled_index[frame] = stats["frames_processed"]
            stats["frames_processed"] += 1
            stats["last_frame"] = frame
            faces = engine.detect(rgb)
            stats["faces_detected"] += len(faces)
            for f, (tid, is_new) in zip(faces, tracker.update(frame, float(seconds), [f["box"] for f in faces])):
                t = tracker.tracks[tid]
                n_emb = len(t.embeddings) + sum(1 for p, _ in pending if p is t)
                # a track is embedded when it starts, so embedded_at is never empty here
                if is_new or (n_emb < max_embeddings
                              and sampled_index[frame] - sampled_index[t.embedded_at[-1]] >= embed_every):
                    t.embedded_at.append(frame)
                    pending.append((t, f["face"]))
            if len(pending) >= engine.batch_size:
                flush()
            if bar is not None:
                bar.update(1)
        flush()
    finally:
        if bar is not None:
            bar.close()
    return stats


def _track_segments(tracks, duration, step) -> list[dict]:
    """One segment per track: first sighting to the next sampled frame after the last one."""
    return [
        {
            "identity": t.identity,
            "start": round(t.times[t.first_frame], 3),
            "end": round(min(duration, t.times[t.last_frame] + step), 3),
            "frames": len(t.boxes),
            "best_distance": None if t.best_distance is None else round(t.best_distance, 4),
        }
        for t in tracks
    ]


def annotate_video(video, tracks, out_path, every_n_frames: int, fps: float):
    """Write ``video`` with each track's box and name (red: unknown) drawn on every frame it spans.

    The container follows ``out_path``'s extension (see :func:`kvideo.io.write_video`); returns the path.
    """
    import cv2

    spans = []
    for t in tracks:
        frames = sorted(t.boxes)
        spans.append((t, frames, frames[0], frames[-1] + every_n_frames - 1))

    def frames_gen():
        for frame, _, rgb in kvideo.io.iter_frames(video):
            img = np.ascontiguousarray(rgb.copy())
            for t, frames, f0, f1 in spans:
                if not (f0 <= frame <= f1):
                    continue
                k = max(f for f in frames if f <= frame) if frame >= frames[0] else frames[0]
                if frame - k >= every_n_frames:  # the face was missed at the last sampled frame
                    continue
                x, y, w, h = (int(v) for v in t.boxes[k])
                color = (40, 200, 40) if t.identity else (220, 40, 40)
                label = t.identity or "unknown"
                if t.best_distance is not None:
                    label += f" {t.best_distance:.2f}"
                cv2.rectangle(img, (x, y), (x + w, y + h), color, 2)
                cv2.putText(img, label, (x, max(12, y - 6)), cv2.FONT_HERSHEY_SIMPLEX, 0.5, color, 1, cv2.LINE_AA)
            yield img

    return Path(kvideo.io.write_video(out_path, frames_gen(), fps=fps))
