"""The Train tab's layout, as Teachable Machine has it: label cards (record from the webcam -> trim -> keep, or
upload clips / a zip), one Train button (the quick pretrained path, :mod:`kvideo.demo.quick`), the full
architectures under "Advanced", then try the model. The state logic is in :mod:`kvideo.demo.labels` (one
``LabelSet`` per browser session, a ``gr.State``); what training does in :mod:`kvideo.demo.quick` and
:func:`kvideo.demo.handlers.train`.

The ``/train`` API (clips per label as files, or a zip) stays for ``gradio_client``; its inputs are hidden.
"""

from __future__ import annotations

import contextlib

from kvideo.demo import handlers, labels as L
from kvideo.demo.handlers import ModelChoice, StartFrom, TrainRequest
from kvideo.demo.quick import QUICK_FRAMES, QUICK_SIZE, train_quick
from kvideo.utils.formats import ARCHIVE_EXTENSIONS, MODEL_EXTENSIONS, VIDEO_EXTENSIONS

__all__ = ["API_TRAIN_LABELS", "train_tab"]

#: Label rows of the ``/train`` API (``label_1, clips_1, ..., label_4, clips_4``).
API_TRAIN_LABELS = 4


def train_tab(gr, state, session_model, guard):
    """Draw the Train tab; ``session_model`` (a ``gr.State``) receives the trained model's path."""
    labels = gr.State(lambda: L.new_label_set(state.new_dir("labels")), delete_callback=lambda ls: ls.cleanup())
    gr.Markdown("## 1. Give each label a few clips\nRecord with the camera (then trim and **Keep**), or upload "
                "clips. 5 clips per label is plenty to start.")
    cards = [_card(gr, i) for i in range(L.MAX_LABELS)]
    groups, names, counts = ([c[k] for c in cards] for k in ("group", "name", "count"))
    with gr.Row():
        add = gr.Button("+ Add a label", size="sm", elem_id="label-add")
        with gr.Accordion("Upload a zip of <label>/<clip> folders", open=False):
            zip_in = gr.File(label="Zip", file_types=list(ARCHIVE_EXTENSIONS), elem_id="label-zip")
    everything = [labels, *groups, *names, *counts]

    def render(ls):
        views = L.card_views(ls)
        return [ls, *(gr.update(visible=v[0]) for v in views), *(gr.update(value=v[1]) for v in views),
                *(v[2] for v in views)]

    add.click(guard(lambda ls: (L.add_label(ls), render(ls))[1]), [labels], everything, api_visibility="private")
    zip_in.upload(guard(lambda ls, z: (L.add_zip(ls, z), render(ls))[1]), [labels, zip_in], everything,
                  api_visibility="private")
    for i, c in enumerate(cards):
        _wire_card(gr, guard, i, c, labels, everything, render)

    gr.Markdown("## 2. Train")
    train_button = gr.Button("Train", variant="primary", size="lg", elem_id="train-button")
    status = gr.Markdown(elem_id="train-status")
    with gr.Row():
        picture = gr.Image(label="Training", interactive=False, format="png", elem_id="train-picture", height=260)
        model_file = gr.File(label="Trained model (.keras)", interactive=False, elem_id="train-model-file")
    outputs = [status, picture, model_file, session_model]

    def show(updates, session_value):
        for u in updates:
            for warning in u.warnings:
                gr.Warning(warning)
            yield u.message, u.curves, u.model_path, u.model_path or session_value

    @guard
    def quick(ls, session_value, progress=gr.Progress()):
        on_progress = lambda fraction, text: progress(fraction, desc=text)  # noqa: E731
        with contextlib.closing(train_quick(state, ls.training_rows(), on_progress)) as updates:
            yield from show(updates, session_value)

    train_button.click(quick, [labels, session_model], outputs, concurrency_limit=1, concurrency_id="train",
                       api_visibility="private")
    with gr.Accordion(f"Advanced: the quick model sees {QUICK_FRAMES} frames of {QUICK_SIZE} px through a pretrained "
                      "encoder. Train a full architecture from scratch instead (minutes)", open=False):
        _advanced(gr, state, guard, labels, session_model, outputs, show)

    gr.Markdown("## 3. Try it")
    with gr.Row():
        video = gr.Video(label="A video", sources=["upload"], height=240, elem_id="train-try-video")
        label = gr.Label(label="Top labels", num_top_classes=5, elem_id="train-try-label")
    gr.Button("Classify with the trained model", elem_id="train-try-button").click(
        guard(lambda v, s: handlers.classify(state, v, ModelChoice.TRAINED, s).scores), [video, session_model], [label],
        api_visibility="private")
    _api_train(gr, state, guard, session_model)


