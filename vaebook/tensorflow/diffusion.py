"""A denoising diffusion model (Ho et al., 2020) as a hierarchical VAE, in TensorFlow (chapter 9).

The same model as :mod:`vaebook.torch.diffusion`, as a subclassed ``keras.Model``. Its
steps (the noise network on a batch, one sampling step) are ``tf.function``s traced
once per model and shape.
"""

from __future__ import annotations

import math

import numpy as np

from .. import _validate as check
from .._docs import documented
from ..diffusion import DDPMSpec
from ._util import keras, tf
from .distributions import Bernoulli, Gaussian
from .models import _Model, mlp

__all__ = ["DDPM"]

_ROWS_PER_PASS = 1 << 14  # network rows per pass when the ELBO is summed over all steps
_LOG_SQRT_2PI = 0.5 * math.log(2.0 * math.pi)


def _log_ndtr(a):
    """log Phi(a), elementwise: erfc where float32 holds it, the asymptotic series below -10."""
    lo, hi = tf.minimum(a, -10.0), tf.maximum(a, -10.0)
    direct = tf.math.log(0.5 * tf.math.erfc(-hi / math.sqrt(2.0)))
    inv = 1.0 / (lo * lo)
    series = (-0.5 / inv - tf.math.log(-lo) - _LOG_SQRT_2PI
              + tf.math.log1p(inv * (-1.0 + inv * (3.0 + inv * (-15.0 + 105.0 * inv)))))
    return tf.where(a < -10.0, series, direct)


def _noise(shape, seed: int | None, counter: int):
    """Standard-normal noise: stateless from (seed, counter), or the global stream."""
    if seed is None:
        return tf.random.normal(shape)
    return tf.random.stateless_normal(shape, seed=[seed, counter])


