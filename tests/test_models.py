"""kvideo.models: every architecture builds, trains a step, saves and loads (safe_mode) at tiny shapes."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

keras = pytest.importorskip("keras")

import kvideo  # noqa: E402
import kvideo.models as km  # noqa: E402

ARCHS = ["frame_cnn", "td_lstm", "td_gru", "convlstm", "c3d", "transformer"]
T, S = 4, 32


def _clips(n=4, seed=0):
    rng = np.random.default_rng(seed)
    return (rng.random((n, T, S, S, 3)) * 255).astype("float32"), np.arange(n) % 3


def test_available_lists_all_archs_with_descriptions():
    from kvideo.presets import PRETRAINED_ARCHS

    av = km.available()
    assert list(av) == [*PRETRAINED_ARCHS, *ARCHS]  # the pretrained-encoder ones (EmbeddingClassifier) first
    assert all(isinstance(d, str) and 10 < len(d) < 120 for d in av.values())


@pytest.mark.parametrize("arch", ARCHS)
def test_build_train_save_load(arch, tmp_path):
    model = km.build(arch, num_classes=3, num_frames=T, image_size=(S, S))
    assert model.input_shape == (None, T, S, S, 3)
    assert model.output_shape == (None, 3)
    out = model.get_layer("predictions")
    assert out.get_config()["activation"] == "softmax"
    prefixes = ("video", "encoder", "temporal", "head", "neck", "predictions")
    assert all(layer.name.startswith(prefixes) for layer in model.layers), [l.name for l in model.layers]
    assert any(layer.name.startswith("encoder") and layer.weights for layer in model.layers)
    x, y = _clips()
    model.compile(keras.optimizers.Adam(1e-3), "sparse_categorical_crossentropy")
    before = [w.copy() for w in model.get_weights()]
    loss = model.train_on_batch(x, y)
    assert np.isfinite(loss)
    assert any(not np.allclose(a, b) for a, b in zip(before, model.get_weights()))
    p = np.asarray(model(x, training=False))
    np.testing.assert_allclose(p.sum(1), 1.0, rtol=1e-4)
    path = tmp_path / f"{arch}.keras"
    model.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    np.testing.assert_allclose(np.asarray(loaded(x, training=False)), p, atol=1e-5)


def test_frame_cnn_is_order_blind_and_convlstm_is_not():
    x, _ = _clips(2, seed=1)
    rev = x[:, ::-1]
    blind = km.build("frame_cnn", 2, num_frames=T, image_size=(S, S))
    np.testing.assert_allclose(np.asarray(blind(x)), np.asarray(blind(rev)), atol=1e-5)
    for arch in ("convlstm", "td_gru"):
        seeing = km.build(arch, 2, num_frames=T, image_size=(S, S))
        assert not np.allclose(np.asarray(seeing(x)), np.asarray(seeing(rev)), atol=1e-6), arch


def test_input_is_rescaled_inside():
    model = km.build("td_gru", 2, num_frames=T, image_size=(S, S))
    assert model.layers[1].name == "encoder_rescale"


@pytest.mark.parametrize(
    "arch,kwargs,error,tail",
    [
        ("nope", {}, ValueError, "Received: arch='nope'"),
        ("convlstm", {"bogus": 1}, ValueError, "Received: bogus=1"),
        ("td_gru", {"backbone": "vgg99"}, ValueError, "Received: backbone='vgg99'"),
        ("td_gru", {"num_frames": 1}, ValueError, "Received: num_frames=1"),
        ("td_gru", {"image_size": 8}, ValueError, "Received: image_size=8"),
        ("td_gru", {"num_frames": 2.5}, TypeError, "Received: num_frames=2.5"),
        ("td_gru", {"motion": "optical"}, ValueError, "Received: motion='optical'"),
        ("td_gru", {"spatial_pool": "max"}, ValueError, "Received: spatial_pool='max'"),
        ("convlstm", {"spatial_pool": "keypoints"}, ValueError, "Received: spatial_pool='keypoints'"),
        ("frame_cnn", {"temporal_pool": "median"}, ValueError, "Received: temporal_pool='median'"),
        ("frame_cnn", {"pooling": "max", "temporal_pool": "max"}, ValueError, "Received: temporal_pool='max'"),
        ("frame_cnn", {"weights": "imagenet"}, ValueError, "Received: weights='imagenet'"),
    ],
)
def test_bad_arguments_are_one_line_errors_that_name_them(arch, kwargs, error, tail):
    kwargs = {"num_frames": T, "image_size": (S, S), **kwargs}
    with pytest.raises(error) as e:
        km.build(arch, 2, **kwargs)
    assert type(e.value) is error and str(e.value).endswith(tail) and "\n" not in str(e.value)


def test_builders_take_keywords_only_after_num_classes():
    for arch in ARCHS:
        with pytest.raises(TypeError, match="positional"):
            km.get_builder(arch)(2, T)


@pytest.mark.parametrize(
    "arch,old,new,layer",
    [
        ("frame_cnn", {"pooling": "max"}, {"temporal_pool": "max"}, "temporal_max"),
        ("convlstm", {"pooling": "grid"}, {"spatial_pool": "grid"}, "head_flatten"),
        ("c3d", {"pooling": "grid"}, {"spatial_pool": "grid"}, "head_flatten"),
        ("td_gru", {"pool": "keypoints"}, {"spatial_pool": "keypoints"}, "encoder_keypoints"),
        ("td_lstm", {"pool": "grid"}, {"spatial_pool": "grid"}, "encoder_flatten"),
        ("transformer", {"pool": "grid"}, {"spatial_pool": "grid"}, "encoder_flatten"),
    ],
)
def test_old_option_names_build_the_same_model(arch, old, new, layer):
    """Saved models and config files written with ``pool``/``pooling`` still build (one rename table)."""
    assert km.canonical_options(arch, old) == new
    assert set(new) <= set(km.arch_options(arch)) and not set(old) & set(km.arch_options(arch))
    a = km.build(arch, 2, num_frames=T, image_size=(S, S), **old)
    b = km.build(arch, 2, num_frames=T, image_size=(S, S), **new)
    assert [l.name for l in a.layers] == [l.name for l in b.layers] and layer in [l.name for l in a.layers]
    assert a.count_params() == b.count_params()


def test_options_change_the_model():
    small = km.build("td_gru", 2, num_frames=T, image_size=(S, S), units=8)
    big = km.build("td_gru", 2, num_frames=T, image_size=(S, S), units=32)
    assert small.get_layer("temporal_gru").units == 8 and big.count_params() > small.count_params()
    avg = km.build("convlstm", 2, num_frames=T, image_size=(S, S), spatial_pool="avg")
    assert "head_gap" in [l.name for l in avg.layers]


def test_keras_applications_backbone_weights_path_and_reload(tmp_path):
    a = km.build("td_gru", 2, num_frames=T, image_size=(S, S), backbone="MobileNetV3Small", weights=None)
    names = [l.name for l in a.layers]
    assert "encoder_backbone" in names and "neck_reduce" in names
    backbone = a.get_layer("encoder_backbone").layer
    path = tmp_path / "backbone.weights.h5"
    backbone.save_weights(path)
    b = km.build("td_gru", 2, num_frames=T, image_size=(S, S), backbone="mobilenetv3small", weights=str(path))
    for wa, wb in zip(backbone.get_weights(), b.get_layer("encoder_backbone").layer.get_weights()):
        np.testing.assert_array_equal(wa, wb)  # a weights path loads that file
    x, _ = _clips(2)
    p = np.asarray(b(x))
    b.save(tmp_path / "m.keras")
    loaded = keras.saving.load_model(tmp_path / "m.keras", safe_mode=True)
    np.testing.assert_allclose(np.asarray(loaded(x)), p, atol=1e-5)


def test_imagenet_offline_is_one_line_missing_weights_error(monkeypatch, tmp_path):
    from keras.src.utils import file_utils

    def offline(*args, **kwargs):
        raise Exception("URL fetch failure on https://storage.googleapis.com/x/y.h5: None -- no network")

    monkeypatch.setattr(file_utils, "urlretrieve", offline)
    monkeypatch.setattr(file_utils.config, "keras_home", lambda: str(tmp_path))  # empty cache
    with pytest.raises(kvideo.MissingWeightsError) as err:
        km.build("frame_cnn", 2, num_frames=T, image_size=(S, S), backbone="mobilenetv3small", weights="imagenet")
    msg = str(err.value)
    assert "\n" not in msg
    assert "weights_mobilenet_v3_small" in msg and msg.count(".h5") >= 1
    assert ".keras/models" in msg and "Received: weights='imagenet'" in msg
    assert err.value.path.endswith("weights_mobilenet_v3_small_224_1.0_float_no_top_v2.h5"), err.value.path


def test_weights_path_missing_is_clear(tmp_path):
    with pytest.raises(kvideo.MissingWeightsError, match="not found") as e:
        km.build("frame_cnn", 2, num_frames=T, image_size=(S, S), backbone="mobilenetv2",
                 weights=str(tmp_path / "nope.h5"))
    assert e.value.path == str(tmp_path / "nope.h5")


def test_c3d_under_jax_backend(tmp_path):
    pytest.importorskip("jax")
    code = textwrap.dedent(f"""
        import numpy as np, keras
        assert keras.backend.backend() == "jax"
        import kvideo.models as km
        m = km.build("c3d", 3, num_frames={T}, image_size=({S}, {S}))
        m.compile("adam", "sparse_categorical_crossentropy")
        x = np.random.rand(4, {T}, {S}, {S}, 3).astype("float32") * 255
        assert np.isfinite(m.train_on_batch(x, np.array([0, 1, 2, 0])))
        m.save(r"{tmp_path}/j.keras")
        m2 = keras.saving.load_model(r"{tmp_path}/j.keras", safe_mode=True)
        np.testing.assert_allclose(np.asarray(m(x)), np.asarray(m2(x)), atol=1e-5)
        print("JAX-OK")
    """)
    env = dict(os.environ, KERAS_BACKEND="jax")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    assert "JAX-OK" in r.stdout


def _moving_square(direction, fg, bg, T=4, S=32):
    """A square moving `direction` (+1 right, -1 left) by 2 px a frame; colours fg on bg."""
    x = np.full((1, T, S, S, 3), bg, "float32")
    for t in range(T):
        c = 12 + direction * 2 * t
        x[0, t, 10:20, c:c + 8] = fg
    return x


def test_normal_flow_points_along_the_motion_whatever_the_colours():
    from kvideo.models.layers import NormalFlow

    layer = NormalFlow()
    for fg, bg in ((220.0, 30.0), (30.0, 220.0)):  # bright on dark and dark on bright
        right = np.asarray(layer(_moving_square(+1, fg, bg) / 255.0))
        left = np.asarray(layer(_moving_square(-1, fg, bg) / 255.0))
        assert right.shape == (1, 4, 32, 32, 2)
        np.testing.assert_array_equal(right[:, 0], 0.0)  # no motion before the first frame
        assert right[..., 0].sum() > 0 > left[..., 0].sum(), (fg, bg)
        assert abs(right[..., 1].sum()) < 0.1 * right[..., 0].sum()  # horizontal motion only


def test_spatial_softmax_finds_the_peak():
    from kvideo.models.layers import SpatialSoftmax

    x = np.zeros((1, 9, 9, 2), "float32")
    x[0, 0, 8, 0] = 50.0  # channel 0 peaks top-right
    x[0, 8, 0, 1] = 50.0  # channel 1 peaks bottom-left
    out = np.asarray(SpatialSoftmax()(x))[0]  # [x0, x1, y0, y1]
    np.testing.assert_allclose(out, [1.0, -1.0, -1.0, 1.0], atol=1e-3)


@pytest.mark.parametrize("opts", [{"spatial_pool": "keypoints", "motion": "diff"},
                                  {"spatial_pool": "grid", "bottleneck": 4, "motion": "flow_stack", "frame_diff": True}])
def test_encoder_options_build_and_reload(opts, tmp_path):
    model = km.build("td_gru", 3, num_frames=T, image_size=(S, S), **opts)
    names = [l.name for l in model.layers]
    assert ("encoder_keypoints" in names) == (opts["spatial_pool"] == "keypoints")
    assert ("encoder_bottleneck" in names) == bool(opts.get("bottleneck"))
    x, _ = _clips()
    p = np.asarray(model(x, training=False))
    model.save(tmp_path / "m.keras")
    loaded = keras.saving.load_model(tmp_path / "m.keras", safe_mode=True)
    np.testing.assert_allclose(np.asarray(loaded(x, training=False)), p, atol=1e-5)


def test_sequence_models_default_to_flow_and_average_pool():
    for arch in ("td_gru", "td_lstm", "transformer"):
        names = [l.name for l in km.build(arch, 2, num_frames=T, image_size=(S, S)).layers]
        assert "encoder_motion" in names and "encoder_gap" in names, arch
