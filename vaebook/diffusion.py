"""The fixed encoder of a diffusion model, framework-free (NumPy): schedules and Gaussians.

A denoising diffusion model (Sohl-Dickstein et al., 2015; Ho et al., 2020) is a
hierarchical VAE with T latent layers x_1 ... x_T of the data's size whose encoder is
fixed: q(x_t | x_{t-1}) = N(sqrt(1 - beta_t) x_{t-1}, beta_t I). Everything about that
encoder follows from the noise schedule beta_1 ... beta_T, and none of it is a tensor
operation, so it lives here once; the framework models (``vaebook.torch.DDPM``,
``vaebook.tensorflow.DDPM``) read their coefficients from a :class:`NoiseSchedule`.

Indexing: every per-step array has length T + 1 and is indexed by the step t itself,
so ``schedule.alpha_bar[t]`` is alpha-bar_t as the papers write it. Entry 0 is the
data (beta_0 = 0, alpha-bar_0 = 1); entries that are undefined at t = 0 (or t = 1)
hold NaN, so that using them shows at once.

Chapter 9 introduces this module.
"""

from __future__ import annotations

import math

import numpy as np

from . import _validate as check

__all__ = ["NoiseSchedule", "noise_schedule", "time_embedding", "ideal_bound_terms", "SCHEDULES",
           "DDPMSpec"]

SCHEDULES = ("linear", "cosine")
"""The named schedules :func:`noise_schedule` builds."""


def _steps_arg(func: str, t, T: int, low: int) -> np.ndarray:
    """``t`` as an int array with every entry in [low, T], or a ValueError naming ``t``."""
    arr = np.asarray(t)
    if arr.dtype.kind not in "iu" or arr.size == 0 or arr.min() < low or arr.max() > T:
        raise ValueError(
            f"{func}: argument `t` must be an integer step (or an array of them) in "
            f"[{low}, {T}]; got {t!r}."
        )
    return arr.astype(np.int64)


def _per_example(coef: np.ndarray, x: np.ndarray) -> np.ndarray:
    """A coefficient per step, shaped to broadcast against ``x`` (B, ...): scalar or (B, 1, ...)."""
    coef = np.asarray(coef, dtype=np.float64)
    if coef.ndim == 0:
        return coef
    return coef.reshape(coef.shape + (1,) * (x.ndim - coef.ndim))


