"""Synthetic "actors": articulated people doing 10 everyday whole-body actions in a still scene.

A development set that models what makes real action footage hard (the Weizmann-like case: a few
people, one clip each, a static camera): every actor has their own body proportions, height, limb
thickness, skin, hair and clothes colours, cadence and style (movement amplitude); the subject is small
(35-60% of the frame height) in front of a static textured background, with a little lighting change per
actor, sensor noise and mild blur. The figure is a 3D stick skeleton (head, torso, upper/lower arms and
legs, hands, feet) with joint-angle cycles per action, seen from the side (``walk``, ``run``, ``skip``,
``jump``, ``bend``) or the front (``side``, ``pjump``, ``jack``, ``wave1``, ``wave2``) with a little
camera yaw, projected orthographically, drawn as shaded thick limbs in depth order with a ground shadow.
Translating actions go left or right, chosen per actor.

Everything is drawn from ``seed``: the same arguments give the same pixels.
"""

from __future__ import annotations

import math
import os
import zlib
from pathlib import Path

import numpy as np

from kvideo.utils.progress import progress as progress_items

ACTIONS = ("bend", "jack", "jump", "pjump", "run", "side", "skip", "walk", "wave1", "wave2")
# action -> (view, cycle seconds, speed in body heights per second)
_ACTION_INFO = {
    "bend": ("side", 2.4, 0.0), "jack": ("front", 0.9, 0.0), "jump": ("side", 0.75, 1.0),
    "pjump": ("front", 0.6, 0.0), "run": ("side", 0.7, 1.7), "side": ("front", 0.5, 1.1),
    "skip": ("side", 0.8, 1.3), "walk": ("side", 1.1, 0.8), "wave1": ("front", 1.0, 0.0),
    "wave2": ("front", 1.0, 0.0),
}
_SKINS = ((233, 196, 165), (210, 161, 120), (165, 114, 80), (120, 80, 55), (245, 214, 190), (190, 140, 100))
_HAIRS = ((30, 22, 18), (70, 45, 25), (140, 100, 60), (200, 170, 110), (90, 90, 90), (15, 15, 15))
_SS = 3  # supersampling


def _d(x):
    return math.radians(x)


def make_actor(seed=0, index=0):
    """Body, colours and style of actor ``index`` of a cast drawn from ``seed`` (a dict of floats/tuples).

    Example:
        >>> a = make_actor(seed=0, index=3)
        >>> 0.35 <= a["height"] <= 0.6 and a["direction"] in (-1, 1)
        True
    """
    rng = np.random.default_rng([int(seed), 7919, int(index)])
    u = rng.uniform
    shirt = rng.integers(20, 236, 3)
    trousers = rng.integers(15, 200, 3) if u() < 0.6 else np.full(3, rng.integers(20, 120))
    return {
        "height": u(0.38, 0.58), "thigh": u(0.22, 0.26), "shin": u(0.23, 0.27), "torso": u(0.28, 0.33),
        "upper_arm": u(0.15, 0.18), "forearm": u(0.14, 0.17), "head": u(0.055, 0.072), "shoulders": u(0.17, 0.24),
        "hips": u(0.09, 0.13), "girth": u(0.8, 1.35), "skin": tuple(int(c) for c in _SKINS[rng.integers(len(_SKINS))]),
        "hair": tuple(int(c) for c in _HAIRS[rng.integers(len(_HAIRS))]), "shirt": tuple(int(c) for c in shirt),
        "trousers": tuple(int(c) for c in trousers), "long_sleeves": bool(u() < 0.5), "shorts": bool(u() < 0.25),
        "cadence": u(0.85, 1.2), "amplitude": u(0.8, 1.2), "lean": u(-4, 6), "direction": int(rng.choice([-1, 1])),
        "hand": int(rng.choice([-1, 1])), "light": (u(0.9, 1.1), *rng.normal(0, 4, 3)),
    }


def _ramp(x):
    """Smooth 0..1 step for x in [0, 1]."""
    x = min(max(x, 0.0), 1.0)
    return x * x * (3 - 2 * x)