@documented("DDPM")
class DDPM(DDPMSpec, keras.Model):
    def __init__(self, input_dim, schedule=None, hidden_dims=(256, 256), time_dim=32,
                 likelihood="bernoulli", loss="simple", parameterization=None):
        keras.Model.__init__(self)
        self._set_ddpm_spec(input_dim, schedule, hidden_dims, time_dim, likelihood, loss,
                            parameterization)
        self.net = mlp([self.input_dim + self.time_dim, *self.hidden_dims, self.input_dim],
                       "noise_net", activation="silu")
        self._tab = {key: tf.constant(arr) for key, arr in self._tables.items()}
        self.likelihood = (Bernoulli() if likelihood == "bernoulli"
                           else Gaussian(logvar=self._decoder_logvar))
        self._terms_fn = tf.function(self._terms, reduce_retracing=True)
        self._step_fn = tf.function(self._reverse_step, reduce_retracing=True)
        self._final_fn = tf.function(self._final_step, reduce_retracing=True)

    # Input handling as for every model of the book (shape, dtype, support).
    _input = _Model._input
    _checked = _Model._checked
    _unflatten = _Model._unflatten

    # ------------------------------------------------------------------ pieces
    def _to_model(self, x):
        return 2.0 * x - 1.0 if self.likelihood_name == "bernoulli" else x

    def _at(self, key: str, t):
        """The table ``key`` at steps t (B,), as a column (B, 1)."""
        return tf.gather(self._tab[key], t)[:, None]

    def _steps(self, func: str, t, b: int):
        """``t`` (an int or B of them) as an int32 tensor of shape (B,), checked."""
        if isinstance(t, tf.Tensor | tf.Variable | np.ndarray):
            arr = np.asarray(t)
            if arr.shape not in ((), (b,)):
                raise ValueError(f"{func}: argument `t` must be one step or {b} of them; "
                                 f"got shape {arr.shape}.")
            if arr.shape == ():
                return tf.fill([b], check.diffusion_step(func, arr[()], self.T))
            for s in np.unique(arr):
                check.diffusion_step(func, s, self.T)
            return tf.constant(arr.astype(np.int32))
        return tf.fill([b], check.diffusion_step(func, t, self.T))

    def _net(self, y, t):
        """eps_theta(y_t, t): the network's output, or (binary_x0) the noise its x_0 implies."""
        out = self.net(tf.concat([y, tf.gather(self._tab["embedding"], t)], axis=1))
        if self.parameterization == "noise":
            return out
        x0 = tf.tanh(out + self._at("skip", t) * y)
        return (y - self._at("sqrt_ab", t) * x0) / self._at("sqrt_1mab", t)

    def _x0_pred(self, y, e, t):
        """The data the noise prediction implies: (y_t - sqrt(1 - alpha_bar_t) e) / sqrt(alpha_bar_t)."""
        return (y - self._at("sqrt_1mab", t) * e) / self._at("sqrt_ab", t)

    def _decoder_out(self, m):
        """The decoder p(x_0 | x_1) as its likelihood's parameters (logits of Phi(m / sd_1), or m)."""
        if self.likelihood_name == "bernoulli":
            a = m / self._tab["sigma"][1]
            return _log_ndtr(a) - _log_ndtr(-a)
        return m

    def _prior_kl(self, y0):
        ab = self._ab_T
        return 0.5 * tf.reduce_sum(ab * tf.square(y0) + (1.0 - ab) - 1.0 - self._log_1mab_T,
                                   axis=1)

    def _terms(self, x, y0, t, eps):
        """Per row: the ELBO term of step t at noise eps (L_0 at t = 1, else L_{t-1}), and
        the noise loss ||eps - eps_theta||^2."""
        yt = self._at("sqrt_ab", t) * y0 + self._at("sqrt_1mab", t) * eps
        e = self._net(yt, t)
        mse = tf.reduce_sum(tf.square(eps - e), axis=1)
        term = tf.gather(self._tab["lam"], t) * mse
        rec = -self.likelihood.log_prob(self._decoder_out(self._x0_pred(yt, e, t)), x)
        return tf.where(t == 1, rec, term), mse

    def _reverse_step(self, y, t, z):
        """x_{t-1} = mu_theta(x_t, t) + sigma_t z, for one step t (a scalar) and a batch y."""
        tv = tf.fill([tf.shape(y)[0]], t)
        mean = tf.gather(self._tab["mean_coef"], t) * (
            y - tf.gather(self._tab["eps_coef"], t) * self._net(y, tv))
        return mean + tf.gather(self._tab["sigma"], t) * z

    def _final_step(self, y):
        tv = tf.ones([tf.shape(y)[0]], tf.int32)
        return self.likelihood.mean(self._decoder_out(self._x0_pred(y, self._net(y, tv), tv)))

    # ------------------------------------------------------------------ public
    def predict_noise(self, x_t, t):
        y = self._input(x_t, "DDPM.predict_noise", "x_t")
        return tf.reshape(self._net(y, self._steps("DDPM.predict_noise", t, int(y.shape[0]))),
                          tf.shape(x_t))

    def reverse_mean(self, x_t, t):
        y = self._input(x_t, "DDPM.reverse_mean", "x_t")
        tv = self._steps("DDPM.reverse_mean", t, int(y.shape[0]))
        mean = self._at("mean_coef", tv) * (y - self._at("eps_coef", tv) * self._net(y, tv))
        return tf.reshape(mean, tf.shape(x_t))

    def call(self, x_t, t):
        return self._net(x_t, t)

    def loss_terms(self, x):
        x = self._checked(x, "DDPM.loss_terms")
        y0 = self._to_model(x)
        b = tf.shape(x)[0]
        t = tf.random.uniform([b], 1, self.T + 1, dtype=tf.int32)
        eps = tf.random.normal(tf.shape(y0))
        term, mse = self._terms(x, y0, t, eps)
        loss = mse if self.loss == "simple" else self.T * term + self._prior_kl(y0)
        return {"loss": loss, "noise_mse": mse}

    def elbo_term(self, x, t, eps):
        x = self._checked(x, "DDPM.elbo_term")
        eps = self._input(eps, "DDPM.elbo_term", "eps")
        check.same_shape("DDPM.elbo_term", "eps", tuple(eps.shape), "x", tuple(x.shape))
        check.finite_range("DDPM.elbo_term", "eps", float(tf.reduce_min(eps)),
                           float(tf.reduce_max(eps)))
        term, _ = self._terms_fn(x, self._to_model(x),
                                 self._steps("DDPM.elbo_term", t, int(x.shape[0])), eps)
        return term

    def elbo_terms(self, x, seed: int | None = None):
        x = self._checked(x, "DDPM.elbo_terms")
        seed = check.seed("DDPM.elbo_terms", seed, allow_none=True)
        y0 = self._to_model(x)
        b, d, T = int(x.shape[0]), self.input_dim, self.T
        chunk = max(1, _ROWS_PER_PASS // b)
        columns = []
        for i, start in enumerate(range(1, T + 1, chunk)):
            k = min(chunk, T + 1 - start)
            eps = tf.reshape(_noise([k, b, d], seed, i), [k * b, d])
            t = tf.repeat(tf.range(start, start + k, dtype=tf.int32), b)
            term, _ = self._terms_fn(tf.tile(x, [k, 1]), tf.tile(y0, [k, 1]), t, eps)
            columns.append(tf.transpose(tf.reshape(term, [k, b])))
        per_step = tf.concat(columns, axis=1)
        return {"reconstruction": per_step[:, 0], "diffusion": per_step[:, 1:],
                "prior": self._prior_kl(y0)}

    def elbo(self, x, seed: int | None = None):
        terms = self.elbo_terms(x, seed)
        return -(terms["reconstruction"] + tf.reduce_sum(terms["diffusion"], axis=1)
                 + terms["prior"])

    def _chain(self, func: str, n, seed, times):
        n = check.positive_int(func, "n", n)
        seed = check.seed(func, seed, allow_none=True)
        d = self.input_dim
        y = _noise([n, d], seed, 0)
        kept = {}
        for t in range(self.T, 1, -1):
            if t in times:
                kept[t] = self._unflatten(y)
            y = self._step_fn(y, tf.constant(t, tf.int32), _noise([n, d], seed, self.T + 1 - t))
        if 1 in times:
            kept[1] = self._unflatten(y)
        return self._unflatten(self._final_fn(y)), kept

    def sample(self, n: int, seed: int | None = None):
        return self._chain("DDPM.sample", n, seed, ())[0]

    def sample_steps(self, n: int, times, seed: int | None = None):
        times = check.step_times("DDPM.sample_steps", times, self.T)
        return self._chain("DDPM.sample_steps", n, seed, times)
