"""The kvideo Gradio demo: Classify, Faces and Train tabs in the browser. Layout and wiring only: what each
button does is in :mod:`kvideo.demo.handlers` (plain functions), background training in
:mod:`kvideo.demo.training`, the model the demo serves in :mod:`kvideo.demo.defaults`.

API endpoints (for ``gradio_client``): ``/classify`` (a video file), ``/verify`` (two photos), ``/enroll`` (a name and
photos), ``/identify`` (a photo or a video), ``/train`` (clips per label or a zip of ``<label>/<clip>``), ``/status``
(the status line: "Loading ..." while the models load in the background, then "Ready ...").

Example:
    >>> from kvideo.demo import build_app, launch
    >>> app = build_app()                                  # doctest: +SKIP
    >>> app, url = launch(app, port=7860, block=False)     # doctest: +SKIP

Safe by default: it binds 127.0.0.1, sends no analytics, limits upload size and types, extracts zips without
letting entries escape, deletes its temporary files, and runs requests through a queue with a concurrency limit.
"""

from __future__ import annotations

import functools
import inspect
import logging
import os
import sys
import time
import traceback
from pathlib import Path

from kvideo.demo import handlers
from kvideo.demo.app_faces import faces_tab
from kvideo.demo.app_live import export_section, live_tab
from kvideo.demo.app_train import train_tab
from kvideo.demo.handlers import ModelChoice
from kvideo.demo.state import DemoState
from kvideo.errors import KVideoError

log = logging.getLogger("kvideo.demo")

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 7860
DEFAULT_MAX_FILE_SIZE = "200mb"
#: Requests of one kind that run at the same time (the rest wait in the queue).
DEFAULT_CONCURRENCY = 2
#: Requests that may wait in the queue before new ones are turned away.
QUEUE_MAX_SIZE = 64
FONT_STACK = ["ui-sans-serif", "system-ui", "-apple-system", "Segoe UI", "Roboto", "sans-serif"]
MONO_STACK = ["ui-monospace", "SFMono-Regular", "Menlo", "Consolas", "monospace"]
#: Errors whose message is meant for the user (bad input, missing file or package); others are logged as bugs.
USER_ERRORS = (KVideoError, ValueError, TypeError, FileNotFoundError, ImportError)


def _gradio():
    """Import gradio with analytics off (the variable must be set before the import)."""
    os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
    from kvideo.utils.optional import require

    return require("gradio", "the demo")


def _guard(fn):
    """Show any exception of a handler as a one-line gr.Error in the page; the server keeps running."""

    def convert(e):
        gr = _gradio()
        if isinstance(e, gr.Error):
            return e
        if isinstance(e, USER_ERRORS):
            return gr.Error(handlers.one_line(e), print_exception=False)
        log.error("demo handler %s failed:\n%s", fn.__name__, traceback.format_exc())
        return gr.Error(f"Something went wrong: {handlers.one_line(e)}", print_exception=False)

    if inspect.isgeneratorfunction(fn):

        @functools.wraps(fn)
        def gen_wrapper(*args, **kwargs):
            try:
                yield from fn(*args, **kwargs)
            except Exception as e:  # noqa: BLE001
                raise convert(e) from None

        return gen_wrapper

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except Exception as e:  # noqa: BLE001
            raise convert(e) from None

    return wrapper


def build_app(
    model=None,
    faces_db=None,
    *,
    samples=True,
    workdir=None,
    max_file_size=DEFAULT_MAX_FILE_SIZE,
    concurrency_limit=DEFAULT_CONCURRENCY,
    title="kvideo demo",
    background=True,
):
    """Build the demo as a ``gr.Blocks`` (not launched).

    Args:
        model: a ``VideoClassifier``, a path to a ``.keras`` file saved by it, or None for the built-in default
            (see :func:`kvideo.demo.defaults.load_model`).
        faces_db: a face gallery made by ``kvideo faces enroll`` / ``FaceGallery.create``; None starts an empty
            one that the Faces tab fills.
        samples: offer sample clips to try (made once into the cache).
        workdir: where uploads are assembled and trained models saved (a temporary folder by default, removed at exit).
        max_file_size: upload limit (e.g. "200mb"), applied by ``launch``.
        concurrency_limit: requests of each kind served at the same time; the rest wait in the queue.
        background: load the models (TensorFlow, DeepFace) in a background thread while the page is already
            served, with a status line in the page; a request that needs a model waits for it. False: load
            the classifier before returning.

    Example:
        >>> app = build_app("model.keras")     # doctest: +SKIP
        >>> launch(app, port=7860)             # doctest: +SKIP
    """
    gr = _gradio()
    state = DemoState(model=model, faces_db=faces_db, workdir=workdir, samples=samples, background=background)
    with gr.Blocks(title=title, analytics_enabled=False, delete_cache=(3600, 3600)) as app:
        session_model = gr.State(None)  # the path of the model trained in this browser session
        gr.Markdown("# kvideo demo\nClassify videos, find faces, and train a video classifier on your own labels.")
        _status_line(gr, app, state)
        with gr.Tab("Classify", id="classify"):
            _classify_tab(gr, state, session_model)
        with gr.Tab("Faces", id="faces"):
            app.unload(faces_tab(gr, state, faces_db, _guard))
        with gr.Tab("Train", id="train"):
            train_tab(gr, state, session_model, _guard)
            export_section(gr, state, session_model, _guard)
        with gr.Tab("Live", id="live"):
            live_tab(gr, state, session_model, _guard)
    app.queue(max_size=QUEUE_MAX_SIZE, default_concurrency_limit=concurrency_limit)
    app.kvideo_state = state
    app.kvideo_max_file_size = max_file_size
    return app


