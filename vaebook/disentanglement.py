"""How well codes line up with known factors: MIG and DCI, framework-free (NumPy, scikit-learn).

Both scores take the codes of N examples (usually the posterior means, shape (N, d))
and the factors that generated them (shape (N, K), or a dict of K arrays such as the
``labels`` of ``load_dataset("shapes")``), and say how far each factor is carried by
one code dimension alone.

* :func:`mig`, the mutual information gap (Chen et al., 2018): for each factor, the
  mutual information of its best code dimension minus that of the runner-up, as a
  share of the factor's entropy; averaged over factors. Codes (and continuous
  factors) are discretised first (:func:`discretize`).
* :func:`dci`, disentanglement, completeness and informativeness (Eastwood &
  Williams, 2018): a regressor predicts each factor from the code; how the
  importances of the code dimensions spread over factors (disentanglement) and over
  code dimensions (completeness), and how well the factors are predicted
  (informativeness).

Neither score needs the model, only codes and factors; both are 1 for a code equal to
the factors and near 0 for noise, and tests check them on codes with known answers.
Introduced in chapter 7.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

__all__ = [
    "discretize",
    "mutual_information",
    "entropy",
    "mig_from_mi",
    "mig",
    "MIGResult",
    "dci",
    "DCIResult",
    "REGRESSORS",
]

REGRESSORS = ("linear", "forest")
"""The regressors :func:`dci` can fit: least squares, or a random forest."""


# --------------------------------------------------------------------------- inputs


def _codes(func: str, codes) -> np.ndarray:
    z = np.asarray(codes, dtype=np.float64)
    if z.ndim != 2 or z.shape[0] < 2 or z.shape[1] < 1:
        raise ValueError(f"{func}: argument `codes` must have shape (N, d) with N >= 2 and "
                         f"d >= 1; got shape {z.shape}.")
    if not np.isfinite(z).all():
        raise ValueError(f"{func}: argument `codes` must be finite; got NaN or inf.")
    return z


def _factors(func: str, factors, n: int | None) -> tuple[list[np.ndarray], tuple[str, ...]]:
    """Columns of ``factors`` (a dict of (N,) arrays or an (N, K) array) and their names.

    ``n`` is the number of codes each column must match (None: the first column's length).
    """
    if isinstance(factors, Mapping):
        names = tuple(str(k) for k in factors)
        columns = [np.asarray(v) for v in factors.values()]
    else:
        arr = np.asarray(factors)
        if arr.ndim == 1:
            arr = arr[:, None]
        if arr.ndim != 2:
            raise ValueError(f"{func}: argument `factors` must have shape (N, K) or be a dict "
                             f"of (N,) arrays; got shape {arr.shape}.")
        names = tuple(f"factor {k}" for k in range(arr.shape[1]))
        columns = [arr[:, k] for k in range(arr.shape[1])]
    if not columns:
        raise ValueError(f"{func}: argument `factors` holds no factor.")
    n = len(columns[0]) if n is None else n
    for name, col in zip(names, columns, strict=True):
        if col.shape != (n,):
            raise ValueError(f"{func}: factor {name!r} must have shape ({n},), one value per "
                             f"code; got shape {col.shape}.")
        if col.dtype.kind not in "biuf":
            raise ValueError(f"{func}: factor {name!r} must hold numbers; got dtype {col.dtype}.")
        if col.dtype.kind == "f" and not np.isfinite(col).all():
            raise ValueError(f"{func}: factor {name!r} must be finite; got NaN or inf.")
    return columns, names


def _bins(func: str, bins) -> int:
    if isinstance(bins, bool) or not isinstance(bins, int | np.integer) or bins < 2:
        raise ValueError(f"{func}: argument `bins` must be an integer >= 2; got {bins!r}.")
    return int(bins)


# --------------------------------------------------------------------------- information


def discretize(values, bins: int = 20) -> np.ndarray:
    """Equal-width bins of each column: integers 0 .. bins - 1, the shape of ``values``.

    Each column's range [min, max] is cut into ``bins`` intervals of equal width (the
    discretisation Locatello et al. (2019) use for MIG, with 20 bins); a constant column
    goes to bin 0. The bins follow each column's own range, so shifting or scaling a
    code dimension (even by a negative factor) leaves its bins the same sets of points.

    Args:
        values: shape (N,) or (N, d), finite.
        bins: number of intervals, >= 2.

    Returns:
        int64 array of the shape of ``values``.
    """
    bins = _bins("discretize", bins)
    v = np.asarray(values, dtype=np.float64)
    if v.ndim not in (1, 2) or not np.isfinite(v).all():
        raise ValueError("discretize: argument `values` must be a finite array of shape (N,) or "
                         f"(N, d); got shape {v.shape}" + ("" if np.isfinite(v).all()
                                                           else " with NaN or inf") + ".")
    lo, hi = v.min(axis=0), v.max(axis=0)
    width = np.where(hi > lo, hi - lo, 1.0)
    # The maximum lands on `bins` and is folded into the last bin, as np.histogram does.
    return np.minimum(np.floor((v - lo) / width * bins), bins - 1).astype(np.int64)


def _classes(column: np.ndarray, bins: int) -> np.ndarray:
    """A factor as class indices: integers keep their values, floats are binned."""
    if column.dtype.kind in "biu":
        return np.unique(column, return_inverse=True)[1].reshape(-1)
    return discretize(column, bins)


def _mi_discrete(a: np.ndarray, b: np.ndarray) -> float:
    """Plug-in mutual information of two label arrays, in nats."""
    joint = np.zeros((a.max() + 1, b.max() + 1))
    np.add.at(joint, (a, b), 1.0)
    joint /= joint.sum()
    pa, pb = joint.sum(axis=1, keepdims=True), joint.sum(axis=0, keepdims=True)
    nz = joint > 0
    return float(max(0.0, (joint[nz] * np.log(joint[nz] / (pa @ pb)[nz])).sum()))


def _entropy_discrete(a: np.ndarray) -> float:
    p = np.bincount(a) / len(a)
    p = p[p > 0]
    return float(-(p * np.log(p)).sum())


def mutual_information(codes, factors, bins: int = 20) -> np.ndarray:
    """I(z_j; v_k) for every code dimension j and factor k, in nats, shape (d, K).

    The plug-in estimate from the joint histogram of the discretised code dimension
    and the factor: codes are cut into ``bins`` equal-width bins (:func:`discretize`);
    integer factors are taken as classes; floating-point factors are binned like the
    codes. With finite N the plug-in estimate is biased upwards, by about
    (bins - 1)(classes - 1) / (2N) nats for independent variables.

    Args:
        codes: shape (N, d).
        factors: shape (N, K), or a dict of K arrays of shape (N,) (the labels of
            ``load_dataset("shapes")``).
        bins: number of bins of each code dimension and continuous factor.

    Returns:
        Array (d, K), non-negative.
    """
    z = _codes("mutual_information", codes)
    bins = _bins("mutual_information", bins)
    columns, _ = _factors("mutual_information", factors, len(z))
    zb = discretize(z, bins)
    vb = [_classes(c, bins) for c in columns]
    return np.array([[_mi_discrete(zb[:, j], v) for v in vb] for j in range(z.shape[1])])


def entropy(factors, bins: int = 20) -> np.ndarray:
    """H(v_k) of each factor after the discretisation of :func:`mutual_information`, in nats, (K,)."""
    columns, _ = _factors("entropy", factors, None)
    bins = _bins("entropy", bins)
    return np.array([_entropy_discrete(_classes(c, bins)) for c in columns])


# --------------------------------------------------------------------------- MIG


def mig_from_mi(mi, entropies) -> np.ndarray:
    """The gap of each factor: (largest minus second-largest I(z_j; v_k) over j) / H(v_k).

    Args:
        mi: mutual information, shape (d, K), code dimensions by factors, d >= 2.
        entropies: H(v_k) of each factor, shape (K,), all > 0, in the unit of ``mi``.

    Returns:
        Array (K,) in [0, 1] when ``mi[:, k] <= entropies[k]``; MIG is its mean.
    """
    mi = np.asarray(mi, dtype=np.float64)
    h = np.asarray(entropies, dtype=np.float64)
    if mi.ndim != 2 or mi.shape[0] < 2:
        raise ValueError("mig_from_mi: argument `mi` must have shape (d, K) with d >= 2 code "
                         f"dimensions (a gap needs a runner-up); got shape {mi.shape}.")
    if h.shape != (mi.shape[1],) or not np.all(h > 0):
        raise ValueError(f"mig_from_mi: argument `entropies` must have shape ({mi.shape[1]},) "
                         f"with every entry > 0 (a constant factor has no MIG); got {h!r}.")
    top2 = -np.sort(-mi, axis=0)[:2]
    return (top2[0] - top2[1]) / h


@dataclass
class MIGResult:
    """What :func:`mig` measured.

    Attributes:
        score: the MIG, the mean of ``per_factor``, in [0, 1].
        per_factor: each factor's normalised gap, shape (K,).
        mi: I(z_j; v_k) in nats, shape (d, K).
        entropies: H(v_k) in nats, shape (K,).
        best: for each factor, the code dimension with the largest mutual information, (K,).
        names: the factors' names.
    """

    score: float
    per_factor: np.ndarray
    mi: np.ndarray
    entropies: np.ndarray
    best: np.ndarray
    names: tuple[str, ...]


def mig(codes, factors, bins: int = 20) -> MIGResult:
    """The mutual information gap of Chen et al. (2018), from codes and known factors.

    ``MIG = 1/K sum_k (I(z_a; v_k) - I(z_b; v_k)) / H(v_k)``, where z_a and z_b are the
    code dimensions with the largest and second-largest mutual information with factor
    v_k. 1 when each factor is carried by one dimension alone and whole; 0 when two
    dimensions share it equally, or when the code knows nothing of it. Chen et al.
    estimate I from the encoder's distribution; here, as in Locatello et al. (2019), it
    is the plug-in estimate from histograms of the codes (usually posterior means) in
    ``bins`` equal-width bins per dimension (see :func:`mutual_information`).

    Args:
        codes: shape (N, d), d >= 2.
        factors: shape (N, K) or a dict of (N,) arrays; integer factors are classes,
            floating-point ones are binned like the codes.
        bins: number of bins of each code dimension and continuous factor.

    Returns:
        :class:`MIGResult`.

    Raises:
        ValueError: for codes with fewer than 2 dimensions, factors of the wrong length,
            a constant factor, NaN or inf.
    """
    z = _codes("mig", codes)
    columns, names = _factors("mig", factors, len(z))
    if z.shape[1] < 2:
        raise ValueError(f"mig: argument `codes` must have d >= 2 dimensions (a gap needs a "
                         f"runner-up); got shape {z.shape}.")
    mi = mutual_information(z, dict(zip(names, columns, strict=True)), bins)
    h = np.array([_entropy_discrete(_classes(c, bins)) for c in columns])
    if not np.all(h > 0):
        constant = [n for n, e in zip(names, h, strict=True) if e <= 0]
        raise ValueError(f"mig: factor(s) {constant} take a single value; a constant factor "
                         "has no entropy to share.")
    per_factor = mig_from_mi(mi, h)
    return MIGResult(score=float(per_factor.mean()), per_factor=per_factor, mi=mi,
                     entropies=h, best=mi.argmax(axis=0), names=names)


# --------------------------------------------------------------------------- DCI


@dataclass
class DCIResult:
    """What :func:`dci` measured.

    Attributes:
        disentanglement: sum_j rho_j D_j, in [0, 1].
        completeness: the mean of ``per_factor_completeness``, in [0, 1].
        informativeness: the mean of ``per_factor_informativeness`` (test R^2).
        importance: R_jk >= 0, how much code dimension j is used to predict factor k, (d, K).
        per_code_disentanglement: D_j = 1 - H_K(P_j.), shape (d,).
        code_weight: rho_j, each code dimension's share of all importance, shape (d,).
        per_factor_completeness: C_k = 1 - H_d(P~_.k), shape (K,).
        per_factor_informativeness: R^2 of each factor's prediction on the held-out
            codes, shape (K,): 1 is perfect, 0 no better than the mean (it can be below 0).
        names: the factors' names.
    """

    disentanglement: float
    completeness: float
    informativeness: float
    importance: np.ndarray
    per_code_disentanglement: np.ndarray
    code_weight: np.ndarray
    per_factor_completeness: np.ndarray
    per_factor_informativeness: np.ndarray
    names: tuple[str, ...]


def _standardise(a: np.ndarray) -> np.ndarray:
    sd = a.std(axis=0)
    return (a - a.mean(axis=0)) / np.where(sd > 0, sd, 1.0)


def _entropy_rows(p: np.ndarray, base: int) -> np.ndarray:
    """Entropy of each row of non-negative weights (normalised here), in log base ``base``."""
    total = p.sum(axis=1, keepdims=True)
    p = np.where(total > 0, p / np.where(total > 0, total, 1.0), 1.0 / p.shape[1])
    logs = np.log(np.where(p > 0, p, 1.0))
    return -(p * logs).sum(axis=1) / np.log(base)


def dci(codes, factors, regressor: str = "forest", test_fraction: float = 0.3,
        seed: int = 0, n_trees: int = 30) -> DCIResult:
    """Disentanglement, completeness and informativeness of Eastwood & Williams (2018).

    One regressor per factor predicts the (standardised) factor from the (standardised)
    code, trained on a random ``1 - test_fraction`` of the examples. Its importances fill
    column k of R (d x K). With P_jk = R_jk / sum_k R_jk (code j's importance spread over
    factors) and P~_jk = R_jk / sum_j R_jk (factor k's importance spread over codes):

    * disentanglement D = sum_j rho_j (1 - H_K(P_j.)), rho_j = sum_k R_jk / sum R: 1 when
      each code dimension predicts one factor only;
    * completeness C = mean_k (1 - H_d(P~_.k)): 1 when each factor is predicted by one
      code dimension only;
    * informativeness: the R^2 of each factor's prediction on the held-out examples.

    H_K is the entropy in log base K, so each term lies in [0, 1].

    ``regressor="linear"``: least squares; R_jk = |w_jk|, the absolute weight (the
    lasso of Eastwood & Williams with its penalty set to 0). Exact on codes that are a
    linear map of the factors; blind to relations that are not linear (a categorical
    factor is treated as the number of its class). ``regressor="forest"``: a random
    forest of ``n_trees`` trees of depth at most 8 (Eastwood & Williams' other regressor;
    the depth is our choice); R_jk is the impurity-based importance, which sums to 1
    for each factor.
    On pure noise its importances spread evenly, so D and C are near 0.

    Args:
        codes: shape (N, d).
        factors: shape (N, K) or a dict of (N,) arrays.
        regressor: ``"linear"`` or ``"forest"``.
        test_fraction: share of the examples held out for informativeness, in (0, 1).
        seed: seeds the split and the forest.
        n_trees: trees per forest.

    Returns:
        :class:`DCIResult`.

    Raises:
        ValueError: for an unknown regressor, a bad fraction, seed or tree count, a
            constant factor, factors of the wrong length, NaN or inf.
    """
    z = _codes("dci", codes)
    columns, names = _factors("dci", factors, len(z))
    if regressor not in REGRESSORS:
        raise ValueError(f"dci: argument `regressor` must be one of {REGRESSORS}; got "
                         f"{regressor!r}.")
    if not (isinstance(test_fraction, float | int) and 0 < test_fraction < 1):
        raise ValueError(f"dci: argument `test_fraction` must lie in (0, 1); got "
                         f"{test_fraction!r}.")
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise ValueError(f"dci: argument `seed` must be a non-negative integer; got {seed!r}.")
    if isinstance(n_trees, bool) or not isinstance(n_trees, int) or n_trees < 1:
        raise ValueError(f"dci: argument `n_trees` must be a positive integer; got {n_trees!r}.")
    v = np.stack([c.astype(np.float64) for c in columns], axis=1)
    constant = [n for n, sd in zip(names, v.std(axis=0), strict=True) if sd == 0]
    if constant:
        raise ValueError(f"dci: factor(s) {constant} take a single value; nothing to predict.")
    # Standardised over all examples: a change of units, the same for every regressor,
    # so that importances of different factors are on one scale.
    zs, vs = _standardise(z), _standardise(v)
    n_test = max(1, int(round(test_fraction * len(z))))
    if len(z) - n_test < 2:
        raise ValueError(f"dci: {len(z)} examples leave fewer than 2 to train on; give more.")
    order = np.random.default_rng(seed).permutation(len(z))
    test, train = order[:n_test], order[n_test:]

    d, k_factors = z.shape[1], v.shape[1]
    importance = np.zeros((d, k_factors))
    r2 = np.zeros(k_factors)
    for k in range(k_factors):
        target = vs[:, k]
        if regressor == "linear":
            design = np.column_stack([zs[train], np.ones(len(train))])
            coef, *_ = np.linalg.lstsq(design, target[train], rcond=None)
            importance[:, k] = np.abs(coef[:d])
            pred = np.column_stack([zs[test], np.ones(len(test))]) @ coef
        else:
            from sklearn.ensemble import RandomForestRegressor

            forest = RandomForestRegressor(n_estimators=n_trees, max_depth=8,
                                           random_state=int(seed), n_jobs=1)
            forest.fit(zs[train], target[train])
            importance[:, k] = forest.feature_importances_
            pred = forest.predict(zs[test])
        resid = ((target[test] - pred) ** 2).sum()
        total = ((target[test] - target[test].mean()) ** 2).sum()
        r2[k] = 1.0 - resid / total if total > 0 else 0.0

    per_code = 1.0 - _entropy_rows(importance, max(k_factors, 2)) if k_factors > 1 \
        else np.ones(d)
    weight = importance.sum(axis=1) / importance.sum() if importance.sum() > 0 \
        else np.full(d, 1.0 / d)
    per_factor = 1.0 - _entropy_rows(importance.T, max(d, 2)) if d > 1 else np.ones(k_factors)
    return DCIResult(
        disentanglement=float((weight * per_code).sum()),
        completeness=float(per_factor.mean()),
        informativeness=float(r2.mean()),
        importance=importance,
        per_code_disentanglement=per_code,
        code_weight=weight,
        per_factor_completeness=per_factor,
        per_factor_informativeness=r2,
        names=names,
    )
