"""A two-level VAE with a top-down inference path, in TensorFlow (chapter 9).

The same model as :mod:`vaebook.torch.hierarchical`, as a subclassed ``keras.Model``:
p(z2) p(z1 | z2) p(x | z1), inferred top down with q(z2 | x) q(z1 | x, z2).
"""

from __future__ import annotations

from .. import _validate as check
from .._docs import documented
from ._util import normal, tf
from .losses import _gaussian_kl, _log_normal_diag, _reparameterize
from .models import _Model, mlp

__all__ = ["TwoLevelVAE"]


def _kl_diag(mu_q, logvar_q, mu_p, logvar_p):
    """KL(N(mu_q, diag e^logvar_q) || N(mu_p, diag e^logvar_p)), summed over the last axis."""
    return 0.5 * tf.reduce_sum(logvar_p - logvar_q + (tf.exp(logvar_q) + (mu_q - mu_p) ** 2)
                               * tf.exp(-logvar_p) - 1.0, axis=-1)


@documented("TwoLevelVAE")
class TwoLevelVAE(_Model):
    def __init__(self, input_dim, latent_dims=(16, 4), hidden_dims=(256, 128),
                 likelihood="bernoulli", obs_logvar=0.0):
        d1, d2 = check.latent_pair("TwoLevelVAE", latent_dims)
        super().__init__(input_dim, d1 + d2, hidden_dims, likelihood, obs_logvar)
        self.latent_dims = (d1, d2)
        h, D = list(self.hidden_dims), self.input_dim
        self.encoder_z2 = mlp([D, *h, 2 * d2], "encoder_z2")             # q(z2 | x)
        self.encoder_z1 = mlp([D + d2, *h, 2 * d1], "encoder_z1")        # q(z1 | x, z2)
        self.prior_z1_net = mlp([d2, *reversed(h), 2 * d1], "prior_z1")  # p(z1 | z2)
        self.decoder = mlp([d1, *reversed(h), D], "decoder")             # p(x | z1)

    def posterior_z2(self, x):
        x = self._input(x, "TwoLevelVAE.posterior_z2")
        mu, logvar = tf.split(self.encoder_z2(x), 2, axis=1)
        return mu, logvar

    def posterior_z1(self, x, z2):
        x = self._input(x, "TwoLevelVAE.posterior_z1")
        z2 = tf.cast(z2, x.dtype)
        mu, logvar = tf.split(self.encoder_z1(tf.concat([x, z2], axis=1)), 2, axis=1)
        return mu, logvar

    def prior_z1(self, z2):
        z2 = tf.cast(z2, tf.float32)
        mu, logvar = tf.split(self.prior_z1_net(z2), 2, axis=1)
        return mu, logvar

    def call(self, x):
        return self.decode(self._ancestral(x)[2])

    def _ancestral(self, x, eps2=None, eps1=None):
        """Posterior parameters and samples, top down: (mu2, lv2, z1, z2, mu1, lv1)."""
        mu2, lv2 = self.posterior_z2(x)
        z2 = _reparameterize(mu2, lv2, eps2)
        mu1, lv1 = self.posterior_z1(x, z2)
        z1 = _reparameterize(mu1, lv1, eps1)
        return mu2, lv2, z1, z2, mu1, lv1

    def loss_terms(self, x):
        x = self._checked(x, "TwoLevelVAE.loss_terms")
        mu2, lv2, z1, z2, mu1, lv1 = self._ancestral(x)
        rec = -self.log_px_given_z(x, z1)
        kl_z2 = _gaussian_kl(mu2, lv2)
        kl_z1 = _kl_diag(mu1, lv1, *self.prior_z1(z2))
        kl = kl_z2 + kl_z1
        return {"loss": rec + kl, "reconstruction": rec, "kl_z2": kl_z2, "kl_z1": kl_z1,
                "kl": kl}

    def elbo(self, x):
        terms = self.loss_terms(x)
        return -(terms["reconstruction"] + terms["kl"])

    def log_weight(self, x, eps):
        x = self._input(x, "TwoLevelVAE.log_weight")
        d1, d2 = self.latent_dims
        eps = tf.cast(tf.convert_to_tensor(eps), x.dtype)
        check.same_shape("TwoLevelVAE.log_weight", "eps", tuple(eps.shape), "(B, d1 + d2)",
                         (x.shape[0], d1 + d2))
        mu2, lv2, z1, z2, mu1, lv1 = self._ancestral(x, eps[:, :d2], eps[:, d2:])
        log_p = (self.log_px_given_z(x, z1) + _log_normal_diag(z1, *self.prior_z1(z2))
                 + _log_normal_diag(z2, tf.zeros_like(z2), tf.zeros_like(z2)))
        log_q = _log_normal_diag(z2, mu2, lv2) + _log_normal_diag(z1, mu1, lv1)
        return log_p - log_q

    def sample(self, n: int, seed: int | None = None):
        n = check.positive_int("TwoLevelVAE.sample", "n", n)
        d1, d2 = self.latent_dims
        eps = normal([n, d2 + d1], seed, "TwoLevelVAE.sample")
        z2 = eps[:, :d2]
        z1 = _reparameterize(*self.prior_z1(z2), eps[:, d2:])
        return self.likelihood.mean(self.decode(z1))

    def reconstruct(self, x):
        mu2, _ = self.posterior_z2(x)
        mu1, _ = self.posterior_z1(x, mu2)
        return self.likelihood.mean(self.decode(mu1))
