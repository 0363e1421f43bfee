"""Progress bars: one rule for when to show one and where it goes (stderr, so ``--json`` stdout stays clean)."""

from __future__ import annotations

import sys


def progress(items, *, desc, unit="it", enabled=None, total=None, min_items=20):
    """Iterate over ``items`` with a tqdm bar on stderr when ``enabled``.

    ``enabled=None`` shows one when stderr is a terminal and there are more than ``min_items`` items.

    Example:
        >>> list(progress([1, 2, 3], desc="demo", enabled=False))
        [1, 2, 3]
    """
    total = len(items) if total is None and hasattr(items, "__len__") else total
    if enabled is None:
        enabled = sys.stderr.isatty() and (total or 0) > min_items
    if not enabled:
        yield from items
        return
    from tqdm.auto import tqdm

    with tqdm(items, total=total, desc=desc, unit=unit, file=sys.stderr) as bar:
        yield from bar
