"""Tests of vaebook.data: shapes, ranges, determinism, splits, and downloads without network."""

import gzip
import hashlib
import socket
import time
import urllib.request

import numpy as np
import pytest

from vaebook import data

# ------------------------------------------------------------------ digits


def test_digits_arrays():
    x, y = data.load_dataset("digits", "train")
    xt, yt = data.load_dataset("digits", "test")
    assert x.shape == (1438, 8, 8) and xt.shape == (359, 8, 8)
    assert x.dtype == np.float32 and xt.dtype == np.float32
    assert y.dtype == np.int64 and y.shape == (1438,) and yt.shape == (359,)
    assert x.min() == 0.0 and x.max() == 1.0  # 0..16 scaled to [0, 1], not to [0, 16/17]
    assert set(np.unique(y)) == set(range(10)) == set(np.unique(yt))


def test_digits_split_is_a_stratified_partition():
    from sklearn.datasets import load_digits

    x, y = data.load_dataset("digits", "train")
    xt, yt = data.load_dataset("digits", "test")
    full = (load_digits().images / 16.0).astype(np.float32).reshape(-1, 64)
    # Train and test together are the whole data set, each example exactly once.
    both = np.concatenate([x.reshape(-1, 64), xt.reshape(-1, 64)])
    assert len(both) == len(full)
    assert np.array_equal(np.unique(both, axis=0), np.unique(full, axis=0))
    train_rows = {row.tobytes() for row in x.reshape(-1, 64)}
    assert not any(row.tobytes() in train_rows for row in xt.reshape(-1, 64))
    # About 20 % of every class is held out.
    fraction = np.bincount(yt, minlength=10) / (np.bincount(y, minlength=10) + np.bincount(yt))
    assert np.all(np.abs(fraction - 0.2) < 0.01)


def test_digits_seed_orders_and_n_takes_a_prefix():
    x0, y0 = data.load_dataset("digits", seed=0)
    x0b, y0b = data.load_dataset("digits", seed=0)
    x1, y1 = data.load_dataset("digits", seed=1)
    assert np.array_equal(x0, x0b) and np.array_equal(y0, y0b)
    assert not np.array_equal(y0, y1)  # another order...
    assert np.array_equal(np.sort(y0), np.sort(y1))  # ...of the same examples
    xs, ys = data.load_dataset("digits", n=50, seed=1)
    assert xs.shape == (50, 8, 8)
    assert np.array_equal(xs, x1[:50]) and np.array_equal(ys, y1[:50])


# ------------------------------------------------------------------ shapes


def test_shapes_arrays_and_factor_ranges():
    x, f = data.load_dataset("shapes", "train")
    xt, ft = data.load_dataset("shapes", "test")
    assert x.shape == (6000, 28, 28) and xt.shape == (1000, 28, 28)
    assert x.dtype == np.float32
    assert set(np.unique(x)) == {0.0, 1.0}
    assert isinstance(f, dict) and set(f) == {"shape", "scale", "rotation", "x", "y"}
    assert all(v.shape == (6000,) for v in f.values())
    assert f["shape"].dtype == np.int64 and set(np.unique(f["shape"])) == {0, 1, 2}
    assert np.all(np.bincount(f["shape"]) > 1800)  # roughly balanced classes
    assert 0.5 <= f["scale"].min() and f["scale"].max() <= 1.0
    assert 0.0 <= f["rotation"].min() and f["rotation"].max() < 2 * np.pi
    for k in ("x", "y"):
        assert 0.0 <= f[k].min() and f[k].max() <= 1.0
        assert f[k].dtype == np.float32
    assert not np.array_equal(x[:1000], xt)  # train and test are different draws


def test_shapes_stay_inside_the_frame():
    x, f = data.load_dataset("shapes", n=3000)
    border = np.concatenate([x[:, 0], x[:, -1], x[:, :, 0], x[:, :, -1]], axis=1)
    assert border.max() == 0.0
    assert x.sum(axis=(1, 2)).min() >= 20  # every shape is big enough to see
    # Every lit pixel centre lies in the shape's circumscribed disc.
    centre_x = 10 + 8 * f["x"]
    centre_y = 10 + 8 * f["y"]
    rows, cols = np.meshgrid(np.arange(28) + 0.5, np.arange(28) + 0.5, indexing="ij")
    dist = np.hypot(cols - centre_x[:, None, None], rows - centre_y[:, None, None])
    radius = 9 * f["scale"][:, None, None]
    assert np.all((dist <= radius + 1e-4) | (x == 0))


