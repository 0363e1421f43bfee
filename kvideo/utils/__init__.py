"""Shared rules of kvideo, one home each.

* :mod:`kvideo.utils.validation`: the size parser and argument checks (the only place that words
  ``Received: name=value``);
* :mod:`kvideo.utils.formats`: the video / image / model / archive extensions;
* :mod:`kvideo.utils.cache_dir`: the cache-folder rule (``$KVIDEO_CACHE_DIR`` or ``~/.cache/kvideo``);
* atomic writes (:mod:`kvideo.utils.files`), optional imports with an install hint
  (:mod:`kvideo.utils.optional`), JSON values (:mod:`kvideo.utils.jsonable`), muting native stderr
  (:mod:`kvideo.utils.native`).
"""

from kvideo.utils.files import atomic_write, atomic_path
from kvideo.utils.optional import require

__all__ = ["atomic_write", "atomic_path", "require"]