def _gait_pose(action, th, a):
    """Side-view cyclic gaits (walk, run, skip) at phase angle ``th``; returns the pose dict."""
    pose = {"air": 0.0, "lean": 5.0}
    for s, off in ((1, 0.0), (-1, math.pi)):
        t = th + off
        if action == "walk":
            thigh, knee = 24 * a * math.sin(t), 5 + 55 * max(0.0, math.cos(t - 0.3)) ** 2
            arm, elbow = -20 * a * math.sin(t), 15 + 10 * max(0.0, -math.sin(t))
        elif action == "run":
            thigh, knee = 8 + 40 * a * math.sin(t), 20 + 95 * max(0.0, math.cos(t - 0.4)) ** 1.5
            arm, elbow = -38 * a * math.sin(t), 75.0
            pose["lean"], pose["air"] = 12.0, 0.05 * a * max(0.0, math.sin(2 * th + 0.6))
        else:  # skip: a step-hop on each leg, the free knee lifted high
            lift = max(0.0, math.sin(t))
            thigh, knee = 65 * a * lift - 20 * max(0.0, -math.sin(t)), 10 + 95 * lift
            arm, elbow = -60 * a * math.sin(t) + 10, 30 + 40 * lift
            pose["lean"], pose["air"] = 6.0, 0.09 * a * max(0.0, math.sin(2 * th))
        side = "r" if s > 0 else "l"
        pose["leg_" + side] = (3, thigh, 3, thigh - knee)
        pose["arm_" + side] = (8, arm, 8, arm + elbow)
    return pose


def _jump_pose(action, p, a):
    """Two-footed jumps: crouch on the ground, fly, land (``jump`` forward, ``pjump`` in place)."""
    take_off, land = 0.35, 0.75
    if take_off <= p < land:
        f = (p - take_off) / (land - take_off)
        crouch, air = 0.25 * math.sin(math.pi * f), math.sin(math.pi * f)
    else:
        g = p / take_off if p < take_off else 1 + (p - land) / (1 - land)  # 0..2 across the landing+crouch
        crouch, air = math.sin(math.pi * g / 2) ** 2, 0.0
    fwd = action == "jump"
    c = crouch * a
    pose = {"air": (0.14 if fwd else 0.11) * a * air, "lean": (40 if fwd else 20) * c + 4}
    swing = (-50 * c + 120 * air) if fwd else (-25 * c + 40 * air)
    for side in ("r", "l"):
        pose["leg_" + side] = (4 + 6 * c, 60 * c, 4, -50 * c)
        pose["arm_" + side] = (8 if fwd else 12 + 15 * air, swing, 8, swing + 20)
    pose["forward"] = _ramp((p - take_off) / (land - take_off)) if fwd else 0.0
    return pose


def _front_pose(action, p, a, hand):
    """Front-view actions: jack, wave1, wave2, side (gallop sideways) at cycle fraction ``p``."""
    th = 2 * math.pi * p
    o = (1 - math.cos(th)) / 2  # 0 closed .. 1 open
    down = (8, 0, 8, 10)
    pose = {"air": 0.0, "lean": 2.0, "arm_r": down, "arm_l": down, "leg_r": (3, 0, 3, 0), "leg_l": (3, 0, 3, 0)}
    if action == "jack":
        arm = 12 + 158 * o * min(a, 1.05)
        pose.update(air=0.05 * a * abs(math.sin(th)), arm_r=(arm, 5, arm + 10, 10), arm_l=(arm, 5, arm + 10, 10))
        pose["leg_r"] = pose["leg_l"] = (3 + 17 * o * a, 0, 3 + 17 * o * a, 0)
    elif action in ("wave1", "wave2"):
        up = 100 + 60 * o * min(a, 1.1)  # upper arm sweeps from the side to over the head
        wave = (up, 0, up + 10 + 55 * (1 - o), 0)
        pose["arm_r" if (hand > 0 or action == "wave2") else "arm_l"] = wave
        if action == "wave2":
            pose["arm_l"] = wave
    else:  # side: the leading leg steps out, the trailing leg closes in a hop
        lead, trail = _ramp(p / 0.5) - _ramp((p - 0.5) / 0.5), _ramp((p - 0.45) / 0.4) * (1 - _ramp((p - 0.85) / 0.15))
        spread = 24 * a * lead
        pose["leg_r" if hand > 0 else "leg_l"] = (3 + spread, 0, 3 + spread, 0)
        pose["leg_l" if hand > 0 else "leg_r"] = (3 + 6 * (1 - trail) * lead, 0, 3, 0)
        pose["air"] = 0.07 * a * max(0.0, math.sin(math.pi * (p - 0.45) / 0.5)) if p > 0.45 else 0.0
        arm = 25 + 20 * o * a
        pose["arm_r"] = pose["arm_l"] = (arm, 0, arm + 5, 15)
    return pose