class NoiseSchedule:
    """The forward (noising) process of a diffusion model, from its schedule beta_1 ... beta_T.

    q(x_t | x_{t-1}) = N(sqrt(alpha_t) x_{t-1}, beta_t I), alpha_t = 1 - beta_t, has the
    closed-form marginal q(x_t | x_0) = N(sqrt(alpha_bar_t) x_0, (1 - alpha_bar_t) I),
    alpha_bar_t = alpha_1 ... alpha_t, and the posterior q(x_{t-1} | x_t, x_0) =
    N(c0_t x_0 + ct_t x_t, beta_tilde_t I) with

    * ``c0_t = sqrt(alpha_bar_{t-1}) beta_t / (1 - alpha_bar_t)``,
    * ``ct_t = sqrt(alpha_t) (1 - alpha_bar_{t-1}) / (1 - alpha_bar_t)``,
    * ``beta_tilde_t = (1 - alpha_bar_{t-1}) beta_t / (1 - alpha_bar_t)``.

    Args:
        betas: beta_1 ... beta_T, shape (T,), each in (0, 1).

    Attributes (NumPy float64 arrays of length T + 1, indexed by the step t):
        beta, alpha, alpha_bar: beta_0 = 0, alpha_0 = alpha_bar_0 = 1.
        posterior_var: beta_tilde_t (0 at t = 1: x_0 is then known; NaN at t = 0).
        posterior_coef_x0, posterior_coef_xt: c0_t and ct_t (NaN at t = 0).
        snr: the signal-to-noise ratio alpha_bar_t / (1 - alpha_bar_t) (inf at t = 0).

    Raises:
        ValueError: if ``betas`` is empty, not one-dimensional, or has an entry outside (0, 1).

    Introduced in chapter 9.
    """

    def __init__(self, betas):
        b = np.asarray(betas, dtype=np.float64)
        if b.ndim != 1 or b.size == 0 or not np.all(np.isfinite(b)) or b.min() <= 0 \
                or b.max() >= 1:
            lo, hi = (float(b.min()), float(b.max())) if b.size else (math.nan, math.nan)
            raise ValueError(
                "NoiseSchedule: argument `betas` must be a one-dimensional array of "
                f"beta_1 ... beta_T, each in (0, 1); got shape {b.shape} with values in "
                f"[{lo:.4g}, {hi:.4g}]."
            )
        self.T = int(b.size)
        self.beta = np.concatenate([[0.0], b])
        self.alpha = 1.0 - self.beta
        self.alpha_bar = np.cumprod(self.alpha)
        prev = np.concatenate([[np.nan], self.alpha_bar[:-1]])  # alpha_bar_{t-1}
        with np.errstate(divide="ignore", invalid="ignore"):
            one_minus = 1.0 - self.alpha_bar  # 0 at t = 0
            self.posterior_var = (1.0 - prev) * self.beta / one_minus
            self.posterior_coef_x0 = np.sqrt(prev) * self.beta / one_minus
            self.posterior_coef_xt = np.sqrt(self.alpha) * (1.0 - prev) / one_minus
            self.snr = self.alpha_bar / one_minus
        self.posterior_var[0] = self.posterior_coef_x0[0] = self.posterior_coef_xt[0] = np.nan
        for arr in (self.beta, self.alpha, self.alpha_bar, self.posterior_var,
                    self.posterior_coef_x0, self.posterior_coef_xt, self.snr):
            arr.setflags(write=False)

    def __repr__(self) -> str:
        return (f"NoiseSchedule(T={self.T}, beta_1={self.beta[1]:.3g}, beta_T={self.beta[-1]:.3g}, "
                f"alpha_bar_T={self.alpha_bar[-1]:.3g})")

    # ------------------------------------------------------------------ the three Gaussians
    def step(self, x_prev, t) -> tuple[np.ndarray, np.ndarray]:
        """Mean and variance of q(x_t | x_{t-1}): ``(sqrt(alpha_t) x_prev, beta_t)``.

        Args:
            x_prev: x_{t-1}, shape (B, ...).
            t: the step, an int in [1, T] or an array of B of them.

        Returns:
            ``(mean, var)``: the mean of ``x_prev``'s shape; the variance (a scalar, or
            shape (B, 1, ...) for an array of steps), the same in every dimension.
        """
        x_prev = np.asarray(x_prev, dtype=np.float64)
        t = _steps_arg("NoiseSchedule.step", t, self.T, 1)
        return (_per_example(np.sqrt(self.alpha[t]), x_prev) * x_prev,
                _per_example(self.beta[t], x_prev))

    def marginal(self, x0, t) -> tuple[np.ndarray, np.ndarray]:
        """Mean and variance of q(x_t | x_0): ``(sqrt(alpha_bar_t) x0, 1 - alpha_bar_t)``.

        Args:
            x0: data, shape (B, ...).
            t: the step, an int in [0, T] (0 gives x0 with variance 0) or B of them.

        Returns:
            ``(mean, var)`` as for :meth:`step`.
        """
        x0 = np.asarray(x0, dtype=np.float64)
        t = _steps_arg("NoiseSchedule.marginal", t, self.T, 0)
        return (_per_example(np.sqrt(self.alpha_bar[t]), x0) * x0,
                _per_example(1.0 - self.alpha_bar[t], x0))

    def posterior(self, x0, xt, t) -> tuple[np.ndarray, np.ndarray]:
        """Mean and variance of q(x_{t-1} | x_t, x_0): ``(c0_t x0 + ct_t xt, beta_tilde_t)``.

        Args:
            x0: data, shape (B, ...).
            xt: x_t, the same shape.
            t: the step, an int in [1, T] or B of them (at t = 1 the mean is x0 and the
                variance 0).

        Returns:
            ``(mean, var)`` as for :meth:`step`.

        Raises:
            ValueError: if the shapes differ or ``t`` is out of range.
        """
        x0, xt = np.asarray(x0, dtype=np.float64), np.asarray(xt, dtype=np.float64)
        if x0.shape != xt.shape:
            raise ValueError(f"NoiseSchedule.posterior: arguments `x0` and `xt` must have the "
                             f"same shape; got {x0.shape} and {xt.shape}.")
        t = _steps_arg("NoiseSchedule.posterior", t, self.T, 1)
        mean = (_per_example(self.posterior_coef_x0[t], x0) * x0
                + _per_example(self.posterior_coef_xt[t], x0) * xt)
        return mean, _per_example(self.posterior_var[t], x0)

    def sample_marginal(self, x0, t, seed: int = 0) -> np.ndarray:
        """One draw x_t ~ q(x_t | x_0), as ``sqrt(alpha_bar_t) x0 + sqrt(1 - alpha_bar_t) eps``.

        Args:
            x0: data, shape (B, ...).
            t: the step, an int in [0, T] or B of them.
            seed: seeds eps ~ N(0, I) (NumPy's default generator).
        """
        mean, var = self.marginal(x0, t)
        return mean + np.sqrt(var) * np.random.default_rng(seed).standard_normal(mean.shape)

    # ------------------------------------------------------------------ the ELBO's weights
    def elbo_weight(self, reverse_var: str = "posterior") -> np.ndarray:
        """lambda_t: the weight that makes ``lambda_t ||eps - eps_theta||^2`` the ELBO's term L_{t-1}.

        With the reverse step p(x_{t-1} | x_t) = N(mu_theta, sigma_t^2 I) and mu_theta written
        through a noise prediction eps_theta, KL(q(x_{t-1} | x_t, x_0) || p(x_{t-1} | x_t)) =
        lambda_t ||eps - eps_theta||^2 + c_t with
        ``lambda_t = beta_t**2 / (2 sigma_t**2 alpha_t (1 - alpha_bar_t))`` (Ho et al., 2020,
        eq. 12) and c_t a constant of the schedule alone (see :meth:`elbo_constant`). With
        sigma_t^2 = beta_tilde_t (``"posterior"``) c_t = 0 and lambda_t =
        (SNR(t-1) / SNR(t) - 1) / 2 (Kingma et al., 2021).

        Args:
            reverse_var: ``"posterior"`` (sigma_t^2 = beta_tilde_t) or ``"beta"`` (beta_t).

        Returns:
            Array of length T + 1; entries 0 and 1 are NaN (t = 1 is the decoder's term).
        """
        var = self._reverse_var("NoiseSchedule.elbo_weight", reverse_var)
        with np.errstate(divide="ignore", invalid="ignore"):
            lam = self.beta**2 / (2.0 * var * self.alpha * (1.0 - self.alpha_bar))
        lam[:2] = np.nan
        return lam

    def elbo_constant(self, reverse_var: str = "posterior") -> np.ndarray:
        """c_t per data dimension: the part of L_{t-1} no network can change.

        ``c_t = (log(sigma_t**2 / beta_tilde_t) + beta_tilde_t / sigma_t**2 - 1) / 2``, the KL
        between two Gaussians of equal means and variances beta_tilde_t and sigma_t^2;
        0 for ``"posterior"``. Multiply by D for a D-dimensional x.

        Args:
            reverse_var: ``"posterior"`` or ``"beta"``, as in :meth:`elbo_weight`.

        Returns:
            Array of length T + 1; entries 0 and 1 are NaN.
        """
        var = self._reverse_var("NoiseSchedule.elbo_constant", reverse_var)
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = self.posterior_var / var
            c = 0.5 * (ratio - 1.0 - np.log(ratio))
        c[:2] = np.nan
        return c

    def _reverse_var(self, func: str, reverse_var: str) -> np.ndarray:
        if reverse_var == "posterior":
            return np.asarray(self.posterior_var)
        if reverse_var == "beta":
            return np.asarray(self.beta)
        raise ValueError(f"{func}: argument `reverse_var` must be one of ('posterior', 'beta'); "
                         f"got {reverse_var!r}.")

    def binary_pixel_bound(self, p: float = 0.5) -> dict:
        """The negative ELBO, term by term, of the best reverse means for one binary pixel.

        A lone pixel x that is 1 with probability ``p`` (y_0 = 2x - 1), and the reverse
        chain whose every mean uses the exact E[x_0 | x_t] (Bayes' rule: tanh(sqrt(alpha_bar_t)
        x_t / (1 - alpha_bar_t) + log(p / (1 - p)) / 2)), with the variances of
        :class:`vaebook.torch.DDPM`. What this -ELBO exceeds the pixel's entropy
        H(p) = -p log p - (1 - p) log(1 - p) by is the bound's own gap at this schedule:
        the loss of Gaussian reverse steps, which no network removes (for pixels on their
        own; neighbouring pixels can make x_0 more certain). Computed by quadrature over
        the noise, no sampling.

        Args:
            p: the pixel's probability of being 1, in (0, 1).

        Returns:
            ``{"reconstruction": L_0, "diffusion": array of L_{t-1} for t = 2 ... T,
            "prior": L_T}``, expected values in nats per pixel.
        """
        if not (isinstance(p, int | float) and 0 < p < 1):
            raise ValueError(f"NoiseSchedule.binary_pixel_bound: argument `p` must be a number "
                             f"in (0, 1); got {p!r}.")
        return _binary_bound_terms(self, float(p))

    def prior_kl(self, x0) -> np.ndarray:
        """KL(q(x_T | x_0) || N(0, I)) per example, summed over dimensions: shape (B,), nats.

        The ELBO's term L_T: no parameter changes it, and a schedule whose alpha_bar_T is
        near 0 makes it small.
        """
        x0 = np.asarray(x0, dtype=np.float64)
        if x0.ndim < 2:
            raise ValueError(f"NoiseSchedule.prior_kl: argument `x0` must have shape (B, ...); "
                             f"got shape {x0.shape}.")
        ab = self.alpha_bar[-1]
        per_dim = 0.5 * (ab * x0**2 + (1.0 - ab) - 1.0 - np.log1p(-ab))
        return per_dim.reshape(len(x0), -1).sum(axis=1)