def test_shapes_areas_match_the_geometry():
    # Unit areas of the three shapes inscribed in the unit disc.
    x, f = data.load_dataset("shapes", n=3000)
    per_r2 = x.sum(axis=(1, 2)) / (9.0 * f["scale"]) ** 2
    expected = {0: 2.0, 1: np.pi / 2, 2: 3 * np.sqrt(3) / 4}
    for k, area in expected.items():
        assert abs(per_r2[f["shape"] == k].mean() / area - 1) < 0.03, data.SHAPE_NAMES[k]


def test_shapes_rotation_is_counter_clockwise_as_displayed():
    up, left = data.render_shapes(2, 1.0, [0.0, np.pi / 2], 0.5, 0.5)
    rows, cols = np.nonzero(up)
    # An upright triangle: apex R = 9 px above the centre (14), base R/2 below.
    assert 14 - rows.min() > rows.max() + 1 - 14 + 2
    rows, cols = np.nonzero(left)
    assert 14 - cols.min() > cols.max() + 1 - 14 + 2


def test_shapes_determinism_and_prefix():
    a, fa = data.load_dataset("shapes", "test", seed=3)
    b, fb = data.load_dataset("shapes", "test", seed=3)
    c, _ = data.load_dataset("shapes", "test", seed=4)
    small, fs = data.load_dataset("shapes", "test", n=10, seed=3)
    assert np.array_equal(a, b) and all(np.array_equal(fa[k], fb[k]) for k in fa)
    assert not np.array_equal(a, c)
    assert np.array_equal(small, a[:10]) and all(np.array_equal(fs[k], fa[k][:10]) for k in fa)


def test_shapes_generation_is_fast():
    start = time.perf_counter()
    data.make_shapes(7000, seed=11)
    assert time.perf_counter() - start < 2.0  # about 0.2 s on a laptop core


def test_render_shapes_rejects_out_of_range_factors():
    with pytest.raises(ValueError, match=r"`scale` must lie in \[0.5, 1.0\]"):
        data.render_shapes(0, 2.0, 0.0, 0.5, 0.5)
    with pytest.raises(ValueError, match="`shape`"):
        data.render_shapes(3, 1.0, 0.0, 0.5, 0.5)


# ------------------------------------------------------------------ arguments


def test_unknown_name_lists_the_valid_names():
    with pytest.raises(ValueError) as info:
        data.load_dataset("cifar10")
    message = str(info.value)
    assert "`name`" in message and "'cifar10'" in message
    for name in data.DATASETS:
        assert repr(name) in message


def test_bad_split_names_argument_expected_and_got():
    with pytest.raises(ValueError) as info:
        data.load_dataset("digits", split="validation")
    message = str(info.value)
    assert "`split`" in message and "'train'" in message and "'test'" in message
    assert "'validation'" in message


@pytest.mark.parametrize("n", [0, -3, 2.5, True])
def test_bad_n(n):
    with pytest.raises(ValueError, match="`n`"):
        data.load_dataset("shapes", n=n)


def test_n_larger_than_the_split():
    with pytest.raises(ValueError, match="at most 359"):
        data.load_dataset("digits", "test", n=360)


def test_bad_seed():
    with pytest.raises(ValueError, match="`seed` must be a non-negative integer"):
        data.load_dataset("digits", seed=-1)


def test_constants():
    assert set(data.OFFLINE_DATASETS) == {"digits", "font_digits", "shapes"}
    assert set(data.OFFLINE_DATASETS) < set(data.DATASETS)
    assert {"mnist", "fashion_mnist"} < set(data.DATASETS)


# ------------------------------------------------------------------ downloads


def _offline_registry(monkeypatch, files=None):
    """Point the MNIST registry at a host that cannot exist (RFC 2606 .invalid)."""
    entry = dict(data._REMOTE["mnist"], base_url="http://vaebook-offline.invalid/mnist/")
    if files is not None:
        entry.update(files)
    monkeypatch.setitem(data._REMOTE, "mnist", entry)
    return entry


def test_download_without_network_fails_fast_and_clearly(monkeypatch, tmp_path):
    _offline_registry(monkeypatch)
    start = time.perf_counter()
    with pytest.raises(ConnectionError) as info:
        data.load_dataset("mnist", cache_dir=tmp_path)
    assert time.perf_counter() - start < 15
    assert isinstance(info.value, data.DownloadError)
    message = str(info.value)
    assert "failed" in message
    assert "http://vaebook-offline.invalid/mnist/train-images-idx3-ubyte.gz" in message
    assert "'digits'" in message and "'shapes'" in message
    assert str(tmp_path / "mnist") in message