def _bend_pose(p, a):
    b = _ramp(min(1.0, 1.3 * (1 - abs(2 * p - 1))))  # down, a short hold, up
    pose = {"air": 0.0, "lean": 3 + 95 * b * min(a, 1.05)}
    for side in ("r", "l"):
        pose["leg_" + side] = (3, 14 * b, 3, -10 * b)
        pose["arm_" + side] = (8, 10 * b, 8, 20 * b)
    return pose


def action_pose(action, phase, actor):
    """Joint angles (degrees) of ``actor`` doing ``action`` at cycle fraction ``phase`` in [0, 1)."""
    a, p = actor["amplitude"], phase % 1.0
    if action in ("walk", "run", "skip"):
        return _gait_pose(action, 2 * math.pi * p, a)
    if action in ("jump", "pjump"):
        return _jump_pose(action, p, a)
    if action == "bend":
        return _bend_pose(p, a)
    return _front_pose(action, p, a, actor["hand"])


def _unit(abd, flex, s):
    """World direction of a limb segment: abduction ``abd`` (outwards), flexion ``flex`` (forwards)."""
    ab, fl = _d(abd), _d(flex)
    return np.array([s * math.sin(ab), math.cos(ab) * math.cos(fl), math.cos(ab) * math.sin(fl)])


def _skeleton(pose, actor):
    """3D segments (x lateral, y down, z forward), pelvis at the origin, in body heights."""
    lean = _d(pose["lean"] + actor["lean"] * (pose["lean"] < 30))
    up = np.array([0.0, -math.cos(lean), math.sin(lean)])
    neck = actor["torso"] * up
    head = neck + (0.03 + actor["head"]) * up
    g = actor["girth"]
    fwd = np.array([0.0, math.sin(lean), math.cos(lean)])
    lat = np.array([1.0, 0.0, 0.0])
    ends = ((neck + 0.02 * up, actor["shoulders"] * 0.9, 0.11 * g), (np.zeros(3), actor["hips"] + 0.04 * g, 0.1 * g))
    box = [c + u * lat * w / 2 + v * fwd * dep / 2 for c, w, dep in ends for u in (-1, 1) for v in (-1, 1)]
    segs = [("torso", np.zeros(3), neck, box, "shirt")]
    for s, name in ((1, "r"), (-1, "l")):
        hip = np.array([s * actor["hips"] / 2, 0.0, 0.0])
        ab1, fl1, ab2, fl2 = pose["leg_" + name]
        knee = hip + actor["thigh"] * _unit(ab1, fl1, s)
        ankle = knee + actor["shin"] * _unit(ab2, fl2, s)
        toe = ankle + np.array([0.0, 0.02, 0.07])
        lower = "skin" if actor["shorts"] else "trousers"
        segs += [("thigh_" + name, hip, knee, 0.075 * g, "trousers"), ("shin_" + name, knee, ankle, 0.055 * g, lower),
                 ("foot_" + name, ankle, toe, 0.04, "shoes")]
        sh = neck + np.array([s * actor["shoulders"] / 2, 0.025, 0.0])
        ab1, fl1, ab2, fl2 = pose["arm_" + name]
        elbow = sh + actor["upper_arm"] * _unit(ab1, fl1, s)
        wrist = elbow + actor["forearm"] * _unit(ab2, fl2, s)
        hand = wrist + 0.035 * _unit(ab2, fl2, s)
        fore = "shirt" if actor["long_sleeves"] else "skin"
        segs += [("upper_" + name, sh, elbow, 0.05 * g, "shirt"), ("fore_" + name, elbow, wrist, 0.042 * g, fore),
                 ("hand_" + name, wrist, hand, 0.045, "skin")]
    segs.append(("head", neck + 0.3 * (head - neck), head, 2 * actor["head"], "skin"))
    return segs


