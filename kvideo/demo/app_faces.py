"""The demo's Faces tab (Gradio layout; the logic is in :mod:`kvideo.demo.handlers` and
:mod:`kvideo.demo.faces_live`): same person? (photos or webcam snapshots), enroll (photos or a snapshot),
who appears when in a photo or video, and who is in front of the camera, live."""

from kvideo.demo import handlers
from kvideo.demo.faces_live import DEFAULT_MIN_INTERVAL, FaceSessions, live_faces_for
from kvideo.demo.handlers import APPEARANCE_COLUMNS
from kvideo.demo.uploads import file_list
from kvideo.utils.formats import IMAGE_EXTENSIONS, VIDEO_EXTENSIONS

__all__ = ["faces_tab"]

#: Seconds between two frames the browser sends (the live section throttles its looks on its own).
STREAM_EVERY = 0.2
#: Photos may come from a file, the clipboard or the webcam (saved as PNG for the handlers).
PHOTO_SOURCES = ["upload", "webcam", "clipboard"]


def faces_tab(gr, state, faces_db, guard):
    """Lay out the Faces tab; returns ``end_session(request)`` for ``Blocks.unload`` (frees the live state)."""
    _verify_section(gr, guard)
    _gallery_section(gr, state, faces_db, guard)
    return _live_section(gr, state, guard)


def _verify_section(gr, guard):
    @guard
    def verify(img1, img2):
        r = handlers.verify(img1, img2)
        return r.message, *r.annotated

    gr.Markdown("### Same person?")
    with gr.Row():
        img1 = gr.Image(label="Photo 1 (upload or webcam)", type="filepath", sources=PHOTO_SOURCES, format="png",
                        height=260, elem_id="verify-photo-1")
        img2 = gr.Image(label="Photo 2 (upload or webcam)", type="filepath", sources=PHOTO_SOURCES, format="png",
                        height=260, elem_id="verify-photo-2")
    button = gr.Button("Verify", variant="primary", elem_id="verify-button")
    md = gr.Markdown(elem_id="verify-result")
    with gr.Row():
        out1 = gr.Image(label="Photo 1 (face found)", interactive=False)
        out2 = gr.Image(label="Photo 2 (face found)", interactive=False)
    button.click(verify, inputs=[img1, img2], outputs=[md, out1, out2], api_name="verify",
                 api_description="Are the faces in two photos the same person? Distance, threshold and boxes.")


def _gallery_section(gr, state, faces_db, guard):
    import pandas as pd

    @guard
    def enroll(name, photos, snapshot=None):
        r = handlers.enroll(state, name, file_list(photos) + file_list(snapshot))
        if r.skipped:
            gr.Warning(f"{len(r.skipped)} photo(s) skipped: {'; '.join(r.skipped)}"[:400])
        return r.message

    @guard
    def identify(media):
        r = handlers.identify(state, media)
        return r.message, pd.DataFrame(r.rows, columns=list(APPEARANCE_COLUMNS)), r.chart, r.image, r.video

    gr.Markdown("### Gallery: who appears when")
    gr.Markdown(f"Gallery: `{faces_db}` (photos enrolled here are added to it)." if faces_db else
                "Gallery: a fresh one for this demo (start with `--faces-db DB` to use yours).")
    with gr.Row():
        with gr.Column():
            name = gr.Textbox(label="Name", placeholder="e.g. alice", elem_id="enroll-name")
            photos = gr.File(label="Photos of this person", file_count="multiple", file_types=list(IMAGE_EXTENSIONS))
            snapshot = gr.Image(label="... or a webcam snapshot", type="filepath", sources=["webcam", "upload"],
                                format="png", height=220, elem_id="enroll-snapshot")
            enroll_button = gr.Button("Enroll", elem_id="enroll-button")
            enroll_md = gr.Markdown(elem_id="enroll-result")
        with gr.Column():
            media = gr.File(label="Photo or video to search", file_types=list(IMAGE_EXTENSIONS + VIDEO_EXTENSIONS))
            identify_button = gr.Button("Identify", variant="primary")
    md = gr.Markdown()
    table = gr.Dataframe(headers=list(APPEARANCE_COLUMNS), label="Appearances", interactive=False)
    with gr.Row():
        chart = gr.Image(label="Timeline", interactive=False, format="png")
        image = gr.Image(label="Annotated photo", interactive=False)
        video = gr.Video(label="Annotated video", interactive=False)
    enroll_button.click(enroll, inputs=[name, photos, snapshot], outputs=[enroll_md], api_name="enroll",
                        api_description="Add photos (and/or a webcam snapshot) of one person to the face gallery.")
    identify_button.click(identify, inputs=[media], outputs=[md, table, chart, image, video], api_name="identify",
                          api_description="Who appears in a photo or a video, and when; annotated photo or video.")


def _live_section(gr, state, guard):
    sessions = FaceSessions(lambda: live_faces_for(state))

    @guard
    def who(frame, request: gr.Request):
        if state.loading("faces"):  # do not hold a stream event while DeepFace loads
            return "### Loading the face models...", state.status()
        r = sessions.get(_session_key(request)).step(frame)
        return r.message, r.status

    def end_session(request: gr.Request):
        sessions.end(_session_key(request))

    gr.Markdown("### Who is in front of the camera\nStart the camera: the names of the people it sees, against the "
                f"gallery above (a look every {DEFAULT_MIN_INTERVAL:g} s at most; \"unknown\" for strangers).")
    with gr.Row():
        with gr.Column():
            cam = gr.Image(sources=["webcam"], streaming=True, type="numpy", label="Camera", height=320,
                           elem_id="faces-live-camera")
        with gr.Column():
            names = gr.Markdown(elem_id="faces-live-names")
            status = gr.Markdown(elem_id="faces-live-status")
    cam.stream(who, inputs=[cam], outputs=[names, status], stream_every=STREAM_EVERY, concurrency_limit=2,
               show_progress="hidden", api_visibility="private")
    end_session.sessions = sessions  # for tests and introspection
    return end_session


def _session_key(request):
    return getattr(request, "session_hash", None)