def test_download_gives_up_on_a_hanging_name_lookup(monkeypatch, tmp_path):
    # A machine without network can hang in DNS, which socket timeouts do not cover.
    _offline_registry(monkeypatch)
    monkeypatch.setattr(data, "_TIMEOUT", 0.2)
    monkeypatch.setattr(urllib.request, "getproxies", lambda: {})

    def hang(*args, **kwargs):
        time.sleep(3)
        raise socket.gaierror("no network")

    monkeypatch.setattr(socket, "getaddrinfo", hang)
    start = time.perf_counter()
    with pytest.raises(data.DownloadError, match="took longer than 0.2 s"):
        data.load_dataset("mnist", "test", cache_dir=tmp_path)
    assert time.perf_counter() - start < 2


def _write_idx(path, array, type_code):
    header = bytes([0, 0, type_code, array.ndim]) + np.asarray(array.shape, ">u4").tobytes()
    with gzip.open(path, "wb") as f:
        f.write(header + array.tobytes())
    return "md5:" + hashlib.md5(path.read_bytes()).hexdigest()


def test_cached_files_are_used_without_network(monkeypatch, tmp_path):
    rng = np.random.default_rng(0)
    pixels = rng.integers(0, 256, size=(5, 28, 28), dtype=np.uint8)
    pixels[0, 0, 0], pixels[0, 0, 1] = 0, 255
    digits = np.array([3, 1, 4, 1, 5], dtype=np.uint8)
    folder = tmp_path / "mnist"
    folder.mkdir()
    images_hash = _write_idx(folder / "fake-images.gz", pixels, 0x08)
    labels_hash = _write_idx(folder / "fake-labels.gz", digits, 0x08)
    _offline_registry(
        monkeypatch,
        {"train": (("fake-images.gz", images_hash), ("fake-labels.gz", labels_hash))},
    )

    def no_network(*args, **kwargs):
        raise AssertionError("the network was used although the files are cached")

    import pooch

    monkeypatch.setattr(socket, "getaddrinfo", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    monkeypatch.setattr(data, "_check_host", no_network)
    monkeypatch.setattr(pooch, "retrieve", no_network)

    x, y = data.load_dataset("mnist", "train", cache_dir=tmp_path)
    assert x.shape == (5, 28, 28) and x.dtype == np.float32 and y.dtype == np.int64
    assert x.min() == 0.0 and x.max() == 1.0
    order = np.random.default_rng(0).permutation(5)
    assert np.array_equal(y, digits[order].astype(np.int64))
    assert np.allclose(x, pixels[order] / 255.0)

    # The environment variable names the cache too.
    monkeypatch.setenv("VAEBOOK_DATA", str(tmp_path))
    x2, _ = data.load_dataset("mnist", "train", n=2)
    assert np.array_equal(x2, x[:2])


def test_a_corrupt_cached_file_is_not_trusted(monkeypatch, tmp_path):
    folder = tmp_path / "mnist"
    folder.mkdir()
    good_hash = _write_idx(folder / "fake-labels.gz", np.arange(3, dtype=np.uint8), 0x08)
    (folder / "fake-images.gz").write_bytes(b"not what was published")
    _offline_registry(
        monkeypatch,
        {"train": (("fake-images.gz", "md5:" + "0" * 32), ("fake-labels.gz", good_hash))},
    )
    # It tries to download a good copy, which fails here for want of a network.
    with pytest.raises(data.DownloadError, match="fake-images.gz"):
        data.load_dataset("mnist", cache_dir=tmp_path)


def test_checksum_mismatch_after_download_is_reported(monkeypatch, tmp_path):
    import pooch

    _offline_registry(monkeypatch)
    monkeypatch.setattr(data, "_check_host", lambda url, timeout: None)

    def bad_download(url, known_hash, **kwargs):
        raise ValueError("MD5 hash of downloaded file does not match the known hash")

    monkeypatch.setattr(pooch, "retrieve", bad_download)
    with pytest.raises(ValueError, match="does not match its known checksum"):
        data.load_dataset("mnist", cache_dir=tmp_path)


def test_registry_lists_published_checksums():
    for name in ("mnist", "fashion_mnist"):
        for split in data.SPLITS:
            for fname, known in data._REMOTE[name][split]:
                assert fname.endswith("-ubyte.gz")
                algorithm, _, digest = known.partition(":")
                assert algorithm == "md5" and len(digest) == 32
                int(digest, 16)


# ------------------------------------------------------------------ dSprites and rotations
def _fake_dsprites(folder, n=200):
    """A small archive laid out as dSprites is: images (n, 64, 64) uint8, latents (n, 6)."""
    rng = np.random.default_rng(0)
    imgs = (rng.random((n, 64, 64)) < 0.1).astype(np.uint8)
    values = np.column_stack([
        np.ones(n), rng.integers(1, 4, n), rng.choice(np.linspace(0.5, 1, 6), n),
        rng.choice(np.linspace(0, 2 * np.pi, 40), n), rng.random(n), rng.random(n)])
    imgs[:, 0, 0] = np.arange(n) % 2  # a per-row mark, to check rows and labels stay paired
    values[:, 5] = (np.arange(n) % 2) / 2.0
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "fake-dsprites.npz"
    np.savez_compressed(path, imgs=imgs, latents_values=values,
                        latents_classes=np.zeros((n, 6), np.int64))
    return path, "md5:" + hashlib.md5(path.read_bytes()).hexdigest(), imgs, values


def test_dsprites_reads_rows_and_labels_from_a_cached_archive(monkeypatch, tmp_path):
    _, known, imgs, values = _fake_dsprites(tmp_path / "dsprites")
    monkeypatch.setitem(data._REMOTE, "dsprites", {
        "base_url": "http://vaebook-offline.invalid/", "file": ("fake-dsprites.npz", known)})
    monkeypatch.setattr(data, "_NPZ_CHUNK_ROWS", 7)  # rows straddle chunk boundaries
    x, labels = data.load_dataset("dsprites", "train", n=50, seed=3, cache_dir=tmp_path)
    xt, _ = data.load_dataset("dsprites", "test", n=20, cache_dir=tmp_path)
    assert x.shape == (50, 64, 64) and x.dtype == np.float32 and set(np.unique(x)) <= {0.0, 1.0}
    assert sorted(labels) == ["rotation", "scale", "shape", "x", "y"]
    assert labels["shape"].dtype == np.int64 and set(labels["shape"]) <= {0, 1, 2}
    # Each image is the stored row whose latents came with it.
    rows = [int(np.flatnonzero((imgs == xi.astype(np.uint8)).all(axis=(1, 2)))[0]) for xi in x]
    np.testing.assert_allclose(labels["scale"], values[rows, 2], rtol=1e-6)
    np.testing.assert_allclose(labels["shape"], values[rows, 1] - 1)
    np.testing.assert_allclose(x[:, 0, 0], 2 * labels["y"])
    # A fixed 10 % test split that never meets the training images, whatever the seed.
    test_rows = {int(np.flatnonzero((imgs == xi.astype(np.uint8)).all(axis=(1, 2)))[0])
                 for xi in xt}
    assert test_rows.isdisjoint(rows) and len(test_rows) == 20
    with pytest.raises(ValueError, match=r"`n` must be at most 20, the size of the 'dsprites' "
                                         r"'test' split"):
        data.load_dataset("dsprites", "test", n=21, cache_dir=tmp_path)


def test_dsprites_without_network_fails_fast_and_names_the_file(monkeypatch, tmp_path):
    monkeypatch.setitem(data._REMOTE, "dsprites", dict(
        data._REMOTE["dsprites"], base_url="http://vaebook-offline.invalid/"))
    start = time.perf_counter()
    with pytest.raises(data.DownloadError) as info:
        data.load_dataset("dsprites", cache_dir=tmp_path)
    assert time.perf_counter() - start < 15
    message = str(info.value)
    assert "dsprites_ndarray_co1sh3sc6or40x32y32_64x64.npz" in message
    assert "'shapes'" in message and str(tmp_path / "dsprites") in message


def test_dsprites_checksum_is_an_md5():
    fname, known = data._REMOTE["dsprites"]["file"]
    algorithm, _, digest = known.partition(":")
    assert fname.endswith(".npz") and algorithm == "md5" and len(digest) == 32
    int(digest, 16)


def test_rotation_phase_is_what_the_image_shows():
    # A square turned by a quarter turn plus a bit is the square turned by the bit.
    labels = {"shape": np.array([0, 0, 1, 2, 2]),
              "rotation": np.array([0.1, np.pi / 2 + 0.1, np.pi + 0.3, 2 * np.pi / 3, 0.5])}
    phase = data.rotation_phase(labels)
    np.testing.assert_allclose(phase, [0.1 / (np.pi / 2), 0.1 / (np.pi / 2), 0.3 / np.pi, 0.0,
                                       0.5 / (2 * np.pi / 3)], atol=1e-6)
    assert phase.dtype == np.float32 and phase.min() >= 0 and phase.max() < 1
    x0 = data.render_shapes(labels["shape"][:2], 1.0, labels["rotation"][:2], 0.5, 0.5)
    assert (x0[0] != x0[1]).mean() < 0.01  # the two squares look alike, as their phases say
    heart = data.rotation_phase({"shape": np.array([2]), "rotation": np.array([2 * np.pi])},
                                "dsprites")
    assert heart.tolist() == [0.0]
    with pytest.raises(ValueError, match=r"rotation_phase: argument `name` must be one of"):
        data.rotation_phase(labels, "mnist")
    with pytest.raises(ValueError, match=r"rotation_phase: `labels\['shape'\]` must hold class"):
        data.rotation_phase({"shape": np.array([3]), "rotation": np.array([0.0])})
