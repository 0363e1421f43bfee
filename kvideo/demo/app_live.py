"""The demo's Live tab (webcam stream -> confidence bars) and the Train tab's Export section (Gradio layout;
the logic is in :mod:`kvideo.demo.live` and :mod:`kvideo.demo.export`)."""

from kvideo.demo import handlers
from kvideo.demo.export import EXPORT_FORMATS, export_model
from kvideo.demo.handlers import ModelChoice
from kvideo.demo.live import DEFAULT_MIN_INTERVAL, DEFAULT_WINDOW, LivePreview, RecentPreviews, classifier_predict

__all__ = ["export_section", "live_tab"]

#: Seconds between two frames the browser sends (the preview throttles predictions on its own).
STREAM_EVERY = 0.1


def live_tab(gr, state, session_model, guard):
    previews = RecentPreviews()  # one ring buffer per browser session and model, the recent ones

    def make(choice, session_model):
        clf = handlers.pick_classifier(state, choice or ModelChoice.IMAGENET, session_model)
        return LivePreview(classifier_predict(clf, lock=state.model_lock), window=min(DEFAULT_WINDOW, 2 * clf.num_frames),
                           min_interval=DEFAULT_MIN_INTERVAL)

    @guard
    def step(frame, choice, session_model, request: gr.Request):
        key = (getattr(request, "session_hash", None), choice, session_model)
        preview = previews.get(key, lambda: make(choice, session_model))
        scores = preview.step(frame)
        status = f"{preview.predictions} predictions, {preview.dropped} frames dropped while busy"
        return (scores or {}), status

    gr.Markdown("Point the camera at something: the bars show what the model sees in the last "
                f"{DEFAULT_WINDOW} frames, updated a few times per second.")
    with gr.Row():
        with gr.Column():
            cam = gr.Image(sources=["webcam"], streaming=True, type="numpy", label="Camera", elem_id="live-camera",
                           height=320)
            choice = gr.Radio([c.value for c in ModelChoice], value=ModelChoice.IMAGENET.value, label="Model",
                              elem_id="live-model")
        with gr.Column():
            label = gr.Label(label="Live", num_top_classes=5, elem_id="live-label")
            status = gr.Markdown(elem_id="live-status")
    cam.stream(step, inputs=[cam, choice, session_model], outputs=[label, status], stream_every=STREAM_EVERY,
               concurrency_limit=2, api_visibility="private")


def export_section(gr, state, session_model, guard):
    @guard
    def export(fmt, session_model):
        model = state.trained_model(session_model) if session_model else None
        result = export_model(model, fmt, state.new_dir("export"))
        return str(result.path), result.snippet

    gr.Markdown("### Export")
    with gr.Row():
        fmt = gr.Dropdown(list(EXPORT_FORMATS), value=EXPORT_FORMATS[0], label="Format", elem_id="export-format")
        button = gr.Button("Export the trained model", variant="primary", elem_id="export-button")
    with gr.Row():
        out = gr.File(label="Exported model", interactive=False, elem_id="export-file")
        snippet = gr.Code(label="Use it in Python", language="python", elem_id="export-snippet")
    button.click(export, inputs=[fmt, session_model], outputs=[out, snippet], api_name="export",
                 api_description="Export the model trained in this session; returns the file and a Python snippet.")