def _shade(colour, k):
    return tuple(int(min(255, max(0, c * k))) for c in colour)


def _draw_figure(canvas, segs, actor, yaw, origin, scale):
    """Draw the projected segments onto the supersampled canvas, far ones first and darker."""
    import cv2

    cy, sy = math.cos(yaw), math.sin(yaw)
    colours = {"shirt": actor["shirt"], "trousers": actor["trousers"], "skin": actor["skin"], "shoes": (35, 30, 28)}
    ox, oy = origin

    def proj(p):
        return (ox + scale * (p[0] * cy + p[2] * sy), oy + scale * p[1]), -p[0] * sy + p[2] * cy

    items = []
    for name, a, b, width, col in segs:
        (pa, da), (pb, db) = proj(a), proj(b)
        items.append(((da + db) / 2 + (0.05 if name == "head" else 0.0), name, pa, pb, width, colours[col]))
    items.sort(key=lambda it: it[0])
    fx = 1 << 4  # cv2 fixed-point shift
    for depth, name, pa, pb, width, col in items:
        k = 0.72 if depth < -0.02 and name not in ("torso", "head") else 1.0
        t = 0 if name == "torso" else max(1, int(round(width * scale * _SS)))
        if name == "head":
            c = (int(pb[0] * _SS * fx), int(pb[1] * _SS * fx))
            r = int(width / 2 * scale * _SS * fx)
            cv2.circle(canvas, c, r, _shade(col, k), -1, cv2.LINE_AA, 4)
            back = -1 if sy > 0 else 1  # hair towards the back of the head
            hc = (c[0] + int(back * 0.25 * r * abs(sy)), c[1] - int(0.18 * r))
            cv2.ellipse(canvas, hc, (int(r * 0.95), int(r * 0.85)), 0, 160, 380, actor["hair"], -1, cv2.LINE_AA, 4)
            continue
        p1 = (int(pa[0] * _SS * fx), int(pa[1] * _SS * fx))
        p2 = (int(pb[0] * _SS * fx), int(pb[1] * _SS * fx))
        if name == "torso":  # ``width`` holds the 3D corners of the torso box
            pts = np.array([proj(c)[0] for c in width]) * _SS * fx
            hull = cv2.convexHull(np.round(pts).astype(np.int32))
            cv2.fillConvexPoly(canvas, hull, _shade(col, 0.85), cv2.LINE_AA, 4)
            t = max(1, int(round(0.05 * scale * _SS)))
        cv2.line(canvas, p1, p2, _shade(col, 0.82 * k), t, cv2.LINE_AA, 4)
        off = int(-0.18 * t * fx)  # a highlight towards the light (upper left)
        cv2.line(canvas, (p1[0] + off, p1[1] + off), (p2[0] + off, p2[1] + off), _shade(col, 1.08 * k),
                 max(1, t // 2), cv2.LINE_AA, 4)


def make_background(size=(144, 180), seed=0):
    """A static outdoor-like scene (wall with windows/pillars, a horizon, textured ground), float32 RGB.

    Example:
        >>> make_background((36, 45), seed=1).shape
        (36, 45, 3)
    """
    import cv2

    h, w = size
    rng = np.random.default_rng([int(seed), 31337])
    horizon = int(h * rng.uniform(0.45, 0.62))
    wall, ground = rng.uniform(90, 220, 3), rng.uniform(60, 170, 3)
    img = np.empty((h, w, 3), np.float32)
    img[:horizon], img[horizon:] = wall, ground
    for _ in range(rng.integers(3, 8)):  # windows, doors, pillars, bushes
        x0, bw = rng.integers(0, w), rng.integers(w // 20 + 1, w // 4)
        y0 = rng.integers(0, max(1, horizon - 10))
        y1 = min(horizon, y0 + rng.integers(8, max(9, horizon)))
        img[y0:y1, x0 : x0 + bw] = np.clip(wall + rng.normal(0, 45, 3), 0, 255)
    yy = np.linspace(0, 1, h - horizon)[:, None, None]
    img[horizon:] *= 0.85 + 0.3 * yy  # ground brighter towards the camera
    for scale, amp in ((16, rng.uniform(6, 16)), (4, rng.uniform(3, 8)), (1, rng.uniform(2, 6))):
        small = rng.normal(0, 1, (max(2, h // scale), max(2, w // scale), 1)).astype(np.float32)
        img += amp * cv2.resize(small, (w, h), interpolation=cv2.INTER_CUBIC)[..., None]
    img[horizon - 1 : horizon + 1] *= 0.8  # the wall's foot
    return np.clip(cv2.GaussianBlur(img, (0, 0), 0.6), 0, 255)


def _clip_plan(action, actor, rng, fps, width):
    """Number of frames, start phase and path (start x, signed speed in px/s) of one clip."""
    _, cycle, speed = _ACTION_INFO[action]
    cycle /= actor["cadence"]
    speed *= actor["cadence"] * actor["amplitude"] ** 0.5
    seconds = rng.uniform(1.5, 4.0)
    if speed > 0:  # stay (mostly) in the frame: cross at most about its width
        seconds = float(np.clip(min(seconds, 0.9 * width / (speed * actor["px"])), 1.5, 4.0))
    n = max(2, int(round(seconds * fps)))
    travel = speed * actor["px"] * n / fps
    slack = max(0.0, 0.84 * width - travel) / 2 if speed > 0 else 0.2 * width  # keep the path centred
    centre = width / 2 + rng.uniform(-slack, slack)
    d = actor["direction"]
    x0 = centre - d * travel / 2 if speed > 0 else centre
    return n, rng.uniform(0, 1), x0, d * speed * actor["px"], cycle


def render_actor_clip(action, actor, background, fps=25, rng=None, masks=False):
    """Frames (T, H, W, 3) uint8 RGB of ``actor`` (see ``make_actor``) doing ``action`` on ``background``.

    With ``masks=True`` returns ``(frames, masks)``, masks (T, H, W) bool: the figure's silhouette.

    Example:
        >>> bg = make_background((72, 90))
        >>> clip = render_actor_clip("walk", make_actor(0, 0), bg, rng=np.random.default_rng(0))
        >>> clip.shape[1:], 37 <= len(clip) <= 100
        ((72, 90, 3), True)
    """
    import cv2

    if action not in _ACTION_INFO:
        raise ValueError(f"Unknown action {action!r}: choose from {list(ACTIONS)}. Received: action={action!r}")
    rng = np.random.default_rng(0) if rng is None else rng
    h, w = background.shape[:2]
    actor = dict(actor, px=actor["height"] * h)
    n, phase0, x0, vx, cycle = _clip_plan(action, actor, rng, fps, w)
    view = _ACTION_INFO[action][0]
    jitter = _d(rng.uniform(-14, 14))
    yaw = actor["direction"] * math.pi / 2 - actor["direction"] * jitter if view == "side" else jitter
    ground = h * rng.uniform(0.86, 0.93)
    gain, *tint = actor["light"]
    bg = np.clip(background * gain + np.array(tint, np.float32), 0, 255)
    big = cv2.resize(bg, (w * _SS, h * _SS), interpolation=cv2.INTER_LINEAR)
    noise, blur = rng.uniform(1.0, 3.5), rng.uniform(0.4, 0.9)
    scale, jump_len = actor["px"], 0.7 * actor["amplitude"]
    start_fwd = action_pose(action, phase0, actor).get("forward", 0.0)
    out, sil = np.empty((n, h, w, 3), np.uint8), np.zeros((n, h, w), bool)
    for i in range(n):
        t = i / fps
        cyc = phase0 + t / cycle
        pose = action_pose(action, cyc, actor)
        segs = _skeleton(pose, actor)
        low = max(max(a[1], b[1]) for _, a, b, *_ in segs)  # feet on the ground, pelvis above
        x = x0 + vx * t
        if action == "jump":  # forward only while airborne
            done = math.floor(cyc) - math.floor(phase0) + pose["forward"] - start_fwd
            x = x0 + actor["direction"] * jump_len * scale * done
        oy = ground - scale * (low + pose["air"])
        canvas = big.copy()
        sh = (int(x * _SS * 16), int(ground * _SS * 16))
        shadow = canvas.copy()
        cv2.ellipse(shadow, sh, (int(0.16 * scale * _SS * 16), int(0.025 * scale * _SS * 16)), 0, 0, 360,
                    (0, 0, 0), -1, cv2.LINE_AA, 4)
        canvas = cv2.addWeighted(canvas, 0.7, shadow, 0.3, 0) if pose["air"] < 0.5 else canvas
        before = canvas.copy() if masks else None
        _draw_figure(canvas, segs, actor, yaw, (x, oy), scale)
        if masks:
            drawn = np.any(canvas != before, axis=-1).astype(np.float32)
            sil[i] = cv2.resize(drawn, (w, h), interpolation=cv2.INTER_AREA) > 0.5
        frame = cv2.resize(canvas, (w, h), interpolation=cv2.INTER_AREA)
        frame = cv2.GaussianBlur(frame, (0, 0), blur) + rng.normal(0, noise, frame.shape).astype(np.float32)
        out[i] = np.clip(frame, 0, 255).astype(np.uint8)
    return (out, sil) if masks else out


def make_actor_videos(out_dir, actions=ACTIONS, actors=9, clips_per_actor=1, seed=0, size=(144, 180), fps=25,
                      same_background=True, ext=".mp4", codec=None, progress=None):
    """Write ``out_dir/<action>/actor<i>_<k><ext>`` clips of synthetic actors; returns the manifest.

    The cast (``actors`` people), their backgrounds and every clip come from ``seed``. With
    ``same_background`` all actors share one scene (as in the Weizmann set) under a slightly different
    light; otherwise each actor gets their own scene.

    Args:
        out_dir: folder to write to (created).
        actions: names from ``ACTIONS``.
        actors: number of actors (people), or a list of actor indices.
        clips_per_actor: clips per actor and action.
        seed: the same seed gives the same pixels.
        size: ``(height, width)`` of the clips.
        fps: frame rate (the clips last 1.5-4 s).
        same_background: one scene for everybody.
        ext: file extension (see ``kvideo.io.write_video``); ``codec`` overrides its codec.
        progress: progress bar on stderr (default: when stderr is a terminal).

    Returns:
        A list of dicts ``{"path", "action", "actor", "clip", "frames"}``.

    Example:
        >>> m = make_actor_videos("/tmp/kvideo_actors", actions=("walk", "wave2"), actors=2, size=(48, 60))
        >>> [(r["action"], r["actor"], Path(r["path"]).name) for r in m][:2]
        [('walk', 'actor0', 'actor0_0.mp4'), ('walk', 'actor1', 'actor1_0.mp4')]
    """
    from kvideo.io.writer import write_video

    actions = (actions,) if isinstance(actions, str) else tuple(actions)
    unknown = [a for a in actions if a not in _ACTION_INFO]
    if unknown or not actions or len(set(actions)) != len(actions):
        raise ValueError(f"`actions` must be distinct names from {list(ACTIONS)}. Received: actions={actions!r}")
    ids = list(range(actors)) if isinstance(actors, (int, np.integer)) else [int(i) for i in actors]
    if not ids or int(clips_per_actor) < 1:
        raise ValueError(f"Need >= 1 actor and clip. Received: actors={actors!r}, clips_per_actor={clips_per_actor!r}")
    size = (int(size), int(size)) if isinstance(size, (int, np.integer)) else tuple(int(v) for v in size)
    if min(size) < 24:
        raise ValueError(f"`size` must be at least (24, 24). Received: size={size!r}")
    cast = {i: make_actor(seed, i) for i in ids}
    scenes = {i: make_background(size, seed if same_background else [int(seed), 1 + i]) for i in ids}
    jobs = [(a, i, k) for a in actions for i in ids for k in range(int(clips_per_actor))]
    out, manifest = Path(os.fspath(out_dir)).expanduser(), []
    ext = ext if ext.startswith(".") else "." + ext
    for action, i, k in progress_items(jobs, desc="actor videos", unit="clip", enabled=progress):
        rng = np.random.default_rng([int(seed), zlib.crc32(action.encode()), i, k])
        frames = render_actor_clip(action, cast[i], scenes[i], fps=fps, rng=rng)
        path = write_video(out / action / f"actor{i}_{k}{ext}", frames, fps=float(fps), codec=codec)
        manifest.append({"path": str(path), "action": action, "actor": f"actor{i}", "clip": k,
                         "frames": len(frames)})
    return manifest
