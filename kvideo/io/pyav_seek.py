"""The sparse-read path on PyAV: the keyframe index of a file and a seeker that decodes only what it must.

Used by :mod:`kvideo.io.reader` when the frames asked for are far apart; the reader falls back to
OpenCV whenever this path cannot be exact (or PyAV, a core dependency, cannot be imported).
"""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np

from kvideo.io.capture import DECODE_TIMEOUT_S, EndOfStream, to_rgb

MIN_SEEK_GAP = 16  # never seek over fewer frames than this: grabbing them is cheaper than any seek
SPARSE_DECODE_THREADS = 1  # decoder threads of the PyAV sparse path; 0 = FFmpeg's choice (see PyAVSeeker)


KEYFRAME_SCAN_MAX_BYTES = 512 << 20


@functools.lru_cache(maxsize=1024)
def keyframes_cached(path_str, size, mtime_ns):
    """Frame indices of all keyframes (PyAV demux: reads packets, decodes nothing), or None."""
    if size > KEYFRAME_SCAN_MAX_BYTES:
        return None  # a scan would read too much: plan with the GOP estimate instead
    try:
        import av

        with av.open(path_str, timeout=DECODE_TIMEOUT_S) as c:
            s = c.streams.video[0]
            rate = s.average_rate or s.guessed_rate
            tb, start = s.time_base, s.start_time or 0
            keys = []
            for pkt in c.demux(s):
                if pkt.is_keyframe:
                    if pkt.pts is None:
                        return None
                    keys.append(int(round(float((pkt.pts - start) * tb * rate))))
    except Exception:  # noqa: BLE001 - no PyAV or an odd file: no keyframe index
        return None
    return tuple(sorted(keys)) if keys else None


class Mismatch(Exception):
    """PyAV timestamps do not map cleanly to frame indices: use the OpenCV path instead."""


class PyAVSeeker:
    """Sparse reads with PyAV.

    With the file's keyframe index (a demux-only scan, cached per file) it seeks exactly when a
    keyframe lies between the current position and the target, landing on that keyframe (no OpenCV
    16-frame back-off); without it, when the gap exceeds the GOP estimate. Every packet that is not a
    wanted frame is sent with ``skip_frame="NONREF"``: the decoder drops frames nothing references
    (about half of x264's B-frames) and decodes only the reference chain up to each target; a wanted
    frame is always decoded in full. Frames are bit-identical to OpenCV's sequential decode (same
    FFmpeg decoder and swscale conversion; checked in tests); irregular timestamps raise Mismatch
    and the OpenCV path takes over. (Skipping the deblocking filter or the IDCT of the reference
    frames decoded only to reach a target would be faster, but every later frame is predicted from
    them, so the target would no longer be exact: not done.)

    Threading: ``SPARSE_DECODE_THREADS`` (default 1: no threading). Frame threading (OpenCV's and
    PyAV's "AUTO" default) pipelines whole frames, which a seek every few hundred frames keeps
    flushing and refilling; on the 3,000-frame x264 file of benchmarks/io_data.md "AUTO" and 2
    frame threads cost 15-30% more CPU time than one thread (slice threads ~5-10%), with no
    wall-clock gain on the shared, loaded 2-core machine (on an idle
    multi-core machine frame threads can lower wall time: set it to 0 for FFmpeg's automatic
    choice). Seeks and per-packet ``skip_frame`` stay exact with any setting (tested)."""

    def __init__(self, p: Path, size, threshold, wanted=()):
        import av  # noqa: F401 - ImportError means: no PyAV path

        self.av = av
        self.c = av.open(str(p), timeout=DECODE_TIMEOUT_S)
        try:
            self.s = self.c.streams.video[0]
        except IndexError:
            self.c.close()
            raise Mismatch() from None
        threads = int(SPARSE_DECODE_THREADS)
        if threads != 1:
            self.s.thread_type = "AUTO"
        self.s.codec_context.thread_count = threads
        rate = self.s.average_rate or self.s.guessed_rate
        if not rate or self.s.time_base is None:
            self.c.close()
            raise Mismatch()
        self.cc = self.s.codec_context
        self.tb, self.rate = self.s.time_base, rate
        self.start = self.s.start_time or 0
        self._k = float(self.tb * self.rate)  # pts -> frame index without Fraction arithmetic per packet
        self.size = size
        self.threshold = threshold if threshold is not None else float("inf")
        self.wanted = frozenset(int(i) for i in wanted)
        self.gen = None
        self.last = -(10**9)
        self.seeks = 0
        self.decoded = 0  # frames the decoder produced (tests/benchmarks)
        st = p.stat()
        keys = keyframes_cached(str(p), st.st_size, st.st_mtime_ns)
        self.keys = np.asarray(keys) if keys else None

    def _pts(self, i):
        return self.start + int(round(i / self.rate / self.tb))

    def _index(self, pts):
        return int(round((pts - self.start) * self._k))

    def _decode(self):
        cc = self.cc
        for packet in self.c.demux(self.s):
            # Decode a wanted frame (and any packet without a timestamp) in full; skip the rest of
            # what nothing references. Packets come in decode order, so a frame's references are
            # always sent before it; skipping is decided per packet, never for a wanted one.
            want = packet.pts is None or self._index(packet.pts) in self.wanted
            mode = "DEFAULT" if want else "NONREF"
            if cc.skip_frame != mode:
                cc.skip_frame = mode
            for frame in packet.decode():
                if frame.pts is None:
                    raise Mismatch()
                self.decoded += 1
                yield self._index(frame.pts), frame

    def _should_seek(self, idx):
        if self.gen is None:
            return True
        if self.keys is not None:  # seek when a keyframe lies between here and the target
            k = self.keys[max(0, np.searchsorted(self.keys, idx, side="right") - 1)]
            return k > self.last + MIN_SEEK_GAP // 2
        return idx - self.last > self.threshold

    def read(self, idx):
        if not self.wanted:
            self.wanted = frozenset([idx])
        if idx not in self.wanted:
            self.wanted = self.wanted | {idx}
        if self._should_seek(idx):
            self.c.seek(self._pts(idx), stream=self.s, backward=True, any_frame=False)
            self.gen = self._decode()
            self.seeks += 1
        for j, frame in self.gen:
            self.last = j
            if j < idx:
                continue
            if j > idx:
                raise Mismatch()  # overshoot: timestamps are not regular
            return to_rgb(frame.to_ndarray(format="bgr24"), self.size)
        raise EndOfStream(None)

    def close(self):
        self.c.close()


def read_with_pyav(p, size, idx, threshold):
    """Read sorted indices with PyAV; None when PyAV is missing or the file's timestamps do not fit."""
    try:
        seeker = PyAVSeeker(p, size, threshold, wanted=np.unique(idx))
    except Exception:  # noqa: BLE001 - no PyAV (ImportError), Mismatch or any PyAV trouble: OpenCV decides
        return None
    try:
        frames = {}
        for i in np.unique(idx):
            frames[int(i)] = seeker.read(int(i))
        return np.stack([frames[int(i)] for i in idx])
    except EndOfStream:
        raise
    except Exception:  # noqa: BLE001 - Mismatch or a decoder error: fall back to OpenCV
        return None
    finally:
        seeker.close()