def _binary_bound_terms(schedule: NoiseSchedule, p: float, n: int = 4001) -> dict:
    """:meth:`NoiseSchedule.binary_pixel_bound` by quadrature over eps on [-10, 10]."""
    from scipy.stats import norm

    z = np.linspace(-10.0, 10.0, n)
    w = norm.pdf(z) * (z[1] - z[0])
    x0 = np.array([-1.0, 1.0])[:, None]          # the two values of y_0 = 2x - 1
    prob = np.array([1.0 - p, p])
    half_logit = 0.5 * math.log(p / (1.0 - p))
    s = schedule
    per_step = np.zeros(s.T + 1)
    for t in range(1, s.T + 1):
        m, v = math.sqrt(s.alpha_bar[t]), 1.0 - s.alpha_bar[t]
        xt = m * x0 + math.sqrt(v) * z           # (2, n): x_t given each x_0
        x0_hat = np.tanh(m * xt / v + half_logit)  # E[x_0 | x_t], Bayes' rule
        if t == 1:
            a = x0_hat / math.sqrt(s.beta[1])
            term = -norm.logcdf(x0 * a)          # -log Phi(+-a): the decoder's two bins
        else:
            term = (s.posterior_coef_x0[t] ** 2 * (x0 - x0_hat) ** 2
                    / (2.0 * s.posterior_var[t]))
        per_step[t] = float(prob @ (term @ w))
    ab = s.alpha_bar[-1]
    prior = float(prob @ (0.5 * (ab * x0[:, 0] ** 2 + (1.0 - ab) - 1.0 - math.log1p(-ab))))
    return {"reconstruction": per_step[1], "diffusion": per_step[2:], "prior": prior}