def _status_line(gr, app, state):
    """"Loading the model... / Ready" under the title, refreshed every second until everything is loaded."""

    def status():
        text = state.status()
        if state.loader.ready and state.loader.error("model") is None:
            text += f" Built-in motion model: **{', '.join(state.classifier.class_names)}** ({state.model_source})."
        return text

    def tick():
        return status(), gr.Timer(active=not state.loader.ready)

    line = gr.Markdown(status(), elem_id="demo-status")
    timer = gr.Timer(1.0, active=not state.loader.ready)
    timer.tick(tick, outputs=[line, timer], queue=False, show_progress="hidden", api_visibility="private")
    app.load(status, outputs=[line], queue=False, show_progress="hidden", api_name="status",
             api_description="The demo's status line: 'Loading ...' while its models load, then 'Ready ...'.")


def _classify_tab(gr, state, session_model):
    @_guard
    def classify(video, model_choice, session_model):
        r = handlers.classify(state, video, model_choice or ModelChoice.BUILT_IN, session_model)
        return r.scores, r.timeline, r.strip, r.info

    with gr.Row():
        with gr.Column():
            video = gr.Video(label="Video", sources=["upload"], elem_id="classify-video", height=280)
            choice = gr.Radio([c.value for c in ModelChoice], value=ModelChoice.IMAGENET.value, label="Model",
                              elem_id="classify-model")
            button = gr.Button("Classify", variant="primary", elem_id="classify-button")
            if state.samples:
                gr.Examples([[p] for p in state.samples], inputs=[video], label="Sample clips (the long one gets a timeline)",
                            example_labels=[_sample_label(p) for p in state.samples])
        with gr.Column():
            label = gr.Label(label="Top labels", num_top_classes=5, elem_id="classify-label")
            info = gr.Markdown(elem_id="classify-info")
            strip = gr.Image(label="Frames the model saw", interactive=False, format="png")
            timeline = gr.Image(label="Timeline: label per window, bar height = score (videos of 4 s or more)",
                                interactive=False, format="png")
    button.click(
        classify, inputs=[video, choice, session_model], outputs=[label, timeline, strip, info], api_name="classify",
        api_description="Classify a video: top labels with scores, a timeline for long videos, the frames the model saw.",
    )


def _sample_label(path):
    stem = Path(path).stem
    return "10 s: five motions" if stem.startswith("long") else stem.rsplit("_", 1)[0]


def launch(app=None, *, host=DEFAULT_HOST, port=DEFAULT_PORT, max_file_size=None, block=True, quiet=False, **build_kwargs):
    """Launch the demo on ``http://host:port`` (127.0.0.1 by default; no share links); returns ``(app, url)``.

    With ``block=True`` it serves until Ctrl+C, then closes the server. ``app=None`` builds one with
    ``build_app(**build_kwargs)`` (``model=``, ``faces_db=``, ``samples=``, ...); ``port=0`` picks a free port.

    Example:
        >>> app, url = launch(port=0, block=False)   # doctest: +SKIP
        >>> app.close()                               # doctest: +SKIP
    """
    gr = _gradio()
    if app is None:
        app = build_app(**build_kwargs)
    state = app.kvideo_state
    allowed = [str(Path(state.samples[0]).resolve().parent.parent)] if state.samples else []
    _, local_url, _ = app.launch(
        server_name=host,
        server_port=int(port) if port else _free_port(host),
        share=False,
        prevent_thread_lock=True,
        quiet=True,
        show_error=True,
        max_file_size=max_file_size or app.kvideo_max_file_size,
        allowed_paths=allowed,
        ssr_mode=False,
        theme=gr.themes.Default(font=FONT_STACK, font_mono=MONO_STACK),  # system fonts: no request leaves the machine
        mcp_server=False,
        pwa=False,
        run_history=False,  # nothing recorded in the browser, no offer to upload runs anywhere
        footer_links=["api", "settings"],
    )
    url = local_url.rstrip("/") + "/"
    if not quiet:
        print(f"kvideo demo: serving on {url}  (Ctrl+C to stop)", file=sys.stderr, flush=True)
    state.loader.start()  # the page is served: now load the models in the background (no-op when loaded)
    if block:
        try:
            while True:
                time.sleep(0.5)
        except KeyboardInterrupt:
            pass
        finally:
            app.close()
    return app, url


def _free_port(host=DEFAULT_HOST) -> int:
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]
