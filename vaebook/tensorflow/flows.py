"""A flow posterior in TensorFlow: planar flows (Rezende & Mohamed, 2015) after a Gaussian.

The same function and model as :mod:`vaebook.torch.flows`: a diagonal Gaussian sample
pushed through L planar maps whose parameters the encoder outputs for each x, with
log q(z_L | x) = log N(z_0; mu, sigma^2) - sum_l log |det df_l/dz|.
"""

from __future__ import annotations

import math

from .. import _validate as check
from .._docs import documented
from ._util import tensor, tf
from .losses import _log_normal_diag
from .models import VAE, mlp

__all__ = ["planar_flow", "FlowVAE"]


def _planar_flow(z, u, w, b):
    wu = tf.reduce_sum(w * u, axis=-1, keepdims=True)
    ww = tf.maximum(tf.reduce_sum(w * w, axis=-1, keepdims=True), 1e-12)  # w = 0: u as it is
    # Invertibility (the paper's appendix A): move u along w until w.u_hat = m(w.u) =
    # softplus(w.u) - 1 > -1.
    u_hat = u + (tf.nn.softplus(wu) - 1.0 - wu) * w / ww
    h = tf.tanh(tf.reduce_sum(w * z, axis=-1) + b)
    z_new = z + u_hat * tf.expand_dims(h, -1)
    # det = 1 + tanh'(a) w.u_hat = tanh(a)^2 + (1 - tanh(a)^2) softplus(w.u): a sum of
    # non-negative terms, so it is positive, and computed without cancelling 1 - 1.
    det = tf.square(h) + (1.0 - tf.square(h)) * tf.nn.softplus(tf.squeeze(wu, -1))
    return z_new, tf.math.log(det)


@documented("planar_flow")
def planar_flow(z, u, w, b) -> tuple[tf.Tensor, tf.Tensor]:
    func = "planar_flow"
    z = tensor(func, "z", z)
    u, w, b = (tensor(func, name, v, like=z) for name, v in (("u", u), ("w", w), ("b", b)))
    check.batched(func, "z", (1, *z.shape), "(..., d)")
    for name, t in (("u", u), ("w", w)):
        check.broadcastable(func, name, t.shape, "z", z.shape)
    check.broadcastable(func, "b", b.shape, "z without its last axis", z.shape[:-1])
    return _planar_flow(z, u, w, b)


@documented("FlowVAE")
class FlowVAE(VAE):
    def __init__(self, input_dim, latent_dim, hidden_dims=(256, 128), n_flows=4,
                 likelihood="bernoulli", beta=1.0, obs_logvar=0.0, prior=None):
        name = type(self).__name__
        shape, hidden = check.model_args(name, input_dim, latent_dim, hidden_dims)
        n_flows = check.non_negative_int(name, "n_flows", n_flows)
        d = latent_dim
        # One network outputs mu, logvar and, per flow, (u, w, b): 2d + L (2d + 1) units.
        encoder = mlp([math.prod(shape), *hidden, 2 * d + n_flows * (2 * d + 1)], "encoder")
        super().__init__(input_dim, latent_dim, hidden_dims, likelihood, beta, obs_logvar,
                         prior, encoder=encoder)
        self.n_flows = n_flows

    def _posterior_params(self, x):
        out = self.encoder(self._input(x, f"{type(self).__name__}.encode"))
        d = self.latent_dim
        mu, logvar = out[:, :d], out[:, d : 2 * d]
        flows = tf.reshape(out[:, 2 * d :], [tf.shape(out)[0], self.n_flows, 2 * d + 1])
        return mu, logvar, flows

    def encode(self, x):
        mu, logvar, _ = self._posterior_params(x)
        return mu, logvar

    def sample_posterior(self, x, eps):
        mu, logvar, flows = self._posterior_params(x)
        eps = tf.cast(eps, mu.dtype)
        check.posterior_noise(f"{type(self).__name__}.sample_posterior", eps.shape, mu.shape)
        d = self.latent_dim
        z = mu + tf.exp(0.5 * logvar) * eps
        log_q = _log_normal_diag(z, mu, logvar)
        for layer in range(self.n_flows):
            p = flows[:, layer]
            z, log_det = _planar_flow(z, p[:, :d], p[:, d : 2 * d], p[:, 2 * d])
            log_q = log_q - log_det
        return z, log_q

    def kl_term(self, mu, logvar, z):
        raise ValueError(
            f"{type(self).__name__}.kl_term: a flow posterior is not N(mu, exp(logvar)); its "
            "KL needs log q(z|x) from sample_posterior(x, eps) (loss_terms does this)."
        )

    def loss_terms(self, x):
        x = self._checked(x, f"{type(self).__name__}.loss_terms")
        eps = tf.random.normal([tf.shape(x)[0], self.latent_dim], dtype=x.dtype)
        z, log_q = self.sample_posterior(x, eps)
        rec = -self.log_px_given_z(x, z)
        kl = log_q - self.prior.log_prob(z)
        return {"loss": rec + self.beta * kl, "reconstruction": rec, "kl": kl}

    def reconstruct(self, x):
        mu, _ = self.encode(x)
        z, _ = self.sample_posterior(x, tf.zeros_like(mu))
        return self.likelihood.mean(self.decode(z))
