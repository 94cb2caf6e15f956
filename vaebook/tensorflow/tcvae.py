"""The ELBO's KL term taken apart, and the beta-TC-VAE that weighs one part, in TensorFlow.

The same functions as :mod:`vaebook.torch.tcvae`: averaged over the data,
KL(q(z|x) || p(z)) = I_q(x; z) + KL(q(z) || prod_k q(z_k)) + sum_k KL(q(z_k) || p(z_k))
(Hoffman & Johnson, 2016; Chen et al., 2018), with the aggregate posterior q(z)
estimated from the minibatch. Usable inside ``tf.function`` (the batch size may be
unknown until run time).
"""

from __future__ import annotations

import math

from .. import _validate as check
from .._docs import documented
from ._util import tensor, tf
from .losses import LOG_2PI, _reparameterize
from .models import VAE

__all__ = ["kl_decomposition", "BetaTCVAE"]


def _log_weights(b, n: int, estimator: str, dtype):
    """log w_ij, (b, b): the weight of q(z_i | x_j) in the estimate of q(z_i)."""
    bf = tf.cast(b, dtype)
    if estimator == "mws":
        # Chen et al.'s minibatch-weighted sampling: every term 1 / (N M).
        return tf.fill([b, b], -math.log(n) - tf.math.log(bf))
    # Stratified: the example's own posterior is 1/N of q(z_i) exactly; the other N - 1
    # examples' share, (N - 1)/N, is estimated by the mean over the b - 1 others in the
    # batch, a uniform draw from them. Unbiased for q(z_i); exact when b = N.
    own = -math.log(n)
    if n > 1:
        other = math.log((n - 1) / n) - tf.math.log(tf.maximum(bf - 1.0, 1.0))
    else:
        other = tf.constant(-math.inf, dtype)
    eye = tf.eye(b, dtype=dtype)
    # Off the diagonal `other`; on it `own` (written without 0 * inf).
    return tf.where(eye > 0, tf.cast(own, dtype), other * tf.ones([b, b], dtype))


def _kl_decomposition(mu, logvar, z, n: int, estimator: str) -> dict:
    b = tf.shape(mu)[0]
    # log q(z_ik | x_j) for every pair (sample i, example j) and dimension k: (b, b, d).
    lq = -0.5 * (LOG_2PI + logvar[None] + tf.square(z[:, None] - mu[None])
                 * tf.exp(-logvar[None]))
    logw = _log_weights(b, n, estimator, mu.dtype)
    log_qz_x = tf.reduce_sum(tf.linalg.diag_part(tf.transpose(lq, [2, 0, 1])), axis=0)
    log_qz = tf.reduce_logsumexp(tf.reduce_sum(lq, axis=2) + logw, axis=1)
    log_prod = tf.reduce_sum(tf.reduce_logsumexp(lq + logw[..., None], axis=1), axis=1)
    log_pz = -0.5 * tf.reduce_sum(LOG_2PI + tf.square(z), axis=1)
    return {
        "mi": log_qz_x - log_qz,
        "tc": log_qz - log_prod,
        "dim_kl": log_prod - log_pz,
        "kl": log_qz_x - log_pz,
    }


def _batch(x) -> int | None:
    return x.shape[0] if x.shape.rank and x.shape[0] is not None else None


@documented("kl_decomposition")
def kl_decomposition(mu, logvar, z, dataset_size=None, estimator="mss") -> dict:
    func = "kl_decomposition"
    mu = tensor(func, "mu", mu)
    logvar = tensor(func, "logvar", logvar, like=mu)
    z = tensor(func, "z", z, like=mu)
    check.paired(func, "mu", mu.shape, "logvar", logvar.shape, "(batch, latent_dim)")
    check.same_shape(func, "z", z.shape, "mu", mu.shape)
    if mu.shape.rank != 2:
        raise ValueError(f"{func}: argument `mu` must have shape (batch, latent_dim); got "
                         f"shape {tuple(mu.shape)}.")
    b = _batch(mu)
    if dataset_size is None and b is None:
        raise ValueError(f"{func}: argument `dataset_size` must be given when the batch "
                         "size is unknown (inside a tf.function).")
    n = check.tc_args(func, b, dataset_size, estimator)
    return _kl_decomposition(mu, logvar, z, n, estimator)


@documented("BetaTCVAE")
class BetaTCVAE(VAE):
    def __init__(self, input_dim, latent_dim, dataset_size, hidden_dims=(256, 128),
                 likelihood="bernoulli", beta=1.0, estimator="mss", obs_logvar=0.0,
                 encoder=None, decoder=None):
        super().__init__(input_dim, latent_dim, hidden_dims, likelihood, 1.0, obs_logvar,
                         None, encoder, decoder)
        name = type(self).__name__
        self.beta = 0.0 if beta == 0 else check.positive_float(name, "beta", beta)
        self.dataset_size = check.positive_int(name, "dataset_size", dataset_size)
        check.one_of(name, "estimator", estimator, check.TC_ESTIMATORS)
        self.estimator = estimator

    def loss_terms(self, x):
        func = f"{type(self).__name__}.loss_terms"
        x = self._checked(x, func)
        n = check.tc_args(func, _batch(x), self.dataset_size, self.estimator)
        mu, logvar = self.encode(x)
        z = _reparameterize(mu, logvar)
        rec = -self.log_px_given_z(x, z)
        kl = self.kl_term(mu, logvar, z)
        parts = _kl_decomposition(mu, logvar, z, n, self.estimator)
        # -ELBO + (beta - 1) TC: the closed-form KL keeps the rest of the gradient's
        # variance as low as the VAE's; only the total correlation needs the estimator.
        return {"loss": rec + kl + (self.beta - 1.0) * parts["tc"], "reconstruction": rec,
                "kl": kl, "mi": parts["mi"], "tc": parts["tc"], "dim_kl": parts["dim_kl"]}
