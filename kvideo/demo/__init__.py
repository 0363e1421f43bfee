"""The kvideo Gradio demo (``kvideo demo``): Classify, Faces and Train tabs in the browser.

Gradio is imported only when the app is built (``pip install "kvideo[demo]"``).

Example:
    >>> from kvideo.demo import launch
    >>> launch()            # serves http://127.0.0.1:7860 until Ctrl+C   # doctest: +SKIP
"""

from __future__ import annotations

__all__ = ["build_app", "launch"]


def build_app(*args, **kwargs):
    """Build the demo as a ``gr.Blocks``; see :func:`kvideo.demo.app.build_app`."""
    from kvideo.demo.app import build_app as _build

    return _build(*args, **kwargs)


def launch(*args, **kwargs):
    """Launch the demo; see :func:`kvideo.demo.app.launch`."""
    from kvideo.demo.app import launch as _launch

    return _launch(*args, **kwargs)
