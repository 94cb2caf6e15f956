"""Two-dimensional toy data with a known density, framework-free (NumPy, SciPy).

A model of 2-D points can be drawn and judged against the truth: its samples beside
the data's, the share of samples near each mode, and the data's own entropy, which no
model's likelihood bound can beat on average. Chapter 9 trains a diffusion model on
:class:`GaussianRing`. Chapter 3 measures the gaps of the ELBO on :class:`Banana`, a
latent-variable model whose posterior is curved and whose evidence is known exactly.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import integrate, optimize
from scipy.special import logsumexp

__all__ = ["Banana", "GaussianRing"]


class GaussianRing:
    """An equal mixture of ``n_modes`` isotropic Gaussians evenly spaced on a circle.

    Mode k sits at ``radius * (cos(2 pi k / n_modes), sin(2 pi k / n_modes))`` with
    standard deviation ``sd`` in both coordinates. The defaults (8 modes, radius 1.4,
    sd 0.1) give each coordinate a variance of about 1 (radius**2 / 2 + sd**2), the
    scale a diffusion model's N(0, I) prior expects.

    Args:
        n_modes: the number of mixture components, a positive integer.
        radius: the circle's radius, > 0.
        sd: each component's standard deviation, > 0.

    Introduced in chapter 9.
    """

    def __init__(self, n_modes: int = 8, radius: float = 1.4, sd: float = 0.1):
        if isinstance(n_modes, bool) or not isinstance(n_modes, int) or n_modes < 1:
            raise ValueError(f"GaussianRing: argument `n_modes` must be a positive integer; "
                             f"got {n_modes!r}.")
        for name, value in (("radius", radius), ("sd", sd)):
            if not (isinstance(value, int | float) and math.isfinite(value) and value > 0):
                raise ValueError(f"GaussianRing: argument `{name}` must be a positive number; "
                                 f"got {value!r}.")
        self.n_modes, self.radius, self.sd = n_modes, float(radius), float(sd)
        angles = 2 * np.pi * np.arange(n_modes) / n_modes
        self.modes = self.radius * np.stack([np.cos(angles), np.sin(angles)], axis=1)

    def __repr__(self) -> str:
        return f"GaussianRing(n_modes={self.n_modes}, radius={self.radius}, sd={self.sd})"

    def sample(self, n: int, seed: int = 0) -> np.ndarray:
        """n points, shape (n, 2), float32; a mode drawn uniformly, then its Gaussian."""
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            raise ValueError(f"GaussianRing.sample: argument `n` must be a positive integer; "
                             f"got {n!r}.")
        rng = np.random.default_rng(seed)
        k = rng.integers(self.n_modes, size=n)
        return (self.modes[k] + self.sd * rng.standard_normal((n, 2))).astype(np.float32)

    def _points(self, func: str, x) -> np.ndarray:
        x = np.asarray(x, dtype=np.float64)
        if x.ndim != 2 or x.shape[1] != 2 or not np.all(np.isfinite(x)):
            raise ValueError(f"GaussianRing.{func}: argument `x` must be finite points of shape "
                             f"(n, 2); got shape {x.shape}.")
        return x

    def log_prob(self, x) -> np.ndarray:
        """The true log-density at each point, shape (n,), in nats."""
        x = self._points("log_prob", x)
        sq = ((x[:, None, :] - self.modes[None]) ** 2).sum(axis=2)  # (n, K)
        log_comp = -sq / (2 * self.sd**2) - math.log(2 * math.pi * self.sd**2)
        return logsumexp(log_comp, axis=1) - math.log(self.n_modes)

    def nearest_mode(self, x) -> tuple[np.ndarray, np.ndarray]:
        """For each point, the index of the nearest mode and the distance to it in units of sd.

        Returns:
            ``(index, distance)``, each of shape (n,). A point of the data is within 3 sd
            of its mode with probability 1 - exp(-9/2), about 98.9% (the 2-D Gaussian's
            radius is Rayleigh-distributed).
        """
        x = self._points("nearest_mode", x)
        dist = np.sqrt(((x[:, None, :] - self.modes[None]) ** 2).sum(axis=2))
        k = dist.argmin(axis=1)
        return k, dist[np.arange(len(x)), k] / self.sd

    def posterior_mean(self, x_t, alpha_bar: float) -> np.ndarray:
        """E[x_0 | x_t] when x_t = sqrt(alpha_bar) x_0 + sqrt(1 - alpha_bar) eps, x_0 from the ring.

        In closed form: given mode k, x_t is Gaussian with mean sqrt(alpha_bar) m_k and
        variance v = alpha_bar sd**2 + 1 - alpha_bar, and x_0 | x_t, k has mean
        m_k + sqrt(alpha_bar) sd**2 / v (x_t - sqrt(alpha_bar) m_k); the modes are weighted
        by their responsibilities for x_t (Bayes' rule). It is the mean the best denoiser
        predicts, so a diffusion model that used it at every step would have the best
        reverse means there are (chapter 9 computes that model's bound).

        Args:
            x_t: points, shape (n, 2).
            alpha_bar: the noise level, in (0, 1].

        Returns:
            Array of shape (n, 2).
        """
        x_t = self._points("posterior_mean", x_t)
        if not (isinstance(alpha_bar, int | float | np.floating) and 0 < alpha_bar <= 1):
            raise ValueError(f"GaussianRing.posterior_mean: argument `alpha_bar` must be a "
                             f"number in (0, 1]; got {alpha_bar!r}.")
        m, s2 = math.sqrt(alpha_bar), self.sd**2
        v = alpha_bar * s2 + 1.0 - alpha_bar
        diff = x_t[:, None, :] - m * self.modes[None]          # (n, K, 2)
        log_r = -(diff**2).sum(axis=2) / (2.0 * v)
        r = np.exp(log_r - logsumexp(log_r, axis=1, keepdims=True))
        mean_k = self.modes[None] + (m * s2 / v) * diff
        return (r[..., None] * mean_k).sum(axis=1)

    def entropy(self, n: int = 200_000, seed: int = 0) -> float:
        """A Monte Carlo estimate of the entropy H = -E[log p(x)], nats per point.

        E[log p_model(x)] over the data is at most -H (Gibbs' inequality), so no model's
        average log-likelihood bound on this data can exceed -H by more than Monte
        Carlo error.
        """
        return float(-self.log_prob(self.sample(n, seed)).mean())


class Banana:
    """A latent-variable model with a curved ("banana") posterior and an exact evidence.

    ``z ~ N(0, I_2)`` and, given ``z``, a scalar ``x ~ N(z_2 + curvature * z_1**2,
    noise_sd**2)``. Given ``x``, the posterior ``p(z | x)`` lies along the parabola
    ``z_2 = x - curvature * z_1**2``: no Gaussian matches it, diagonal or not. Its
    evidence ``p(x)`` is a one-dimensional integral (``z_2`` integrates out in closed
    form: ``x | z_1 ~ N(curvature * z_1**2, 1 + noise_sd**2)``), done by quadrature in
    :meth:`log_px`, and the ELBO of a diagonal Gaussian ``q`` is closed form
    (:meth:`elbo`).

    Args:
        curvature: ``a`` in the decoder's mean ``z_2 + a z_1**2``, a positive number.
        noise_sd: the decoder's standard deviation ``sigma``, a positive number.

    Introduced in chapter 3.
    """

    def __init__(self, curvature: float = 1.0, noise_sd: float = 0.3):
        for name, value in (("curvature", curvature), ("noise_sd", noise_sd)):
            if isinstance(value, bool) or not (
                isinstance(value, int | float | np.floating)
                and math.isfinite(value) and value > 0
            ):
                raise ValueError(f"Banana: argument `{name}` must be a positive finite "
                                 f"number; got {value!r}.")
        self.curvature, self.noise_sd = float(curvature), float(noise_sd)

    def __repr__(self) -> str:
        return f"Banana(curvature={self.curvature}, noise_sd={self.noise_sd})"

    def sample(self, n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
        """Draws from the joint: ``(z, x)``, shapes (n, 2) and (n,), float64."""
        if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 1:
            raise ValueError(f"Banana.sample: argument `n` must be a positive integer; "
                             f"got {n!r}.")
        rng = np.random.default_rng(seed)
        z = rng.standard_normal((int(n), 2))
        x = z[:, 1] + self.curvature * z[:, 0] ** 2 + self.noise_sd * rng.standard_normal(n)
        return z, x

    @staticmethod
    def _x(func: str, x) -> np.ndarray:
        x = np.asarray(x, dtype=np.float64)
        if x.ndim != 1 or not np.all(np.isfinite(x)):
            raise ValueError(f"Banana.{func}: argument `x` must be finite scalars of shape "
                             f"(n,); got shape {x.shape}"
                             + ("" if x.ndim != 1 else " with non-finite values") + ".")
        return x

    @staticmethod
    def _pair(func: str, name: str, value, n: int) -> np.ndarray:
        value = np.asarray(value, dtype=np.float64)
        if value.shape != (n, 2) or not np.all(np.isfinite(value)):
            raise ValueError(f"Banana.{func}: argument `{name}` must be finite, of shape "
                             f"(n, 2) = {(n, 2)} for x of shape ({n},); got shape "
                             f"{value.shape}"
                             + ("" if value.shape != (n, 2) else " with non-finite values")
                             + ".")
        return value

    def log_joint(self, x, z) -> np.ndarray:
        """``log p(x, z) = log N(z; 0, I) + log N(x; z_2 + a z_1**2, sigma**2)``.

        Args:
            x: a float, or an array broadcastable to ``z.shape[:-1]``.
            z: codes, shape (..., 2).

        Returns:
            Array of shape ``z.shape[:-1]``, in nats.
        """
        z = np.asarray(z, dtype=np.float64)
        x = np.asarray(x, dtype=np.float64)
        if z.ndim < 1 or z.shape[-1] != 2:
            raise ValueError(f"Banana.log_joint: argument `z` must have shape (..., 2); "
                             f"got shape {z.shape}.")
        try:
            np.broadcast_shapes(x.shape, z.shape[:-1])
        except ValueError:
            raise ValueError(f"Banana.log_joint: argument `x` must broadcast to "
                             f"z.shape[:-1] = {z.shape[:-1]}; got shape {x.shape}.") from None
        s2 = self.noise_sd**2
        mean = z[..., 1] + self.curvature * z[..., 0] ** 2
        log_prior = -0.5 * (2 * math.log(2 * math.pi) + (z**2).sum(axis=-1))
        return log_prior - 0.5 * (math.log(2 * math.pi * s2) + (x - mean) ** 2 / s2)

    def log_px(self, x) -> np.ndarray:
        """The exact evidence ``log p(x)`` at each point, shape (n,) for x of shape (n,).

        ``p(x) = 2 * integral over z_1 > 0 of N(z_1; 0, 1) N(x; a z_1**2, 1 + sigma**2)``,
        by adaptive quadrature (``scipy.integrate.quad``, relative tolerance 1e-12) of
        the integrand divided by its largest value, so that no ``x`` underflows.
        """
        x = self._x("log_px", x)
        a, s2 = self.curvature, 1.0 + self.noise_sd**2

        def log_f(t, xi):
            return -0.5 * (math.log(2 * math.pi) + t**2) - 0.5 * (
                math.log(2 * math.pi * s2) + (xi - a * t**2) ** 2 / s2)

        out = np.empty_like(x)
        for i, xi in enumerate(x):
            # the integrand's peak: 0, or where x - a t**2 = s2 / (2 a)
            peak = math.sqrt(max(xi - s2 / (2 * a), 0.0) / a)
            top = log_f(peak, xi)
            value, _ = integrate.quad(lambda t, xi=xi, top=top: math.exp(log_f(t, xi) - top),
                                      0.0, peak + 12.0, points=[peak] if peak > 0 else None,
                                      epsabs=0.0, epsrel=1e-12, limit=200)
            out[i] = top + math.log(2 * value)
        return out

    def elbo(self, x, mean, logvar) -> np.ndarray:
        """The ELBO of ``q = N(mean, diag exp(logvar))`` in closed form, shape (n,).

        With ``v = exp(logvar)``, ``u = z_2 + a z_1**2`` has mean
        ``m_2 + a (m_1**2 + v_1)`` and variance ``v_2 + a**2 (2 v_1**2 + 4 m_1**2 v_1)``
        under ``q``, so ``E_q[(x - u)**2]`` and the expected log-likelihood are exact;
        the KL to ``N(0, I)`` is the usual one.

        Args:
            x: observations, shape (n,).
            mean, logvar: the parameters of ``q`` for each observation, shape (n, 2).
        """
        x = self._x("elbo", x)
        m = self._pair("elbo", "mean", mean, len(x))
        v = np.exp(self._pair("elbo", "logvar", logvar, len(x)))
        a, s2 = self.curvature, self.noise_sd**2
        u_mean = m[:, 1] + a * (m[:, 0] ** 2 + v[:, 0])
        u_var = v[:, 1] + a**2 * (2 * v[:, 0] ** 2 + 4 * m[:, 0] ** 2 * v[:, 0])
        expected_ll = -0.5 * (math.log(2 * math.pi * s2) + ((x - u_mean) ** 2 + u_var) / s2)
        kl = 0.5 * (m**2 + v - 1.0 - np.log(v)).sum(axis=1)
        return expected_ll - kl

    def elbo_grad(self, x: float, params) -> tuple[float, np.ndarray]:
        """The ELBO at one scalar ``x`` and its gradient in ``params = (m_1, m_2, logvar_1,
        logvar_2)``, shape (4,), both in closed form (the derivatives of :meth:`elbo`)."""
        params = np.asarray(params, dtype=np.float64)
        if params.shape != (4,) or not np.all(np.isfinite(params)):
            raise ValueError(f"Banana.elbo_grad: argument `params` must be 4 finite numbers "
                             f"(m_1, m_2, logvar_1, logvar_2); got shape {params.shape}.")
        if not (isinstance(x, int | float | np.number) and math.isfinite(x)):
            raise ValueError(f"Banana.elbo_grad: argument `x` must be a finite number; "
                             f"got {x!r}.")
        m1, m2, l1, l2 = (float(p) for p in params)
        v1, v2 = math.exp(l1), math.exp(l2)
        a, s2 = self.curvature, self.noise_sd**2
        r = x - m2 - a * (m1**2 + v1)
        u_var = v2 + a**2 * (2 * v1**2 + 4 * m1**2 * v1)
        value = (-0.5 * (math.log(2 * math.pi * s2) + (r**2 + u_var) / s2)
                 - 0.5 * (m1**2 + m2**2 + v1 + v2 - 2.0 - l1 - l2))
        grad = np.array([
            (2 * a * m1 * r - 4 * a**2 * m1 * v1) / s2 - m1,
            r / s2 - m2,
            v1 * (a * r - 2 * a**2 * (v1 + m1**2)) / s2 - 0.5 * v1 + 0.5,
            -0.5 * v2 / s2 - 0.5 * v2 + 0.5,
        ])
        return value, grad

    def best_gaussian(self, x, gtol: float = 1e-7) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The diagonal Gaussian ``q`` of largest ELBO for each ``x``, found by BFGS.

        The ELBO is maximised (scipy's BFGS on its closed form and gradient,
        :meth:`elbo_grad`) from three starts, ``m_1`` = 0, 0.5 and 1.5 (the posterior is
        symmetric in ``z_1``, so ``m_1 = 0`` is always stationary and a second, lopsided
        optimum may beat it); the best is kept, with ``m_1 >= 0``.

        Args:
            x: observations, shape (n,).
            gtol: BFGS stops when every partial derivative is below it (or when float64
                rounding stops its progress).

        Returns:
            ``(mean, logvar, elbo)``, shapes (n, 2), (n, 2) and (n,).

        Raises:
            RuntimeError: if, for some ``x``, a partial derivative at the best point is
                still above ``100 * gtol``.
        """
        x = self._x("best_gaussian", x)
        params, values = np.empty((len(x), 4)), np.empty(len(x))
        for i, xi in enumerate(x):
            def neg(p, xi=xi):
                value, grad = self.elbo_grad(xi, p)
                return -value, -grad

            runs = [optimize.minimize(neg, [m1, xi, -1.0, -1.0], jac=True, method="BFGS",
                                      options={"gtol": gtol}) for m1 in (0.0, 0.5, 1.5)]
            best = min(runs, key=lambda r: r.fun)
            if np.abs(best.jac).max() > 100 * gtol:
                raise RuntimeError(f"Banana.best_gaussian: BFGS did not converge at "
                                   f"x = {float(xi)!r}: {best.message}")
            params[i], values[i] = best.x, -best.fun
        params[:, 0] = np.abs(params[:, 0])  # the mirror image has the same ELBO
        return params[:, :2], params[:, 2:], values
