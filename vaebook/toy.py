"""Two-dimensional toy data with a known density, framework-free (NumPy, SciPy).

A model of 2-D points can be drawn and judged against the truth: its samples beside
the data's, the share of samples near each mode, and the data's own entropy, which no
model's likelihood bound can beat on average. Chapter 9 trains a diffusion model on
:class:`GaussianRing`.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.special import logsumexp

__all__ = ["GaussianRing"]


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
