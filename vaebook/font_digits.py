"""``"font_digits"``: a synthetic, MNIST-like set of 28 x 28 handwritten-looking digits.

Nothing here is handwriting. Each image is a digit 0-9 drawn from one of the fonts that
matplotlib ships (DejaVu Sans, Sans Mono and Serif, STIX and Computer Modern, upright,
bold and italic: 21 faces), then distorted the way handwriting varies:

* random size (the digit's height is 14.5 to 19.5 pixels), stroke width, rotation
  (standard deviation 12 degrees) and shear (up to 0.3 either way);
* an elastic distortion: a smooth random displacement field (Gaussian-filtered noise,
  sigma 3.5 pixels, about 0.9 pixels of displacement; Simard et al., 2003);
* grey levels from anti-aliasing, in [0, 1], with no background noise;
* normalised as MNIST was: a digit larger than a 20 x 20 box is shrunk to fit it,
  and the centre of mass of the ink is moved to the centre of the 28 x 28 field.

It exists so that every chapter can show 28 x 28 digits, train convolutional models
on them and recognise their samples with no network at all, and so that the code a
reader runs with ``DATASET = "mnist"`` has run here. It is *not* MNIST: the shapes
are cleaner and fewer (21 faces), so numbers measured on it (likelihoods above all)
are not MNIST's. Its mean pixel value is about 0.13, as MNIST's (0.1307).

How it is made, so that 70,000 images take seconds: each (face, digit) glyph is
rasterised once at 64 x 64 into a signed distance field (pixels to the outline,
negative inside); an image is one interpolation of that field through the image's
own affine map and displacement field, a stroke-width offset, and a soft threshold.
"""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np

__all__ = ["FACES", "make_font_digits", "MEAN_PIXEL"]

FACES = (
    "DejaVuSans", "DejaVuSans-Bold", "DejaVuSans-Oblique", "DejaVuSans-BoldOblique",
    "DejaVuSansMono", "DejaVuSansMono-Bold", "DejaVuSansMono-Oblique",
    "DejaVuSansMono-BoldOblique",
    "DejaVuSerif", "DejaVuSerif-Bold", "DejaVuSerif-Italic", "DejaVuSerif-BoldItalic",
    "STIXGeneral", "STIXGeneralBol", "STIXGeneralItalic", "STIXGeneralBolIta",
    "cmr10", "cmb10", "cmss10", "cmtt10", "cmti10",
)
"""The font files (in matplotlib's ``mpl-data/fonts/ttf``) the digits are drawn from."""

MEAN_PIXEL = 0.13
"""The target mean pixel value (MNIST's is 0.1307); the tests hold the data to it."""

_TEMPLATE = 64  # side of the glyph's distance field, pixels
_GLYPH_BOX = 44  # the glyph's height in the field, pixels
_SIZE = 28
_CHUNK = 4096  # images made at once: bounds memory for large n


@functools.cache
def _templates() -> np.ndarray:
    """Signed distance fields of every (face, digit): shape (faces * 10, 64, 64), in
    field pixels, negative inside the glyph. Glyphs are scaled to a common height and
    centred on their bounding box."""
    import matplotlib
    from matplotlib.font_manager import FontProperties
    from matplotlib.path import Path as MplPath
    from matplotlib.textpath import TextPath
    from scipy.ndimage import distance_transform_edt

    folder = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    # Pixel centres of a 4x supersampled field: inside-tests there, then averaged.
    fine = 4 * _TEMPLATE
    c = (np.arange(fine) + 0.5) / 4.0
    gx, gy = np.meshgrid(c, c)
    points = np.column_stack([gx.ravel(), gy.ravel()])
    fields = []
    for face in FACES:
        prop = FontProperties(fname=str(folder / f"{face}.ttf"))
        for digit in range(10):
            path = TextPath((0, 0), str(digit), size=1.0, prop=prop)
            verts = path.vertices.copy()
            (x0, y0), (x1, y1) = verts.min(0), verts.max(0)
            scale = _GLYPH_BOX / (y1 - y0)
            verts = (verts - [(x0 + x1) / 2, (y0 + y1) / 2]) * scale
            verts[:, 1] *= -1  # font y points up, image rows go down
            verts += _TEMPLATE / 2
            glyph = MplPath(verts, path.codes)
            # Even-odd filling follows the glyph's holes (0, 4, 6, 8, 9).
            inside = _even_odd(glyph, points).reshape(fine, fine)
            mask = inside.reshape(_TEMPLATE, 4, _TEMPLATE, 4).mean(axis=(1, 3)) >= 0.5
            dist_out = distance_transform_edt(~mask)
            dist_in = distance_transform_edt(mask)
            fields.append((dist_out - dist_in).astype(np.float32))
    return np.stack(fields)


def _even_odd(path, points: np.ndarray) -> np.ndarray:
    """Inside test with the even-odd rule over the path's closed polygons."""
    inside = np.zeros(len(points), dtype=bool)
    for poly in path.to_polygons(closed_only=True):
        from matplotlib.path import Path as MplPath

        inside ^= MplPath(poly).contains_points(points)
    return inside