def _card(gr, i):
    with gr.Group(visible=i < L.START_LABELS, elem_id=f"label-card-{i}") as group:
        with gr.Row(equal_height=True):
            name = gr.Textbox(value=f"Class {i + 1}", label=f"Label {i + 1}", elem_id=f"label-name-{i}", scale=4)
            count = gr.Markdown("**0 clips**", elem_id=f"label-count-{i}")
            remove = gr.Button("Remove label", size="sm", variant="secondary", elem_id=f"label-remove-{i}", scale=1)
        with gr.Row():
            rec = gr.Video(label="Record (or drop one clip)", sources=["webcam", "upload"], include_audio=True,
                           height=220, elem_id=f"label-rec-{i}", scale=3)
            with gr.Column(scale=2):
                with gr.Row():
                    start = gr.Number(0, label="Start (s)", minimum=0, elem_id=f"label-start-{i}")
                    end = gr.Number(0, label="End (s), 0: to the end", minimum=0, elem_id=f"label-end-{i}")
                keep = gr.Button("Keep this clip", variant="primary", elem_id=f"label-keep-{i}")
                files = gr.File(label="Or upload clips", file_count="multiple", file_types=list(VIDEO_EXTENSIONS),
                                elem_id=f"label-files-{i}", height=100)
                clear = gr.Button("Clear clips", size="sm", elem_id=f"label-clear-{i}")
    return {"group": group, "name": name, "count": count, "remove": remove, "rec": rec, "start": start, "end": end,
            "keep": keep, "files": files, "clear": clear}


def _wire_card(gr, guard, i, c, labels, everything, render):
    def count_text(ls):
        return L.card_views(ls)[i][2]

    @guard
    def keep(ls, video, start, end):
        L.keep_recording(ls, i, video, start, end)
        return ls, count_text(ls), None

    @guard
    def upload(ls, files):
        L.add_uploads(ls, i, files)
        return ls, count_text(ls), None

    def rename(ls, name):
        # Only this card's box is redrawn: redrawing all of them would overwrite a name being typed in another.
        try:
            L.rename_label(ls, i, name)
        except ValueError as e:  # keep the old name in the box, say why
            gr.Warning(handlers.one_line(e))
        return ls, L.card_views(ls)[i][1]

    private = {"api_visibility": "private"}
    c["keep"].click(keep, [labels, c["rec"], c["start"], c["end"]], [labels, c["count"], c["rec"]], **private)
    c["files"].upload(upload, [labels, c["files"]], [labels, c["count"], c["files"]], **private)
    c["name"].blur(rename, [labels, c["name"]], [labels, c["name"]], **private)
    c["name"].submit(rename, [labels, c["name"]], [labels, c["name"]], **private)
    c["remove"].click(guard(lambda ls: (L.remove_label(ls, i), render(ls))[1]), [labels], everything, **private)
    c["clear"].click(guard(lambda ls: (L.clear_clips(ls, i), render(ls))[1]), [labels], everything, **private)