def ideal_bound_terms(schedule: NoiseSchedule, x0, posterior_mean, seed: int = 0) -> dict:
    """The negative ELBO, term by term, of the reverse chain with the best means there are.

    For real-valued data whose E[x_0 | x_t] is known (``posterior_mean``), the model whose
    reverse step t has mean c0_t E[x_0 | x_t] + ct_t x_t and variance beta_tilde_t, and
    whose decoder p(x_0 | x_1) is N(E[x_0 | x_1], beta_1 I), as in
    :class:`vaebook.torch.DDPM` with ``likelihood="gaussian"``. No network can have
    better means, so the gap between its bound and the data's log-density is the loss
    of Gaussian steps at this schedule; a trained model's bound falls short of it by its
    network's error. One draw of x_t ~ q(x_t | x_0) per example and step.

    Args:
        schedule: the :class:`NoiseSchedule`.
        x0: data, shape (B, D).
        posterior_mean: ``posterior_mean(x_t, alpha_bar_t) -> E[x_0 | x_t]``, shapes (B, D),
            e.g. :meth:`vaebook.toy.GaussianRing.posterior_mean`.
        seed: seeds the noise.

    Returns:
        ``{"reconstruction": (B,), "diffusion": (B, T - 1), "prior": (B,)}`` in nats, as
        :meth:`vaebook.torch.DDPM.elbo_terms`.

    Introduced in chapter 9.
    """
    x0 = np.asarray(x0, dtype=np.float64)
    if x0.ndim != 2:
        raise ValueError(f"ideal_bound_terms: argument `x0` must have shape (B, D); got "
                         f"shape {x0.shape}.")
    s, rng = schedule, np.random.default_rng(seed)
    per_step = np.zeros((len(x0), s.T))
    for t in range(1, s.T + 1):
        ab = float(s.alpha_bar[t])
        xt = math.sqrt(ab) * x0 + math.sqrt(1.0 - ab) * rng.standard_normal(x0.shape)
        sq = ((x0 - np.asarray(posterior_mean(xt, ab))) ** 2).sum(axis=1)
        if t == 1:
            d = x0.shape[1]
            per_step[:, 0] = 0.5 * sq / s.beta[1] + 0.5 * d * math.log(2 * math.pi * s.beta[1])
        else:
            # c0_t^2 ||x_0 - E[x_0|x_t]||^2 / (2 beta_tilde_t): the two means differ by c0_t times that.
            per_step[:, t - 1] = s.posterior_coef_x0[t] ** 2 * sq / (2.0 * s.posterior_var[t])
    return {"reconstruction": per_step[:, 0], "diffusion": per_step[:, 1:],
            "prior": s.prior_kl(x0)}


