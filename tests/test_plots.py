"""kvideo.plots: the one set of charts (task, CLI, demo). Figures carry the right axes, labels and data; files
are valid; drawing from several threads gives the same pixels as drawing alone."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from kvideo import plots

HISTORY = {"loss": [1.0, 0.6, 0.4], "val_loss": [1.1, 0.8, 0.7], "accuracy": [0.4, 0.7, 0.9],
           "val_accuracy": [0.3, 0.6, 0.8], "learning_rate": [0.001, 0.001, 0.0005]}
SEGMENTS = [{"start": 0.0, "end": 2.0, "label": "wave", "score": 0.9},
            {"start": 2.0, "end": 4.0, "label": "clap", "score": 0.6},
            {"start": 4.0, "end": 6.0, "label": "wave", "score": 0.8}]


def _lines(ax):
    return {line.get_label(): (line.get_xdata().tolist(), line.get_ydata().tolist(), line.get_linestyle())
            for line in ax.get_lines()}


def test_history_figure_panels_curves_and_integer_epochs():
    fig = plots.history_figure(HISTORY, title="c3d: training history")
    loss_ax, acc_ax = fig.axes
    assert (loss_ax.get_title(), acc_ax.get_title()) == ("loss", "accuracy")
    assert loss_ax.get_xlabel() == acc_ax.get_xlabel() == "epoch"
    assert fig.get_suptitle() == "c3d: training history"
    assert _lines(loss_ax) == {"loss": ([1, 2, 3], [1.0, 0.6, 0.4], "-"), "val_loss": ([1, 2, 3], [1.1, 0.8, 0.7], "--")}
    assert _lines(acc_ax) == {"accuracy": ([1, 2, 3], [0.4, 0.7, 0.9], "-"),
                              "val_accuracy": ([1, 2, 3], [0.3, 0.6, 0.8], "--")}  # learning_rate is not drawn
    plots.figure_to_array(fig)  # ticks are computed at draw time
    ticks = [t for t in loss_ax.get_xticks() if 1 <= t <= 3]
    assert ticks == [1.0, 2.0, 3.0]
    assert acc_ax.get_ylim() == (-0.02, 1.02)


@pytest.mark.parametrize("history", [{}, None, {"loss": []}, {"note": "text"}])
def test_history_figure_without_history_is_an_error(history):
    with pytest.raises(ValueError, match="No training history to plot.*Received: history="):
        plots.history_figure(history)


def test_confusion_figure_counts_and_shares():
    fig = plots.confusion_figure([[3, 1], [0, 4]], ["left", "right"], title="accuracy 0.875")
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.texts] == ["3", "1", "0", "4"]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["left", "right"]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["left", "right"]
    assert (ax.get_xlabel(), ax.get_ylabel(), ax.get_title()) == ("predicted", "true", "accuracy 0.875")
    assert ax.images[0].get_array().tolist() == [[3.0, 1.0], [0.0, 4.0]]
    assert len(fig.axes) == 2  # the matrix and its colour bar
    norm = plots.confusion_figure([[3, 1], [0, 0]], ["a", "b"], normalize=True).axes[0]
    assert [t.get_text() for t in norm.texts] == ["0.75", "0.25", "0.00", "0.00"]  # an empty row stays 0


@pytest.mark.parametrize("matrix, names", [([[1, 2], [3, 4]], ["a"]), ([1, 2], ["a", "b"]), ([[1, 2, 3]], ["a"])])
def test_confusion_figure_shape_mismatch(matrix, names):
    with pytest.raises(ValueError, match="Received: matrix.shape="):
        plots.confusion_figure(matrix, names)


def test_timeline_figure_bars_colours_legend():
    fig = plots.timeline_figure(SEGMENTS, duration=6.0, class_names=["clap", "wave"], title="3 windows")
    ax = fig.axes[0]
    bars = ax.patches
    assert [(p.get_x(), p.get_width(), round(float(p.get_height()), 3)) for p in bars] == [
        (0.0, 2.0, 0.9), (2.0, 2.0, 0.6), (4.0, 2.0, 0.8)]
    assert bars[0].get_facecolor() == bars[2].get_facecolor() != bars[1].get_facecolor()
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["wave", "clap"]
    assert ax.get_xlim() == (0.0, 6.0) and ax.get_ylim() == (0.0, 1.2)
    assert (ax.get_xlabel(), ax.get_ylabel(), ax.get_title(loc="right")) == ("seconds", "score", "3 windows")
    span = plots.timeline_figure(SEGMENTS[1:]).axes[0]
    assert span.get_xlim() == (2.0, 6.0)  # no duration: the windows' span
    assert plots.timeline_figure([]).axes[0].get_legend() is None


def test_appearances_figure_rows():
    fig = plots.appearances_figure([{"identity": "ana", "start": 0, "end": 1.5}, {"identity": None, "start": 2, "end": 2},
                                    {"identity": "ana", "start": 3, "end": 4}], duration=5)
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["ana", "unknown"]
    assert [(p.get_x(), round(p.get_width(), 2), round(p.get_y() + p.get_height() / 2, 2)) for p in ax.patches] == [
        (0.0, 1.5, 0.0), (2.0, 0.04, 1.0), (3.0, 1.0, 0.0)]
    assert ax.get_xlim() == (0.0, 5.0) and ax.get_title() == "Who appears when"
    assert plots.appearances_figure([]).axes[0].get_title() == "Who appears when: no faces found"


def test_save_figure_formats_and_atomic(tmp_path):
    import cv2

    fig = plots.history_figure(HISTORY)
    png = plots.save_figure(fig, tmp_path / "sub" / "history.png")
    assert png == tmp_path / "sub" / "history.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    img = cv2.imread(str(png))
    assert img.shape == (300, 800, 3) and img.std() > 0  # 8x3 inches at 100 dpi
    assert plots.save_figure(fig, tmp_path / "h.svg").read_text()[:5] == "<?xml"
    assert plots.save_figure(fig, tmp_path / "h.PDF").read_bytes()[:5] == b"%PDF-"
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["h.PDF", "h.svg", "history.png", "sub"]  # no temp files


@pytest.mark.parametrize("name", ["chart.jpg", "chart", "chart.png.txt"])
def test_save_figure_bad_suffix(tmp_path, name):
    with pytest.raises(ValueError, match=r"\.png, \.svg, \.pdf.*Received: path="):
        plots.save_figure(plots.new_figure(), tmp_path / name)
    assert list(tmp_path.iterdir()) == []


def test_figures_are_thread_safe():
    def draw(i):
        if i % 3 == 0:
            return plots.figure_to_array(plots.history_figure(HISTORY, title=f"run {i % 2}"))
        if i % 3 == 1:
            return plots.figure_to_array(plots.timeline_figure(SEGMENTS, duration=6))
        return plots.figure_to_array(plots.confusion_figure([[5, 1], [2, 7]], ["a", "b"]))

    alone = [draw(i) for i in range(6)]
    with ThreadPoolExecutor(6) as pool:
        together = list(pool.map(draw, list(range(6)) * 3))
    for i, arr in enumerate(together):
        assert arr.dtype == np.uint8 and arr.shape[2] == 3
        np.testing.assert_array_equal(arr, alone[i % 6])


def test_frame_strip_and_boxes():
    frames = np.random.default_rng(0).integers(0, 255, (12, 32, 40, 3), dtype=np.uint8)
    strip = plots.frame_strip(frames, max_frames=6, height=64)
    assert strip.shape == (64, 6 * 80 + 5 * 4, 3) and strip.dtype == np.uint8
    assert (strip[:, 80:84] == 255).all()  # the white gap after the first tile
    with pytest.raises(ValueError, match=r"Received: shape=\(32, 40, 3\)"):
        plots.frame_strip(frames[0])
    blank = np.zeros((60, 60, 3), np.uint8)
    boxed = plots.draw_boxes(blank, [[10, 30, 20, 20], None, [40, 40, 10, 10]], ["ana", "x", "unknown"])
    assert boxed[50, 20].tolist() == list(plots.KNOWN_COLOR)  # bottom edge of the first box
    assert boxed[50, 45].tolist() == list(plots.UNKNOWN_COLOR)
    assert not blank.any()  # the input is not drawn on
