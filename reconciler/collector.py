"""Bulk work without the cyclic garbage collector scanning it as it grows.

Loading the state and building a plan each make objects by the million and no
reference cycles worth collecting. With the collector running, its repeated
scans of the growing heap cost more than the work itself (at 200,000 items, a
third of planning's CPU and most of loading's).
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause the collector for the block, then settle what it made.

    Left young, everything made would be scanned by the first collection after
    the pause; it is frozen instead, as the command line freezes what it imports.
    Where nothing was frozen before, it is unfrozen at once, which moves it to the
    oldest generation unscanned and leaves it collectable as before.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            frozen_before = gc.get_freeze_count() > 0
            gc.freeze()
            if not frozen_before:
                gc.unfreeze()
            gc.enable()