def noise_schedule(kind: str = "linear", steps: int = 1000, beta_start: float | None = None,
                   beta_end: float | None = None) -> NoiseSchedule:
    """A named noise schedule of ``steps`` steps.

    * ``"linear"`` (Ho et al., 2020): beta_t rises linearly from ``beta_start`` to
      ``beta_end``. Their values for T = 1000 are 1e-4 and 0.02; the defaults scale both
      by 1000 / T, so that a shorter schedule adds about as much noise in total
      (Nichol & Dhariwal, 2021 do the same). Below T = 21 give ``beta_end`` yourself.
    * ``"cosine"`` (Nichol & Dhariwal, 2021): alpha_bar_t = f(t) / f(0) with
      f(t) = cos^2(pi/2 (t/T + s) / (1 + s)), s = 0.008, and beta_t clipped at 0.999.

    Args:
        kind: one of :data:`SCHEDULES`.
        steps: T, a positive integer.
        beta_start, beta_end: the linear schedule's first and last beta (None: the scaled
            defaults); not used by ``"cosine"``.

    Returns:
        A :class:`NoiseSchedule`.

    Raises:
        ValueError: for an unknown kind, a non-positive ``steps``, or betas outside (0, 1).

    Introduced in chapter 9.
    """
    if kind not in SCHEDULES:
        raise ValueError(f"noise_schedule: argument `kind` must be one of {SCHEDULES}; "
                         f"got {kind!r}.")
    if isinstance(steps, bool) or not isinstance(steps, int | np.integer) or steps < 1:
        raise ValueError(f"noise_schedule: argument `steps` must be a positive integer; "
                         f"got {steps!r}.")
    steps = int(steps)
    if kind == "cosine":
        s = 0.008
        f = np.cos(0.5 * np.pi * (np.arange(steps + 1) / steps + s) / (1 + s)) ** 2
        ab = f / f[0]
        return NoiseSchedule(np.minimum(1.0 - ab[1:] / ab[:-1], 0.999))
    scale = 1000.0 / steps
    start = 1e-4 * scale if beta_start is None else beta_start
    end = 0.02 * scale if beta_end is None else beta_end
    for name, value in (("beta_start", start), ("beta_end", end)):
        if not (isinstance(value, int | float) and 0 < value < 1):
            raise ValueError(
                f"noise_schedule: argument `{name}` must be a number in (0, 1); got {value!r}"
                + (f" (the default scaled to steps={steps}: pass it explicitly)"
                   if (name == "beta_end" and beta_end is None)
                   or (name == "beta_start" and beta_start is None) else "") + ".")
    return NoiseSchedule(np.linspace(start, end, steps))


def time_embedding(t, dim: int, steps: int) -> np.ndarray:
    """Sinusoidal features of the step t (Vaswani et al., 2017; Ho et al., 2020), float32.

    The step is first put on the 0 ... 1000 scale of a 1000-step schedule, s = 1000 t / T,
    so that the features of a shorter schedule span the same range; then
    ``[sin(s w_0), ..., sin(s w_{h-1}), cos(s w_0), ..., cos(s w_{h-1})]`` with
    h = dim / 2 and w_k = 10000 ** (-k / h).

    Args:
        t: steps, an int or an integer array of shape (B,), in [0, steps].
        dim: the number of features, a positive even integer.
        steps: T of the schedule.

    Returns:
        Array of shape (B, dim) (or (dim,) for an int ``t``).

    Introduced in chapter 9.
    """
    if isinstance(dim, bool) or not isinstance(dim, int) or dim < 2 or dim % 2:
        raise ValueError(f"time_embedding: argument `dim` must be a positive even integer; "
                         f"got {dim!r}.")
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
        raise ValueError(f"time_embedding: argument `steps` must be a positive integer; "
                         f"got {steps!r}.")
    t = _steps_arg("time_embedding", t, steps, 0)
    half = dim // 2
    w = 10000.0 ** (-np.arange(half) / half)
    s = (1000.0 * t / steps)[..., None] * w
    return np.concatenate([np.sin(s), np.cos(s)], axis=-1).astype(np.float32)