def _advanced(gr, state, guard, labels, session_model, outputs, show):
    from kvideo.demo.defaults import DEFAULT_SPEC, TRAIN_ARCH
    from kvideo.presets import architectures as available  # (kvideo.models would import TensorFlow here)

    @guard
    def train_architecture(ls, arch, epochs, start_from, base_model, num_frames, image_size, session_value, progress=gr.Progress()):
        request = TrainRequest(labels=ls.training_rows(), arch=arch, epochs=epochs, start_from=start_from,
                               base_model=base_model, num_frames=num_frames, image_size=image_size)
        on_progress = lambda fraction, text: progress(fraction, desc=text)  # noqa: E731
        with contextlib.closing(handlers.train(state, request, on_progress)) as updates:  # closing cancels the job
            yield from show(updates, session_value)

    gr.Markdown("Order-aware architectures (c3d, convlstm, td_gru, td_lstm, transformer) learn motion direction; "
                "frame_cnn only sees appearance. Curves show loss and accuracy per epoch.")
    with gr.Row():
        arch = gr.Dropdown(list(available()), value=TRAIN_ARCH, label="Architecture", elem_id="adv-arch")
        epochs = gr.Slider(1, handlers.MAX_TRAIN_EPOCHS, value=10, step=1, label="Epochs")
        start = gr.Radio([s.value for s in StartFrom], value=StartFrom.NEW.value, label="Start from")
    with gr.Row():
        base = gr.File(label="Model to fine-tune (.keras)", file_types=list(MODEL_EXTENSIONS))
        frames = gr.Slider(4, 32, value=DEFAULT_SPEC["num_frames"], step=1, label="Frames per clip (new model)")
        size = gr.Slider(32, 160, value=DEFAULT_SPEC["image_size"][0], step=16, label="Image size (new model)")
    gr.Button("Train this architecture", elem_id="adv-train-button").click(
        train_architecture, [labels, arch, epochs, start, base, frames, size, session_model], outputs, concurrency_limit=1,
        concurrency_id="train", api_visibility="private")


def _api_train(gr, state, guard, session_model):
    """The ``/train`` endpoint for ``gradio_client``: clips per label as files and/or a zip (inputs hidden)."""
    from kvideo.demo.defaults import TRAIN_ARCH

    # The parameter names are the /train API's: keep them (and API_TRAIN_LABELS) in step.
    @guard
    def train(zip_file, label_1, clips_1, label_2, clips_2, label_3, clips_3, label_4, clips_4, arch, epochs,
              start_from, base_model, num_frames, image_size, session_model, progress=gr.Progress()):
        rows = ((label_1, clips_1), (label_2, clips_2), (label_3, clips_3), (label_4, clips_4))
        request = TrainRequest(labels=rows, zip_file=zip_file, arch=arch, epochs=epochs, start_from=start_from,
                               base_model=base_model, num_frames=num_frames, image_size=image_size)
        on_progress = lambda fraction, text: progress(fraction, desc=text)  # noqa: E731
        with contextlib.closing(handlers.train(state, request, on_progress)) as updates:
            for u in updates:
                yield u.message, u.curves, u.model_path, u.model_path or session_model

    with gr.Column(visible=False):
        inputs = [gr.File(file_types=list(ARCHIVE_EXTENSIONS))]
        for _ in range(API_TRAIN_LABELS):
            inputs += [gr.Textbox(), gr.File(file_count="multiple", file_types=list(VIDEO_EXTENSIONS))]
        inputs += [gr.Textbox(value=TRAIN_ARCH), gr.Number(10), gr.Textbox(value=StartFrom.NEW.value),
                   gr.File(file_types=list(MODEL_EXTENSIONS)), gr.Number(None), gr.Number(None)]
        outputs = [gr.Markdown(), gr.Image(format="png"), gr.File()]
        button = gr.Button()
    button.click(train, [*inputs, session_model], [*outputs, session_model], api_name="train",
                 api_description="Train (or fine-tune) a video classifier on uploaded clips per label and/or a zip; "
                                 "yields progress; returns the .keras file.",
                 concurrency_limit=1, concurrency_id="train")
