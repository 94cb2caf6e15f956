"""What a VAE's codes say about its prior, framework-free (NumPy).

For N data points with diagonal Gaussian posteriors q(z|x_n) = N(mu_n, diag exp(logvar_n)):

* :func:`active_units`: how many latent dimensions the encoder uses (Burda et al., 2016).
* :func:`aggregate_log_density`, :func:`sample_aggregate`: the aggregate posterior
  q(z) = 1/N sum_n q(z|x_n), the distribution of codes the decoder is trained on.
* :func:`rate_terms`: the rate E_x KL(q(z|x) || p(z)) split into the mutual information
  I_q(x; z) and the marginal KL(q(z) || p(z)) (Hoffman & Johnson, 2016): a prior that
  matches q(z) pays only for the information.
* :func:`prior_hole_fraction`: the share of prior samples that fall where q(z) has
  almost no mass, the "holes" that decode to images unlike the data.

Chapter 8 introduces them. Arrays in, floats or arrays out; the framework's prior enters
as log p(z) evaluated by the caller.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["active_units", "aggregate_log_density", "sample_aggregate", "rate_terms",
           "prior_hole_fraction"]

_LOG_2PI = math.log(2.0 * math.pi)


def _posteriors(func: str, mu, logvar) -> tuple[np.ndarray, np.ndarray]:
    mu = np.asarray(mu, dtype=np.float64)
    logvar = np.asarray(logvar, dtype=np.float64)
    if mu.ndim != 2 or len(mu) == 0:
        raise ValueError(f"{func}: argument `mu` must have shape (N, d) with N >= 1; "
                         f"got shape {mu.shape}.")
    if logvar.shape != mu.shape:
        raise ValueError(f"{func}: argument `logvar` must have the shape of `mu` {mu.shape}; "
                         f"got shape {logvar.shape}.")
    if not (np.isfinite(mu).all() and np.isfinite(logvar).all()):
        raise ValueError(f"{func}: arguments `mu` and `logvar` must be finite (NaN or inf found).")
    return mu, logvar


def _codes(func: str, z, d: int) -> np.ndarray:
    z = np.asarray(z, dtype=np.float64)
    if z.ndim != 2 or z.shape[1] != d or len(z) == 0:
        raise ValueError(f"{func}: argument `z` must have shape (M, {d}) with M >= 1; "
                         f"got shape {z.shape}.")
    if not np.isfinite(z).all():
        raise ValueError(f"{func}: argument `z` must be finite (NaN or inf found).")
    return z


def active_units(mu, threshold: float = 0.01) -> int:
    """The number of latent dimensions whose posterior mean varies over the data.

    Burda et al. (2016): dimension u is active when Cov_x(E_q[z_u | x]) > threshold
    (their 10**-2). A collapsed dimension has the same posterior for every x.

    Args:
        mu: posterior means E_q[z | x_n], shape (N, d).
        threshold: the variance above which a dimension counts as active.

    Returns:
        An integer in [0, d].
    """
    mu = np.asarray(mu, dtype=np.float64)
    if mu.ndim != 2 or len(mu) < 2:
        raise ValueError(f"active_units: argument `mu` must have shape (N, d) with N >= 2; "
                         f"got shape {mu.shape}.")
    if not (isinstance(threshold, int | float) and threshold > 0):
        raise ValueError(f"active_units: argument `threshold` must be a positive number; "
                         f"got {threshold!r}.")
    return int((mu.var(axis=0) > threshold).sum())


def _log_normal(z: np.ndarray, mu: np.ndarray, logvar: np.ndarray) -> np.ndarray:
    """log N(z; mu, diag exp(logvar)) summed over the last axis, broadcasting."""
    return -0.5 * (_LOG_2PI + logvar + (z - mu) ** 2 * np.exp(-logvar)).sum(axis=-1)


def aggregate_log_density(z, mu, logvar, chunk: int = 256) -> np.ndarray:
    """log q(z) of the aggregate posterior q(z) = 1/N sum_n N(z; mu_n, diag exp(logvar_n)).

    Args:
        z: codes, shape (M, d).
        mu: posterior means of the N data points, shape (N, d).
        logvar: their log-variances, shape (N, d).
        chunk: codes per pass (memory is chunk * N * d floats).

    Returns:
        Shape (M,), in nats.
    """
    mu, logvar = _posteriors("aggregate_log_density", mu, logvar)
    z = _codes("aggregate_log_density", z, mu.shape[1])
    out = np.empty(len(z))
    for s in range(0, len(z), chunk):
        per_n = _log_normal(z[s : s + chunk, None, :], mu[None], logvar[None])  # (m, N)
        top = per_n.max(axis=1, keepdims=True)
        out[s : s + chunk] = (top[:, 0] + np.log(np.exp(per_n - top).sum(axis=1))
                              - math.log(len(mu)))
    return out


def sample_aggregate(mu, logvar, n: int, seed: int = 0) -> np.ndarray:
    """n draws from the aggregate posterior: pick a data point uniformly, then z ~ q(z|x_n).

    Returns:
        Shape (n, d).
    """
    mu, logvar = _posteriors("sample_aggregate", mu, logvar)
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, len(mu), n)
    return mu[idx] + np.exp(0.5 * logvar[idx]) * rng.standard_normal((n, mu.shape[1]))


def rate_terms(z, mu, logvar, log_pz) -> dict[str, float]:
    """The rate and its two parts, Monte Carlo estimates from codes z_n ~ q(z | x_n).

    ``rate = E_n[log q(z_n|x_n) - log p(z_n)]`` (the mean KL term of the ELBO),
    ``mutual_information = E_n[log q(z_n|x_n) - log q(z_n)]`` (at most log N), and
    ``marginal_kl = E_n[log q(z_n) - log p(z_n)]``, KL(q(z) || p(z)). The identity
    rate = mutual information + marginal KL (Hoffman & Johnson, 2016) holds for the
    estimates sample by sample.

    Args:
        z: one code per data point, z_n ~ q(z | x_n), shape (N, d); or S codes per
            data point, shape (S, N, d).
        mu: posterior means, shape (N, d).
        logvar: posterior log-variances, shape (N, d).
        log_pz: the prior's log p(z) at ``z``, shape (N,) or (S, N).

    Returns:
        ``{"rate", "mutual_information", "marginal_kl"}``, in nats per data point.
    """
    mu, logvar = _posteriors("rate_terms", mu, logvar)
    z = np.asarray(z, dtype=np.float64)
    if z.shape[-2:] != mu.shape or z.ndim not in (2, 3):
        raise ValueError(f"rate_terms: argument `z` must have shape {mu.shape} or "
                         f"(S, {mu.shape[0]}, {mu.shape[1]}); got shape {z.shape}.")
    log_pz = np.asarray(log_pz, dtype=np.float64)
    if log_pz.shape != z.shape[:-1]:
        raise ValueError(f"rate_terms: argument `log_pz` must have shape {z.shape[:-1]}; "
                         f"got shape {log_pz.shape}.")
    log_q_cond = _log_normal(z, mu, logvar)  # each code under its own posterior
    log_q_agg = aggregate_log_density(z.reshape(-1, mu.shape[1]), mu, logvar).reshape(
        z.shape[:-1])
    return {"rate": float(np.mean(log_q_cond - log_pz)),
            "mutual_information": float(np.mean(log_q_cond - log_q_agg)),
            "marginal_kl": float(np.mean(log_q_agg - log_pz))}


def prior_hole_fraction(z_prior, mu, logvar, level: float = 0.01, n_reference: int = 20000,
                        seed: int = 0) -> float:
    """The share of prior samples in the aggregate posterior's low-density region.

    The region is where log q(z) is below its ``level`` quantile under q(z) itself
    (estimated from ``n_reference`` draws of :func:`sample_aggregate`), a set that holds
    a fraction ``level`` of q's mass. A prior equal to q(z) puts that same fraction
    there; a prior with holes, many times more.

    Args:
        z_prior: samples of the prior, shape (M, d).
        mu: posterior means of the data, shape (N, d).
        logvar: their log-variances, shape (N, d).
        level: the mass of q(z) in the low-density region, in (0, 1).
        n_reference: draws of q(z) that set the threshold.
        seed: seeds those draws.

    Returns:
        A float in [0, 1]; ``level`` for a prior that matches q(z).
    """
    mu, logvar = _posteriors("prior_hole_fraction", mu, logvar)
    z_prior = _codes("prior_hole_fraction", z_prior, mu.shape[1])
    if not 0.0 < level < 1.0:
        raise ValueError(f"prior_hole_fraction: argument `level` must be in (0, 1); got {level!r}.")
    reference = aggregate_log_density(sample_aggregate(mu, logvar, n_reference, seed), mu, logvar)
    threshold = np.quantile(reference, level)
    return float((aggregate_log_density(z_prior, mu, logvar) < threshold).mean())