class DDPMSpec:
    """Framework-free part of a DDPM's set-up: its arguments, checked, and its step tables.

    ``vaebook.torch.DDPM`` and ``vaebook.tensorflow.DDPM`` call :meth:`_set_ddpm_spec`
    and turn :attr:`_tables` into tensors: float32 arrays of length T + 1 indexed by t.
    """

    def _set_ddpm_spec(self, input_dim, schedule, hidden_dims, time_dim, likelihood,
                       loss, parameterization) -> None:
        name = type(self).__name__
        self.data_shape, self.hidden_dims = check.model_args(name, input_dim, 1, hidden_dims)
        self.input_dim = math.prod(self.data_shape)
        if schedule is None:
            schedule = noise_schedule("linear", 1000)
        if not isinstance(schedule, NoiseSchedule):
            raise ValueError(f"{name}: argument `schedule` must be a NoiseSchedule (see "
                             f"vaebook.diffusion.noise_schedule) or None; got "
                             f"{type(schedule).__name__}.")
        if schedule.T < 2:
            raise ValueError(f"{name}: argument `schedule` must have at least 2 steps; got "
                             f"T = {schedule.T}.")
        self.schedule = schedule
        self.T = schedule.T
        self.time_dim = check.even_int(name, "time_dim", time_dim)
        check.one_of(name, "likelihood", likelihood, check.DDPM_LIKELIHOODS)
        check.one_of(name, "loss", loss, check.DDPM_LOSSES)
        self.loss, self.likelihood_name = loss, likelihood
        if parameterization is None:
            parameterization = "binary_x0" if likelihood == "bernoulli" else "noise"
        check.one_of(name, "parameterization", parameterization, check.DDPM_PARAMETERIZATIONS)
        if parameterization == "binary_x0" and likelihood != "bernoulli":
            raise ValueError(f"{name}: argument `parameterization` 'binary_x0' needs binary data "
                             f"(likelihood='bernoulli'); got likelihood={likelihood!r}.")
        self.parameterization = parameterization
        s = schedule
        sigma = np.sqrt(np.nan_to_num(s.posterior_var))  # reverse sd, sigma_t^2 = beta_tilde_t
        sigma[1] = math.sqrt(s.beta[1])                  # t = 1: the decoder's sd
        with np.errstate(divide="ignore", invalid="ignore"):
            eps_coef = s.beta / np.sqrt(1.0 - s.alpha_bar)
        eps_coef[0] = 0.0
        self._tables = {
            "sqrt_ab": np.sqrt(s.alpha_bar),
            "sqrt_1mab": np.sqrt(1.0 - s.alpha_bar),
            "mean_coef": 1.0 / np.sqrt(s.alpha),
            "eps_coef": eps_coef,
            "sigma": sigma,
            "lam": np.nan_to_num(s.elbo_weight("posterior")),  # 0 where undefined (t < 2)
            # Binary data: sqrt(alpha_bar_t) / (1 - alpha_bar_t), a lone pixel's half log-odds
            # of x_0 = +1 per unit of x_t (Bayes' rule); 0 at t = 0, where it is not used.
            "skip": np.concatenate([[0.0], np.sqrt(s.alpha_bar[1:]) / (1.0 - s.alpha_bar[1:])]),
        }
        self._tables["embedding"] = time_embedding(np.arange(self.T + 1), self.time_dim, self.T)
        self._tables = {k: v.astype(np.float32) for k, v in self._tables.items()}
        # L_T in closed form needs alpha_bar_T and log(1 - alpha_bar_T) in float64.
        self._ab_T = float(s.alpha_bar[-1])
        self._log_1mab_T = float(np.log1p(-s.alpha_bar[-1]))
        self._decoder_logvar = float(np.log(s.beta[1]))
        self._data_checked = False
