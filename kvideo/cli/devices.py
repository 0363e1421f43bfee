"""``--backend`` and ``--mixed-precision`` for training commands (the work is in ``kvideo.utils.devices``)."""

from __future__ import annotations

import sys

_BACKENDS = ("tensorflow", "jax", "torch")  # = kvideo.utils.devices.BACKENDS (kept import-free)


def add_device_flags(p):
    p.add_argument("--backend", choices=_BACKENDS, default=None,
                   help="Keras backend (default: $KERAS_BACKEND, else tensorflow)")
    p.add_argument("--mixed-precision", action="store_true",
                   help="mixed precision: bfloat16 on CPU, float16 on GPU (the softmax stays float32)")


def apply_device_flags(args):
    """Set the dtype policy; returns the one line naming the backend, devices and precision (for
    :func:`announce`, once the command's arguments are checked, so an argument error stays one line)."""
    from kvideo.utils.devices import describe, set_mixed_precision, use_all_devices

    set_mixed_precision(bool(getattr(args, "mixed_precision", False)))
    return describe(parallel=use_all_devices())


def announce(line):
    print(line, file=sys.stderr)