def _smooth_noise(rng: np.random.Generator, n: int, sigma: float, amplitude: float) -> np.ndarray:
    """(n, 2, 28, 28) smooth random displacement fields with standard deviation ``amplitude``."""
    from scipy.ndimage import gaussian_filter

    noise = rng.standard_normal((n, 2, _SIZE, _SIZE)).astype(np.float32)
    field = gaussian_filter(noise, sigma=(0, 0, sigma, sigma), mode="reflect")
    field /= field.reshape(n, -1).std(axis=1).reshape(n, 1, 1, 1) + 1e-8
    return amplitude * field


def _render(fields: np.ndarray, index: np.ndarray, params: np.ndarray,
            displacement: np.ndarray, shift: np.ndarray) -> np.ndarray:
    """Images (n, 28, 28) of templates ``index`` through each image's inverse map."""
    from scipy.ndimage import map_coordinates

    n = len(index)
    height, angle, shear, width = params.T
    # Output pixel centres relative to the field's centre, plus the elastic displacement.
    r = np.arange(_SIZE, dtype=np.float32) - (_SIZE - 1) / 2
    yy, xx = np.meshgrid(r, r, indexing="ij")
    y = yy[None] + displacement[:, 0] + shift[:, 0, None, None]
    x = xx[None] + displacement[:, 1] + shift[:, 1, None, None]
    # Inverse affine map: output pixels -> template pixels (undo shear, rotation, scale).
    s = (_GLYPH_BOX / height)[:, None, None]
    cos, sin = np.cos(angle)[:, None, None], np.sin(angle)[:, None, None]
    xr, yr = cos * x + sin * y, -sin * x + cos * y
    xs = xr - shear[:, None, None] * yr
    ty = yr * s + _TEMPLATE / 2 - 0.5
    tx = xs * s + _TEMPLATE / 2 - 0.5
    tz = np.broadcast_to(index[:, None, None].astype(np.float32), ty.shape)
    sdf = map_coordinates(fields, [tz, ty, tx], order=1, mode="nearest")
    # Ink where the distance (in output pixels) is below the stroke offset, soft edged.
    dist = sdf.reshape(n, _SIZE, _SIZE) / s
    return np.clip(0.5 + width[:, None, None] - dist, 0.0, 1.0).astype(np.float32)


def _extent(images: np.ndarray) -> np.ndarray:
    """The larger side, in pixels, of each image's ink bounding box (ink > 0.25)."""
    rows, cols = images.max(axis=2) > 0.25, images.max(axis=1) > 0.25

    def span(mask):
        idx = np.arange(mask.shape[1])
        first = np.where(mask, idx, _SIZE).min(axis=1)
        last = np.where(mask, idx, -1).max(axis=1)
        return np.maximum(last - first + 1, 0)

    return np.maximum(span(rows), span(cols)).astype(np.float32)


def make_font_digits(n: int, *, seed: int = 0, stream: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Make ``n`` synthetic 28 x 28 digits: ``(images, labels)``.

    Args:
        n: number of images, >= 0.
        seed, stream: non-negative integers selecting the random stream;
            :func:`vaebook.data.load_dataset` uses stream 0 for train and 1 for test.
            Image ``i`` depends only on ``(seed, stream, i)``, not on ``n``.

    Returns:
        images: float32, shape (n, 28, 28), grey levels in [0, 1].
        labels: int64, shape (n,), the digit 0-9 (classes are balanced in expectation).
    """
    from scipy.special import ndtri

    fields = _templates()
    n_faces = len(FACES)
    images = np.empty((n, _SIZE, _SIZE), np.float32)
    labels = np.empty(n, np.int64)
    for start in range(0, n, _CHUNK):
        m = min(_CHUNK, n - start)
        # One stream per chunk and purpose, so that image i does not depend on n.
        chunk = start // _CHUNK
        # All of an image's numbers in one row, so that row i does not depend on m.
        u = np.random.default_rng([seed, stream, chunk, 0]).random((m, 6))
        digit = np.minimum((u[:, 0] * 10).astype(np.int64), 9)
        face = np.minimum((u[:, 1] * n_faces).astype(np.int64), n_faces - 1)
        params = np.column_stack([
            14.5 + 5.0 * u[:, 2],                                   # height, pixels
            np.deg2rad(12.0) * ndtri(np.clip(u[:, 3], 1e-6, 1 - 1e-6)),  # rotation
            0.3 * (2 * u[:, 4] - 1),                                # shear
            -0.3 + 1.3 * u[:, 5],                                   # stroke offset, pixels
        ]).astype(np.float32)
        displacement = _smooth_noise(np.random.default_rng([seed, stream, chunk, 1]), m,
                                     sigma=3.5, amplitude=0.9)
        index = face * 10 + digit
        first = _render(fields, index, params, displacement, np.zeros((m, 2), np.float32))
        # As MNIST was made: shrink what does not fit a 20 x 20 box, then move the
        # centre of mass of the ink to the centre of the field.
        fit = np.minimum(1.0, 20.0 / np.maximum(_extent(first), 1.0)).astype(np.float32)
        params[:, 0] *= fit
        grid = np.arange(_SIZE, dtype=np.float32) - (_SIZE - 1) / 2
        mass = first.sum(axis=(1, 2)) + 1e-6
        com = np.column_stack([(first.sum(axis=2) * grid).sum(1) / mass,
                               (first.sum(axis=1) * grid).sum(1) / mass]) * fit[:, None]
        images[start : start + m] = _render(fields, index, params, displacement, com)
        labels[start : start + m] = digit
    return images, labels
