"""One docstring per public name, shared by ``vaebook.torch`` and ``vaebook.tensorflow``.

The two framework modules promise the same names, signatures and behaviour; writing
each docstring once here keeps their documentation from drifting apart (a test holds
both modules to it, and the book's API page is generated from it). A name's code
lives in each framework's module; ``@documented("name")`` gives it its text.

Conventions of every entry: "tensor" means the framework's tensor (``torch.Tensor`` or
``tf.Tensor``); NumPy arrays are accepted wherever a tensor is. Shapes use B for the
batch, D for the data dimensions (pixels), d for the latent dimensions. Log-densities
and losses are in nats, per example: summed over D (or d), never averaged over B.
"""

from __future__ import annotations

import inspect

# --------------------------------------------------------------------------- utilities
# The argument and errors of every per-example method that takes a batch of data.
_DATA_ARG = """Args:
    x: data, shape ``(B, *input)``; float64 is cast to float32.

Raises:
    ValueError: if ``x`` has the wrong shape, is empty, or lies outside the
        likelihood's support.
"""


_UTILITIES = {
    "device": """The device the book's code runs on: the first GPU if there is one, else the CPU.

Returns:
    In PyTorch a ``torch.device`` (``cuda`` or ``cpu``); in TensorFlow a device string
    (``"/GPU:0"`` or ``"/CPU:0"``). Introduced in chapter 1.
""",
    "set_seed": """Seed Python's, NumPy's and the framework's random number generators.

In TensorFlow this also turns on op determinism, so a seeded run gives the same
numbers twice on one machine. (Across CPUs the last digits may differ.)

Args:
    seed: an integer in [0, ``2**32``).

Raises:
    ValueError: if ``seed`` is negative, too large or not an integer.

Introduced in chapter 1.
""",
    "to_tensor": """A NumPy array (or tensor) as a tensor of ``dtype`` on :func:`device`.

Args:
    x: array-like.
    dtype: the framework's dtype (default float32).

Returns:
    A tensor with the shape of ``x``. Introduced in chapter 1.
""",
    "to_numpy": """Tensor -> NumPy array on the host (detached from any graph).

Tuples, lists and dicts are converted element by element (a tuple of tensors gives a
tuple of arrays); ``None`` comes back as it is; anything else goes through
``np.asarray``. The same function in both frameworks and the exercise checkers.

Args:
    x: a PyTorch or TensorFlow tensor (any device), a NumPy array, a number, or a
        tuple, list or dict of those.

Returns:
    A NumPy array (or the same container of arrays). Introduced in chapter 1.
""",
}

# --------------------------------------------------------------------------- losses
_LOSSES = {
    "gaussian_kl": """KL( N(mu, diag(exp(logvar))) || N(0, I) ), summed over latent dimensions.

Closed form: ``-1/2 * sum(1 + logvar - mu**2 - exp(logvar))`` over the d latent
dimensions. It is never negative; a KL that comes out negative has lost its minus sign.

Args:
    mu: posterior means, shape (B, d).
    logvar: posterior log-variances, the same shape.

Returns:
    Tensor of shape (B,), in nats.

Raises:
    ValueError: if the shapes differ, ``mu`` has no batch dimension, the batch is
        empty, or an input holds NaN or inf.

Introduced in chapter 3 (section 3.5).
""",
    "bernoulli_nll": """-log Bernoulli(x; sigmoid(logits)), summed over data dimensions.

Computed from logits as ``max(l, 0) - l*x + log(1 + exp(-|l|))``, so it is finite for
any logit: at a logit of 20 and a target of 0 it is 20 nats, with gradient 1, where
``sigmoid`` followed by a probability-space cross-entropy gives 100 (PyTorch clamps
the log at -100) and gradient 0. For binary ``x`` it is a negative log-likelihood.
For grey levels in [0, 1] it is the cross-entropy, whose minimum (the entropy of
``x``) is not zero, and it is *not* a negative log-likelihood: the Bernoulli is not a
density on [0, 1] (chapter 2; see :class:`ContinuousBernoulli`).

Args:
    logits: decoder outputs before the sigmoid, shape (B, ...).
    x: targets in [0, 1], the same shape.

Returns:
    Tensor of shape (B,), in nats.

Raises:
    ValueError: if the shapes differ, a target lies outside [0, 1], the batch is
        empty, or an input holds NaN or inf.

Introduced in chapter 2.
""",
    "gaussian_nll": """-log N(x; mean, diag(exp(logvar))), summed over data dimensions, constants included.

With ``logvar=0`` this is ``0.5 * ||x - mean||**2 + D/2 * log(2 pi)``: half the squared
error plus a constant, which is why squared error is a Gaussian decoder's negative
log-likelihood.

Args:
    mean: predicted means, shape (B, ...).
    x: observations, the same shape.
    logvar: log-variance; a number, or a tensor that broadcasts to ``mean`` (one
        learned value per pixel, shape (...), say).

Returns:
    Tensor of shape (B,), in nats.

Raises:
    ValueError: if the shapes do not match, the batch is empty, or an input holds NaN
        or inf.

Introduced in chapter 2.
""",
    "reparameterize": """Draw z ~ N(mu, diag(exp(logvar))) as a differentiable function of (mu, logvar).

Returns ``mu + exp(logvar / 2) * eps``: the noise ``eps ~ N(0, I)`` carries the
randomness, so gradients flow to ``mu`` and ``logvar`` (the reparameterization trick).

Args:
    mu: means, shape (B, d).
    logvar: log-variances, the same shape.
    eps: optional standard-normal noise of the same shape; drawn fresh when None.

Returns:
    Tensor of shape (B, d).

Raises:
    ValueError: if the shapes differ or an input holds NaN or inf.

Introduced in chapter 4.
""",
}

# --------------------------------------------------------------------------- likelihoods
_LIKELIHOOD_METHODS = {
    "log_prob": """log p(x | decoder output), summed over data dimensions.

Args:
    out: decoder outputs (logits or means), shape (B, D).
    x: data, shape (B, D).

Returns:
    Tensor of shape (B,), in nats.
""",
    "mean": """The mean of p(x | decoder output), in data space, the shape of ``out``.""",
    "sample": """One draw x ~ p(x | decoder output), the shape of ``out``.

Args:
    out: decoder outputs, shape (B, D).
    seed: an integer for a repeatable draw, or None for the framework's global stream.
""",
    "check_data": """Raise ``ValueError`` naming ``func`` and ``name`` if ``x`` is outside this likelihood's support.""",
}

_LIKELIHOODS = {
    "Bernoulli": """Bernoulli decoder: each pixel is 1 with probability sigmoid(logit).

The decoder outputs logits; ``log_prob`` is ``-bernoulli_nll``. Its data must lie in
[0, 1]; it is a likelihood only for binary data. Introduced in chapter 2.
""",
    "Gaussian": """Gaussian decoder N(x; mean, exp(logvar) I) with a fixed or learned log-variance.

The decoder outputs means; ``log_prob`` is ``-gaussian_nll``. With ``learned=True`` the
log-variance is one trainable number shared by all pixels, starting at ``logvar``
(chapter 2 fits it to grey-level digits).

Args:
    logvar: the (initial) log-variance exp(logvar) = ``sigma_x**2``; 0.0 gives unit variance.
    learned: train the log-variance with the model.
""",
    "ContinuousBernoulli": """The continuous Bernoulli (Loaiza-Ganem & Cunningham, 2019): a density on [0, 1].

``p(x | l) = C(l) sigmoid(l)**x (1 - sigmoid(l))**(1 - x)`` for x in [0, 1], with the
normaliser ``C(l) = l / tanh(l / 2)`` (``C(0) = 2``), so ``log_prob`` is the Bernoulli
cross-entropy's negative plus ``log C(l)``. Unlike the Bernoulli it is a proper
likelihood for grey levels. Its mean is ``sigmoid(l) / tanh(l/2) - 1/l``, not
``sigmoid(l)``. Introduced in chapter 2.
""",
}

# --------------------------------------------------------------------------- priors
_PRIOR_METHODS = {
    "log_prob": """log p(z), shape (B,), for codes z of shape (B, d), in nats.""",
    "sample": """n draws z ~ p(z), shape (n, d), on the prior's device (the CPU for the standard normal).

Args:
    n: how many.
    seed: an integer for a repeatable draw, or None for the framework's global stream.
""",
}

_PRIORS = {
    "StandardNormal": """The standard normal prior p(z) = N(0, I), every VAE's default.

Its KL to a diagonal Gaussian posterior has a closed form (:func:`gaussian_kl`), which
:meth:`VAE.loss_terms` uses. Introduced in chapter 3; an object since chapter 8.

Args:
    latent_dim: d; None takes the model's.
""",
    "MixturePrior": """A learned mixture of K diagonal Gaussians, p(z) = sum_k pi_k N(z; m_k, diag ``s_k**2``).

Means, log-variances and mixing logits are trained with the model. There is no closed
form for its KL to the posterior: :meth:`VAE.loss_terms` estimates it with the
reparameterized sample, ``log q(z|x) - log p(z)``. Introduced in chapter 8.

Args:
    n_components: K.
    latent_dim: d; None takes the model's.
    seed: seeds the initial means (drawn from N(0, I)).
""",
    "VampPrior": """The VampPrior (Tomczak & Welling, 2018): p(z) = 1/K sum_k q(z | u_k).

A mixture of the model's own posterior at K learned pseudo-inputs of the data's shape.
The pseudo-inputs are ``sigmoid(u_k)``, always valid data in (0, 1), with u_k drawn
from N(0, ``0.1**2``) at the start (grey images), or started at K given images. The
KL is estimated as for :class:`MixturePrior`. The model that holds the prior calls
``bind(model)``; a prior fitted to a trained model after the fact is bound by hand.
Introduced in chapter 8.

Args:
    n_components: K.
    seed: seeds the initial pseudo-inputs (when ``init`` is None).
    init: optional K images in [0, 1], shape ``(K, *input)`` or (K, D), to start the
        pseudo-inputs from (e.g. K training images; clipped to [0.001, 0.999], since
        sigmoid(u) never reaches 0 or 1).

Raises:
    ValueError: (when bound) if ``init`` has the wrong shape or values outside [0, 1].
""",
}

# --------------------------------------------------------------------------- models
_MODEL_ARGS = """
    input_dim: number of input features, or an image shape such as (28, 28).
    latent_dim: size d of the code z.
    hidden_dims: widths of the encoder's hidden layers; the decoder mirrors them."""
_LIK_ARG = """
    likelihood: the decoder's distribution p(x|z): ``"bernoulli"`` (the decoder outputs
        logits), ``"gaussian"`` (it outputs means; variance ``exp(obs_logvar)``),
        ``"continuous_bernoulli"``, or a likelihood object (:class:`Bernoulli`,
        :class:`Gaussian`, :class:`ContinuousBernoulli`).
    obs_logvar: the fixed log-variance of ``"gaussian"`` (0.0: unit variance, so the
        loss is half the squared error plus a constant)."""
_NET_ARGS = """
    encoder: optional network replacing the MLP encoder: flat (B, D) -> (B, {out}).
    decoder: optional network replacing the MLP decoder: (B, d) -> flat (B, D)."""

_AUTOENCODER = {
    "Autoencoder": f"""A deterministic autoencoder: encoder x -> z, decoder z -> x (MLPs by default).

Trained by minimising ``-log p(x | z = encode(x))``: with ``"gaussian"`` that is half
the squared error plus a constant, with ``"bernoulli"`` the cross-entropy.
``hidden_dims=()`` gives a linear autoencoder, which learns the PCA subspace under
squared error (chapter 1).

Args:{_MODEL_ARGS}{_LIK_ARG}{_NET_ARGS.format(out="d")}

Raises:
    ValueError: for a non-positive size, an unknown likelihood, or networks of the
        wrong shape.

Shapes: ``encode`` ``(B, *input)`` -> (B, d); ``decode`` (B, d) -> ``(B, *input)``. Introduced
in chapter 1.
""",
    "Autoencoder.encode": """``(B, *input)`` or (B, D) -> codes, shape (B, d).""",
    "Autoencoder.decode": """(B, d) -> decoder outputs (logits or means), shape ``(B, *input)``.""",
    "Autoencoder.reconstruct": """Reconstructions in data space (probabilities or means), shape ``(B, *input)``.""",
    "Autoencoder.loss_terms": """Per-example training loss ``-log p(x | z = encode(x))``, under the key "loss".

Args:
    x: data, shape ``(B, *input)``; float64 is cast to float32.

Returns:
    ``{"loss": tensor of shape (B,)}``, in nats.

Raises:
    ValueError: if ``x`` has the wrong shape, is empty, or lies outside the
        likelihood's support (a Bernoulli model refuses data outside [0, 1]).
""",
    "Autoencoder.log_px_given_z": """log p(x | z), shape (B,), for x of shape (B, ...) and codes z of shape (B, d).""",
}

_VAE = {
    "VAE": f"""A variational autoencoder (Kingma & Welling, 2014): encoder, decoder, prior, likelihood.

Encoder q(z|x) = N(mu(x), diag(exp(logvar(x)))); prior p(z), the standard normal
unless given; decoder p(x|z), a likelihood object over the decoder's outputs. The
encoder and decoder are MLPs unless given.

Args:{_MODEL_ARGS}{_LIK_ARG}
    beta: weight of the KL term in the training loss (1.0 is the negative ELBO;
        Higgins et al., 2017 use beta > 1). :meth:`elbo` always uses 1.
    prior: :class:`StandardNormal` (None), :class:`MixturePrior` or :class:`VampPrior`.{_NET_ARGS.format(out="2d: mu, then logvar")}

Raises:
    ValueError: for a non-positive size, a negative beta, an unknown likelihood or prior.

Shapes: ``encode`` ``(B, *input)`` -> (mu, logvar), each (B, d); ``decode`` (B, d) ->
``(B, *input)``. Introduced in chapter 4.
""",
    "VAE.encode": """``(B, *input)`` or (B, D) -> (mu, logvar), each of shape (B, d).""",
    "VAE.decode": """(B, d) -> decoder outputs (logits or means), shape ``(B, *input)``.""",
    "VAE.loss_terms": """Per-example terms of the (beta-weighted) negative ELBO, each of shape (B,), in nats.

``reconstruction`` = -log p(x|z) at one reparameterized sample z ~ q(z|x); ``kl`` =
KL(q(z|x) || p(z)), in closed form for the standard normal prior and estimated at the
same z (``log q(z|x) - log p(z)``) for a learned one; ``loss`` = reconstruction +
``beta * kl``.

Args:
    x: data, shape ``(B, *input)``; float64 is cast to float32.

Raises:
    ValueError: if ``x`` has the wrong shape, is empty, or lies outside the
        likelihood's support (a Bernoulli model refuses data outside [0, 1]).
""",
    "VAE.sample_posterior": """Posterior samples z = mu + sigma * eps and log q(z | x), differentiably.

The reparameterization of :func:`reparameterize` with the posterior's own log-density:
``log N(z; mu, diag(exp(logvar)))`` summed over d. :func:`iwae_bound` and
:func:`log_importance_weights` draw through it, so a model with another posterior
(:class:`FlowVAE`) only overrides this method. Introduced in chapter 8.

Args:
    x: data, shape ``(B, *input)``.
    eps: standard-normal noise, shape (B, d) or (k, B, d).

Returns:
    ``(z, log_q)``: shape (..., B, d) and (..., B), in nats.

Raises:
    ValueError: if ``eps`` is not of shape (B, d) or (k, B, d).
""",
    "VAE.kl_term": """KL(q(z|x) || p(z)) per example, shape (B,), in nats.

In closed form when the prior has one (the standard normal), else the one-sample
estimate ``log q(z|x) - log p(z)`` at the reparameterized ``z``.

Args:
    mu: posterior means, shape (B, d).
    logvar: posterior log-variances, shape (B, d).
    z: a sample from q(z|x), shape (B, d).
""",
    "VAE.elbo": """Single-sample estimate of the ELBO (beta = 1), shape (B,), in nats. Maximise it; the loss is -ELBO.""",
    "VAE.sample": """Decode n draws z ~ p(z); returns the means of p(x|z), shape ``(n, *input)``.

Args:
    n: how many samples.
    seed: an integer for a repeatable draw, or None for the framework's global stream.
""",
    "VAE.reconstruct": """Decode the posterior mean of each x; returns the means of p(x|z), shape ``(B, *input)``.""",
    "VAE.log_px_given_z": """log p(x | z), shape (B,), for x of shape (B, ...) and codes z of shape (B, d).""",
}

_CONV_ARGS = """
    input_dim: the image shape (h, w), both divisible by 4, such as (28, 28).
    latent_dim: size d of the code z.
    channels: channels (c1, c2) of the two stride-2 convolutions (h -> h/2 -> h/4)."""

_CONV = {
    "ConvAutoencoder": f"""A convolutional autoencoder on (h, w) images, with the contract of :class:`Autoencoder`.

Encoder: two 4x4 stride-2 convolutions with ReLU (1 -> c1 -> c2 channels), then a
linear layer to d. Decoder: the mirror image, with transposed convolutions. The two
frameworks build the same architecture, so weights carry over (tested), and start
from the same distribution: Glorot-uniform weights and zero biases (Keras' default).

Args:{_CONV_ARGS}{_LIK_ARG}

Introduced in chapter 4.
""",
    "ConvVAE": f"""A convolutional VAE on (h, w) images, with the contract of :class:`VAE`.

The networks of :class:`ConvAutoencoder`, the encoder ending in 2d outputs (mu, then
logvar).

Args:{_CONV_ARGS}{_LIK_ARG}
    beta: weight of the KL term in the training loss.
    prior: :class:`StandardNormal` (None), :class:`MixturePrior` or :class:`VampPrior`.

Introduced in chapter 4.
""",
    "ConvGAN": """A DCGAN-style GAN on (h, w) images (Radford et al., 2016), with the contract of :class:`GAN`.

Generator: a linear layer from the noise to c2 x h/4 x w/4, then two 4x4 stride-2
transposed convolutions (ReLU between, sigmoid at the end). Discriminator: two 4x4
stride-2 convolutions with LeakyReLU(0.2), then one logit; no batch normalisation, so
a logit depends on its own image only, never on the rest of a batch of all-real or
all-generated images.

With ``batch_norm`` the generator normalises before each ReLU: the linear layer's
units, then the first transposed convolution's channels, as in Radford et al.'s MNIST
DCGAN. Both frameworks use eps 1e-5 and keep 0.9 of the old running statistics per
step (PyTorch ``momentum=0.1``, Keras ``momentum=0.9``). :func:`fit_gan` trains in
training mode (batch statistics); :meth:`GAN.decode` and :meth:`GAN.generate` use the
running statistics, so a sample does not depend on the others drawn with it.

Args:
    input_dim: the image shape (h, w), both divisible by 4.
    noise_dim: size of the generator's input noise z.
    channels: channels (c1, c2) of the discriminator's convolutions (the generator's
        in reverse).
    batch_norm: batch normalisation in the generator (True or False).

Raises:
    ValueError: for an image shape not divisible by 4, channels that are not two
        positive integers, or a ``batch_norm`` that is not a bool.

Introduced in chapter 5.
""",
}

# --------------------------------------------------------------------------- evaluation, training
_TRAINING = {
    "iwae_bound": """Importance-weighted lower bound L_k on log p(x) (Burda et al., 2016), per example.

``log (1/k) sum_i p(x, z_i) / q(z_i | x)`` with z_i ~ q(z|x): k = 1 is the ELBO (with
the KL estimated by Monte Carlo); the bound rises towards log p(x) as k grows. It is a
bound on a log-likelihood only where the likelihood is one: binary data for a
Bernoulli decoder. Samples are processed in chunks, so memory stays flat as k grows;
time grows linearly in k. The model is put in evaluation mode for the call.

Args:
    model: a :class:`VAE`, :class:`ConvVAE` or :class:`FlowVAE`, whose posterior is
        drawn through ``sample_posterior(x, eps)`` (since chapter 8); a model with
        ``log_weight(x, eps)`` (log p(x, z) - log q(z | x) at z drawn from noise eps of
        shape (B, latent_dim)), such as :class:`TwoLevelVAE`; or any model with
        ``encode(x) -> (mu, logvar)`` of a diagonal Gaussian, ``log_px_given_z(x, z)``,
        ``input_dim`` and ``latent_dim`` (and optionally a ``prior``; the standard
        normal otherwise).
    x: data, shape ``(N, *input)``.
    k: number of importance samples.
    batch_size: examples per pass.
    chunk_size: samples per pass; None keeps about ``2**22`` decoder outputs per pass.
    seed: an integer for repeatable samples, or None for the framework's global stream.

Returns:
    Tensor of shape (N,), in nats.

Raises:
    ValueError: for a model without a posterior (an :class:`Autoencoder`), a
        non-positive ``k``, ``batch_size`` or ``chunk_size``, data of the wrong shape,
        empty data, or data outside the likelihood's support.

Introduced in chapter 3 (section 3.7).
""",
    "fit": """Train ``model`` with Adam on ``x_train``; return the per-epoch history.

The data are moved to :func:`device` once and shuffled there, and epoch totals are
read back once per epoch: no per-batch host synchronisation. In TensorFlow the step is
one ``tf.function``, traced once per model and data shape (a second ``fit`` on the
same model continues training without tracing again).

Args:
    model: an :class:`Autoencoder`, a :class:`VAE` (MLP or conv), or any model with a
        ``loss_terms(x)`` method returning a dict of per-example tensors with a
        ``"loss"`` key.
    x_train: training data, shape ``(N, *input)`` (NumPy array or tensor).
    epochs: passes over the data.
    batch_size: examples per step; the loss is the batch mean of the per-example loss.
    lr: Adam learning rate.
    seed: seeds the shuffling and the sampling noise.
    x_valid: optional validation data; its mean terms are logged as ``valid_<key>``.
    loss_fn: optional ``loss_fn(model, x) -> dict`` replacing ``model.loss_terms``
        (the book trains deliberately broken losses with it).
    progress: show a progress bar over epochs.
    binarize: draw a fresh binary image x ~ Bernoulli(x_train) for every epoch
        (dynamic binarisation, as Burda et al. 2016 trained on MNIST), so that a
        Bernoulli decoder is trained on data where it is a likelihood.
    kl_weight: optional schedule ``kl_weight(step) -> w`` (step = 0, 1, ... counts
        batches): the loss becomes ``reconstruction + w * kl`` of the terms (replacing
        the model's beta), as in KL annealing (Bowman et al., 2016; chapter 6). Needs
        terms with keys "reconstruction" and "kl".

Returns:
    ``{"loss": [...], ...}``: the mean of each term per epoch, one float per epoch.

Raises:
    ValueError: for non-positive ``epochs``, ``batch_size`` or ``lr``, data of the
        wrong shape, empty data, NaN or inf in the data, or data outside the model's
        likelihood's support (a Bernoulli model refuses 0..255 pixels), or a
        ``kl_weight`` that is not callable, returns a negative weight, or meets terms
        without "reconstruction" and "kl".
    FloatingPointError: if the training loss becomes NaN or infinite.

Introduced in chapter 1.
""",
}

# --------------------------------------------------------------------------- chapter 8
_LOG_W = """
    log_w: log-weights log p(x, z_i) - log q(z_i | x), shape (k, B): the k samples
        on axis 0 (as :func:`log_importance_weights` gives them)."""

_IWAE = {
    "log_importance_weights": """The k log importance weights of each example, log p(x, z_i) - log q(z_i | x).

Draws z_i ~ q(z|x) by the reparameterization (``model.sample_posterior``), so the
result is differentiable in the model's weights. ``log_px_given_z(x, z_i) +
prior.log_prob(z_i) - log q(z_i | x)``: their mean over i is a k-sample estimate of
the ELBO (with the KL by Monte Carlo), their log-mean-exp the bound L_k.

Args:
    model: a :class:`VAE`, :class:`ConvVAE` or :class:`FlowVAE` (anything with
        ``sample_posterior``, ``log_px_given_z``, ``prior`` and ``latent_dim``).
    x: data, shape ``(B, *input)``.
    k: samples per example.
    seed: an integer for repeatable samples, or None for the framework's global stream.

Returns:
    Tensor of shape (k, B), in nats.

Raises:
    ValueError: for a model without a posterior, a non-positive ``k``, a bad seed, data
        of the wrong shape or outside the likelihood's support.

Introduced in chapter 8.
""",
    "iwae_loss": f"""The IWAE loss -L_k = -log (1/k) sum_i w_i per example, from log-weights.

Computed with a log-sum-exp, so it is finite for log-weights of any size. Its gradient
with respect to ``log_w[i]`` is minus the normalised weight w_i / sum_j w_j
(:func:`importance_weights`): the samples that explain x best get the largest share of
the gradient. For k = 1 it is the one-sample negative ELBO.

Args:{_LOG_W}

Returns:
    Tensor of shape (B,), in nats.

Raises:
    ValueError: if ``log_w`` is not of shape (k, B) with k, B >= 1, or holds NaN or inf.

Introduced in chapter 8.
""",
    "importance_weights": f"""The normalised importance weights w_i / sum_j w_j, the gradient weights of L_k.

A softmax of the log-weights over the k samples: each column sums to 1. The gradient
of L_k is sum_i (w_i / sum_j w_j) * grad log w_i, where the k-sample ELBO weights
every sample by 1/k. ``1 / sum_i (w_i / sum_j w_j)**2`` is the effective sample size.

Args:{_LOG_W}

Returns:
    Tensor of shape (k, B), non-negative, each column summing to 1.

Raises:
    ValueError: if ``log_w`` is not of shape (k, B) with k, B >= 1, or holds NaN or inf.

Introduced in chapter 8.
""",
    "iwae_terms": """Per-example training terms with k posterior samples, for ``fit``'s ``loss_fn``.

``fit(model, x, epochs, loss_fn=functools.partial(iwae_terms, k=5))`` trains an IWAE
(Burda et al., 2016); ``objective="vae"`` trains the VAE with the same k samples (the
mean of the k one-sample ELBOs, KL by Monte Carlo), Burda et al.'s "VAE, k" baseline.

Args:
    model: as for :func:`log_importance_weights`.
    x: data, shape ``(B, *input)``.
    k: samples per example.
    objective: ``"iwae"`` (loss -L_k) or ``"vae"`` (loss minus the mean log-weight).
    seed: an integer for repeatable samples, or None for the framework's global stream.

Returns:
    ``{"loss", "iwae", "elbo", "ess"}``, each of shape (B,): the loss that is trained;
    the bound L_k; the mean of the k log-weights (a k-sample ELBO estimate); the
    effective sample size of the k weights, in [1, k] (not differentiated). Nats, except
    ``ess``.

Raises:
    ValueError: for an unknown ``objective``, and as :func:`log_importance_weights`.

Introduced in chapter 8.
""",
}

_FLOWS = {
    "planar_flow": """One planar flow f(z) = z + u_hat tanh(w.z + b) and its ``log |det df/dz|`` (Rezende & Mohamed, 2015).

``u_hat = u + (m(w.u) - w.u) w / |w|**2`` with ``m(a) = -1 + softplus(a)``, the paper's
reparameterisation that keeps w.u_hat > -1, so f is invertible and its Jacobian
determinant ``1 + u_hat . psi(z)``, ``psi(z) = tanh'(w.z + b) w``, is positive. It is
computed as ``tanh(a)**2 + (1 - tanh(a)**2) softplus(w.u)`` (the same number, with no
cancellation near 0).

Args:
    z: points, shape (..., d).
    u: shape (d,) or broadcastable to the shape of ``z`` (per-example parameters).
    w: as ``u``.
    b: a scalar, or broadcastable to ``z``'s shape without its last axis.

Returns:
    ``(f(z), log_det)``: shape (..., d) and (...,), in nats.

Raises:
    ValueError: if a parameter does not broadcast to ``z`` or a value is NaN or inf.

Introduced in chapter 8.
""",
    "FlowVAE": f"""A VAE whose posterior is a diagonal Gaussian followed by planar flows (Rezende & Mohamed, 2015).

q(z|x): z_0 = mu + sigma * eps, then z_L = f_L(...f_1(z_0)), each f_l a
:func:`planar_flow` whose (u, w, b) the encoder outputs for every x (amortised, as in
the paper): the MLP encoder has 2d + n_flows (2d + 1) outputs. The density is
``log q(z_L | x) = log N(z_0; mu, sigma**2) - sum_l log |det df_l/dz|``. The KL is estimated at the
sample, log q(z_L|x) - log p(z_L), for every prior. ``n_flows=0`` is a VAE with a
Monte Carlo KL.

Args:{_MODEL_ARGS}
    n_flows: number L of planar flows (0 or more).{_LIK_ARG}
    beta: weight of the KL term in the training loss.
    prior: :class:`StandardNormal` (None), :class:`MixturePrior` or :class:`VampPrior`
        (its components are the base Gaussians q_0(z|u_k) at the pseudo-inputs).

Raises:
    ValueError: for a non-positive size, a negative ``n_flows``, a negative beta, an
        unknown likelihood or prior.

Introduced in chapter 8.
""",
    "FlowVAE.encode": """``(B, *input)`` or (B, D) -> (mu, logvar) of the base Gaussian q_0, each of shape (B, d).""",
    "FlowVAE.sample_posterior": """Posterior samples z_L and log q(z_L | x) from base noise eps, differentiably.

Args:
    x: data, shape ``(B, *input)``.
    eps: standard-normal noise, shape (B, d) or (k, B, d).

Returns:
    ``(z, log_q)``: shape (..., B, d) and (..., B), in nats.
""",
    "FlowVAE.loss_terms": """Per-example terms of the (beta-weighted) negative ELBO, each of shape (B,), in nats.

``reconstruction`` = -log p(x|z) at one sample z ~ q(z|x) through the flows; ``kl`` =
log q(z|x) - log p(z) at the same z; ``loss`` = reconstruction + beta * kl.

"""
    + _DATA_ARG,
    "FlowVAE.kl_term": """Not available for a flow posterior: raises ``ValueError`` (use :meth:`loss_terms` or :meth:`sample_posterior`).""",
    "FlowVAE.reconstruct": """Decode the flow applied to the base mean (eps = 0); returns the means of p(x|z), shape ``(B, *input)``.""",
}

# --------------------------------------------------------------------------- GAN
_GAN = {
    "GAN": """Generator and discriminator, two MLPs (Goodfellow et al., 2014).

The generator maps noise z ~ N(0, I) of size ``noise_dim`` through ``hidden_dims``
reversed to ``prod(input_dim)`` pixels and a sigmoid; the discriminator maps an image
through ``hidden_dims`` to one logit s (D(x) = sigmoid(s) is the probability that x is
real). Hidden layers use LeakyReLU(0.2).

Args:
    input_dim: number of pixels, or an image shape such as (8, 8).
    noise_dim: size of the generator's input noise z.
    hidden_dims: widths of the discriminator's hidden layers; the generator mirrors them.

Shapes: ``generator`` (B, noise_dim) -> (B, D) in [0, 1]; ``discriminator`` (B, D) ->
(B, 1) logits. Introduced in chapter 5.
""",
    "GAN.noise": """n draws z ~ N(0, I), shape (n, noise_dim), on the model's device.

Args:
    n: how many.
    seed: an integer for a repeatable draw, or None for the framework's global stream.
""",
    "GAN.decode": """G(z): (B, noise_dim) -> images ``(B, *input)`` in [0, 1] (differentiable).

The generator runs in inference mode whatever the model's mode (a generator with batch
normalisation uses its running statistics), in both frameworks.""",
    "GAN.discriminate": """Discriminator logits s(x): ``(B, *input)`` -> (B,); D(x) = sigmoid(s).""",
    "GAN.generate": """n samples G(z), z ~ N(0, I): images in [0, 1], shape ``(n, *input)``.

The generator runs in inference mode, as in :meth:`GAN.decode`: the same seed gives the
same images.

Args:
    n: how many.
    seed: an integer for a repeatable draw, or None for the framework's global stream.
""",
    "discriminator_loss": """The discriminator's per-example loss, ``-log D(x) - log(1 - D(G(z)))``.

Computed from logits as ``softplus(-real_logits) + softplus(fake_logits)``, so it is
finite for any logit. Its batch mean estimates ``-V(D, G)``, minus the value of the
minimax game; the optimal discriminator reaches ``log 4 - 2 JS(p_data || p_g)``.

Args:
    real_logits: discriminator logits on real data, shape (B,).
    fake_logits: discriminator logits on generated data, shape (B,).

Returns:
    Tensor of shape (B,), in nats.

Raises:
    ValueError: if a logit tensor is not of shape (B,), the shapes differ, or a logit
        is NaN or inf.

Introduced in chapter 5.
""",
    "generator_loss": """The generator's per-example loss, from the discriminator's logits on G(z).

``non_saturating=True`` (the default, what GANs are trained with): ``-log D(G(z)) =
softplus(-s)``; its gradient with respect to the logit tends to -1 when D(G(z)) is
near 0, where the generator most needs it. ``non_saturating=False``: the minimax
game's own ``log(1 - D(G(z))) = -softplus(s)``, whose gradient ``-D(G(z))`` vanishes
there.

Args:
    fake_logits: discriminator logits on generated data, shape (B,).
    non_saturating: which of the two losses.

Returns:
    Tensor of shape (B,), in nats.

Raises:
    ValueError: if the logits are not of shape (B,) or hold NaN or inf, or
        ``non_saturating`` is not a bool.

Introduced in chapter 5.
""",
    "fit_gan": """Train ``gan`` on ``x_train``: alternate one discriminator and one generator step.

Each step draws a batch of real images and as many noise vectors z, takes an Adam step
(betas 0.5, 0.999, as Radford et al. 2016 recommend) on the batch mean of
:func:`discriminator_loss` with G(z) held fixed, then one on the batch mean of
:func:`generator_loss` through the updated discriminator. G(z) is computed once per
step, with the generator in training mode (batch normalisation uses the batch's
statistics and moves its running ones once per step, in both frameworks). Data stay on the device and
epoch totals are read back once per epoch.

Args:
    gan: a :class:`GAN` or :class:`ConvGAN`.
    x_train: real images in [0, 1], shape ``(N, *input)`` (NumPy array or tensor).
    epochs: passes over the data.
    batch_size: real (and generated) examples per step.
    lr: Adam learning rate of both players.
    seed: seeds the shuffling and the noise.
    progress: show a progress bar over epochs.
    non_saturating: train the generator with ``-log D(G(z))`` (True) or with the
        minimax ``log(1 - D(G(z)))`` (False).
    callback: optional ``callback(epoch, gan)`` called after each epoch (epoch counts
        from 1), e.g. to keep samples over training.

Returns:
    ``{"d_loss", "g_loss", "d_real", "d_fake"}``, one float per epoch each: the mean
    per-example losses, and the mean of D(x) on real and of D(G(z)) on generated images
    (seen by the discriminator step).

Raises:
    ValueError: for a model that is not a GAN, non-positive sizes, data of the wrong
        shape or outside [0, 1], and a batch_size that leaves a batch of one image
        (N % batch_size == 1) when the generator uses batch normalisation.
    FloatingPointError: if a loss becomes NaN or infinite.

Introduced in chapter 5.
""",
}

# --------------------------------------------------------------------------- KL decomposition
_TCVAE = {
    "kl_decomposition": """The KL term split into index-code MI, total correlation and dimension-wise KL, per example.

With the aggregate posterior q(z) = 1/N sum_n q(z | x_n) over a data set of N examples
and the standard normal prior, the data average of KL(q(z|x) || p(z)) is
``I_q(x; z) + KL(q(z) || prod_k q(z_k)) + sum_k KL(q(z_k) || p(z_k))`` (Hoffman &
Johnson, 2016; Chen et al., 2018). For each example i, with its sample z_i ~ q(z|x_i):

* ``mi`` = log q(z_i | x_i) - log q(z_i) (index-code mutual information);
* ``tc`` = log q(z_i) - sum_k log q(z_ik) (total correlation);
* ``dim_kl`` = sum_k log q(z_ik) - log p(z_i) (dimension-wise KL);
* ``kl`` = log q(z_i | x_i) - log p(z_i), their sum exactly.

Batch means of the three estimate the three terms; the mean of ``kl`` estimates the
mean closed-form KL, whatever the estimator. q(z_i) and the marginals q(z_ik) are
mixtures over the data set, estimated from the batch (of size M, drawn from the N):

* ``"mss"`` (stratified): q(z_i) ~ q(z_i | x_i) / N + (N - 1) / (N (M - 1)) sum_{j != i}
  q(z_i | x_j): the example's own term exactly, the other N - 1 examples' share from
  the other M - 1 in the batch. An unbiased estimate of q(z_i) (its log is biased
  low, by less as M grows); exact when the batch is the whole data set (M = N). With
  M = 1 only the own term is left.
* ``"mws"`` (minibatch-weighted sampling, Chen et al., 2018): q(z_i) ~ 1 / (N M)
  sum_j q(z_i | x_j), 1/N times the batch mean. Where the posteriors overlap (the
  marginals q(z_ik) nearly always) that is about N times too small; where a sample's
  own posterior dominates, about M times. So ``tc`` comes out too large by a constant
  of the order of (d - 1) log N: exactly (d - 1) log N when M = N.

Args:
    mu: posterior means of the batch, shape (M, d).
    logvar: posterior log-variances, shape (M, d).
    z: one sample z_i ~ q(z | x_i) per example, shape (M, d).
    dataset_size: N, the size of the data set the batch was drawn from, at least M;
        None: the batch is the whole data set (N = M).
    estimator: ``"mss"`` or ``"mws"``.

Returns:
    ``{"mi", "tc", "dim_kl", "kl"}``, tensors of shape (M,), in nats. Memory and time
    grow as M * M * d.

Raises:
    ValueError: if the shapes differ or are not (M, d), an input holds NaN or inf,
        ``dataset_size`` is below M or not a positive integer, or the estimator is
        unknown.

Introduced in chapter 7.
""",
    "BetaTCVAE": f"""The beta-TC-VAE (Chen et al., 2018): a VAE whose loss weighs the total correlation by beta.

Per example, ``loss = reconstruction + kl + (beta - 1) * tc``: the negative ELBO (with
the closed-form KL, as :class:`VAE`) plus ``beta - 1`` times the total correlation
estimated in the batch by :func:`kl_decomposition`. That is the objective
``-E[log p(x|z)] + I + beta * TC + sum_k KL(q(z_k) || p(z_k))`` of Chen et al.; beta = 1
is the VAE. The prior is the standard normal.

Args:
    input_dim: number of input features, or an image shape such as (28, 28).
    latent_dim: size d of the code z.
    dataset_size: N, the number of training examples (the aggregate posterior is a
        mixture over them).
    hidden_dims: widths of the encoder's hidden layers; the decoder mirrors them.{_LIK_ARG}
    beta: weight of the total correlation; beta > 1 penalises dependence between the
        code's dimensions in the aggregate posterior.
    estimator: how q(z) is estimated in a batch, ``"mss"`` or ``"mws"`` (see
        :func:`kl_decomposition`).{_NET_ARGS.format(out="2d: mu, then logvar")}

Raises:
    ValueError: for a non-positive size or dataset_size, a negative beta, an unknown
        likelihood or estimator; in ``loss_terms``, a batch larger than dataset_size.

Introduced in chapter 7.
""",
    "BetaTCVAE.loss_terms": """Per-example terms of the beta-TC-VAE loss, each of shape (B,), in nats.

``reconstruction`` = -log p(x|z) at one reparameterized sample z ~ q(z|x); ``kl`` =
KL(q(z|x) || p(z)) in closed form; ``mi``, ``tc``, ``dim_kl`` = the parts of
:func:`kl_decomposition` at the same z (their sum is a one-sample estimate of ``kl``);
``loss`` = reconstruction + kl + (beta - 1) * tc.

Args:
    x: data, shape ``(B, *input)``, B <= dataset_size; float64 is cast to float32.

Raises:
    ValueError: if ``x`` has the wrong shape, is empty, has more examples than
        ``dataset_size``, or lies outside the likelihood's support.
""",
}

# --------------------------------------------------------------------------- hierarchies, diffusion
_HIERARCHICAL = {
    "TwoLevelVAE": f"""A VAE with two latent levels, z2 -> z1 -> x, and a top-down inference path.

Generative model: p(z2) = N(0, I); p(z1 | z2) = N(mu_p(z2), diag exp(logvar_p(z2)));
p(x | z1), a likelihood over the decoder's outputs. Inference runs in the same order
(Sonderby et al., 2016): q(z2 | x), then q(z1 | x, z2), both diagonal Gaussians.
Then the ELBO is

    E_q[log p(x | z1)] - KL(q(z2 | x) || p(z2)) - E_q(z2|x)[KL(q(z1 | x, z2) || p(z1 | z2))],

two closed-form Gaussian KL terms, as in every step of a diffusion model's ELBO.
Four MLPs (``hidden_dims`` for the two encoders, reversed for the two generative
networks): ``encoder_z2`` x -> (mu, logvar) of z2; ``encoder_z1`` [x, z2] -> those of
z1; ``prior_z1_net`` z2 -> (mu_p, logvar_p); ``decoder`` z1 -> x.

Args:
    input_dim: number of input features, or an image shape such as (8, 8).
    latent_dims: (d1, d2), the sizes of z1 (next to the data) and z2 (the top).
    hidden_dims: widths of the encoders' hidden layers; the generative networks mirror them.{_LIK_ARG}

Raises:
    ValueError: for a non-positive size or an unknown likelihood.

``latent_dim`` is d1 + d2, the length of the noise :meth:`log_weight` takes (z2's part
first). Works with :func:`fit` and :func:`iwae_bound`. Introduced in chapter 9.
""",
    "TwoLevelVAE.posterior_z2": """q(z2 | x): ``(B, *input)`` -> (mu, logvar), each of shape (B, d2).""",
    "TwoLevelVAE.posterior_z1": """q(z1 | x, z2): x ``(B, *input)`` and z2 (B, d2) -> (mu, logvar), each of shape (B, d1).""",
    "TwoLevelVAE.prior_z1": """p(z1 | z2): z2 (B, d2) -> (mu, logvar), each of shape (B, d1).""",
    "TwoLevelVAE.decode": """(B, d1) -> decoder outputs (logits or means), shape ``(B, *input)``.""",
    "TwoLevelVAE.log_px_given_z": """log p(x | z1), shape (B,), for x of shape (B, ...) and z1 of shape (B, d1).""",
    "TwoLevelVAE.loss_terms": """Per-example terms of the negative ELBO, each of shape (B,), in nats.

One reparameterized draw top down, z2 ~ q(z2 | x) then z1 ~ q(z1 | x, z2), and:
``reconstruction`` = -log p(x | z1); ``kl_z2`` = KL(q(z2 | x) || N(0, I)) in closed
form; ``kl_z1`` = KL(q(z1 | x, z2) || p(z1 | z2)) in closed form at the drawn z2 (a
one-sample estimate of its expectation over q(z2 | x)); ``kl`` = kl_z2 + kl_z1;
``loss`` = reconstruction + kl.

"""
    + _DATA_ARG,
    "TwoLevelVAE.elbo": """Single-sample estimate of the ELBO, shape (B,), in nats: -(reconstruction + kl_z2 + kl_z1).""",
    "TwoLevelVAE.log_weight": """log p(x, z1, z2) - log q(z1, z2 | x) at latents drawn from given noise, shape (B,).

z2 = mu_q2 + sigma_q2 * eps[:, :d2], then z1 = mu_q1(x, z2) + sigma_q1 * eps[:, d2:]:
one importance weight per row, whose mean over eps ~ N(0, I) is the ELBO;
:func:`iwae_bound` averages k of them inside the log.

Args:
    x: data, shape ``(B, *input)``.
    eps: standard-normal noise, shape (B, d2 + d1).

Raises:
    ValueError: if ``eps`` is not of shape (B, d1 + d2).
""",
    "TwoLevelVAE.sample": """Draw z2 ~ N(0, I), z1 ~ p(z1 | z2) and return the means of p(x | z1), shape ``(n, *input)``.

Args:
    n: how many samples.
    seed: an integer for a repeatable draw, or None for the framework's global stream.
""",
    "TwoLevelVAE.reconstruct": """Decode the posterior means top down (z2 = mean of q(z2|x), z1 = mean of q(z1|x, z2)); the means of p(x|z1), shape ``(B, *input)``.""",
}

_DIFFUSION = {
    "DDPM": """A denoising diffusion model (Ho et al., 2020): a hierarchical VAE with a fixed encoder.

Latents x_1 ... x_T of the data's size; the encoder is the noise schedule's
q(x_t | x_{t-1}) (:class:`vaebook.diffusion.NoiseSchedule`), not learned. The decoder
chain is p(x_T) = N(0, I) and, for t >= 2, p(x_{t-1} | x_t) = N(mu_theta(x_t, t),
beta_tilde_t I), the posterior's own variance, with mu_theta = (x_t - beta_t /
sqrt(1 - alpha_bar_t) eps_theta(x_t, t)) / sqrt(alpha_t), where eps_theta(x_t, t) predicts
the noise in x_t. Then each KL term of the ELBO is exactly lambda_t ||eps -
eps_theta||^2 (:meth:`vaebook.diffusion.NoiseSchedule.elbo_weight`). eps_theta comes
from an MLP F on
[x_t, time_embedding(t)] (SiLU between layers), in one of two ways
(``parameterization``):

* ``"noise"`` (Ho et al., 2020): eps_theta = F.
* ``"binary_x0"``, for binary data: F corrects the log-odds of each pixel's x_0,
  x0_hat = tanh(F + k_t x_t) with k_t = sqrt(alpha_bar_t) / (1 - alpha_bar_t), and
  eps_theta = (x_t - sqrt(alpha_bar_t) x0_hat) / sqrt(1 - alpha_bar_t), the noise that
  x0_hat implies. With F = 0, x0_hat is E[x_0 | x_t] for a lone pixel that is -1 or +1
  with equal odds (Bayes' rule), so F only has to learn what the other pixels tell.
  At small t, where x_0 is nearly certain, a plain noise network must instead output
  (x_t - sqrt(alpha_bar_t) x_0) / sqrt(1 - alpha_bar_t), a function that jumps by
  about 2 / sqrt(1 - alpha_bar_t) between the two values of x_0.

The last step is a decoder p(x_0 | x_1) with mean mu_theta(x_1, 1) (the model's
estimate of x_0) and variance beta_1:

* ``"bernoulli"``, for binary data: the model works on y = 2x - 1 (each pixel -1 or +1)
  and P(x = 1 | x_1) = Phi(mu / sqrt(beta_1)), a Gaussian discretised to two bins (as
  Ho et al. discretise to 256), so the ELBO bounds log P(x), a probability, in nats;
* ``"gaussian"``, for real-valued data used as given: N(x; mu, beta_1 I), a density.

Args:
    input_dim: number of input features, or an image shape such as (8, 8).
    schedule: a :class:`vaebook.diffusion.NoiseSchedule`; None: Ho et al.'s linear one
        with T = 1000 (``noise_schedule("linear", 1000)``).
    hidden_dims: widths of the noise network's hidden layers.
    time_dim: the number of sinusoidal time features, a positive even integer.
    likelihood: ``"bernoulli"`` or ``"gaussian"``, the decoder p(x_0 | x_1) above.
    loss: what :meth:`loss_terms` trains: ``"simple"``, Ho et al.'s unweighted
        ||eps - eps_theta(x_t, t)||^2 at t ~ U{1..T}, or ``"elbo"``, the unbiased one-step
        estimate of -ELBO, ``T * L_{t-1} + L_T``.
    parameterization: ``"noise"`` or ``"binary_x0"`` (above); None: ``"binary_x0"`` for
        ``"bernoulli"``, ``"noise"`` for ``"gaussian"``.

Raises:
    ValueError: for a bad size, a schedule that is not a NoiseSchedule or has fewer than
        2 steps, an odd ``time_dim``, an unknown likelihood, loss or parameterization, or
        ``"binary_x0"`` with ``"gaussian"``.

Works with :func:`fit` (binary data: ``binarize=True`` draws them afresh every epoch).
Introduced in chapter 9.
""",
    "DDPM.predict_noise": """eps_theta(x_t, t): the predicted noise, the shape of ``x_t``.

Args:
    x_t: noisy data in the model's space (y = 2x - 1 for binary data), shape ``(B, *input)``.
    t: the step, an int in [1, T], or B of them (an integer array or tensor).

Raises:
    ValueError: for a step outside [1, T] or ``x_t`` of the wrong shape.
""",
    "DDPM.reverse_mean": """mu_theta(x_t, t) = (x_t - beta_t / sqrt(1 - alpha_bar_t) eps_theta) / sqrt(alpha_t), the shape of ``x_t``.

The mean of p(x_{t-1} | x_t), in the model's space; at t = 1 the mean of the decoder
p(x_0 | x_1), the model's estimate of x_0.

Args:
    x_t: noisy data in the model's space, shape ``(B, *input)``.
    t: the step, an int in [1, T], or B of them.
""",
    "DDPM.loss_terms": """The training loss per example at one random step t ~ U{1..T}, each of shape (B,).

``noise_mse`` = ||eps - eps_theta(x_t, t)||^2, summed over pixels, with x_t =
sqrt(alpha_bar_t) y_0 + sqrt(1 - alpha_bar_t) eps; ``loss`` = ``noise_mse`` for
``loss="simple"``, or T times the ELBO term of step t plus L_T for ``loss="elbo"``
(its mean over t and eps is -ELBO).

Args:
    x: data, shape ``(B, *input)``.

Raises:
    ValueError: if ``x`` has the wrong shape, is empty, or lies outside [0, 1] for
        ``"bernoulli"``.
""",
    "DDPM.elbo_term": """One term of the negative ELBO, at step t and the given noise, shape (B,), in nats.

x_t = sqrt(alpha_bar_t) y_0 + sqrt(1 - alpha_bar_t) eps; for t >= 2 the term is
L_{t-1} = KL(q(x_{t-1} | x_t, x_0) || p(x_{t-1} | x_t)) = lambda_t ||eps -
eps_theta(x_t, t)||^2, for t = 1 it is L_0 = -log p(x_0 | x_1). Its mean over eps ~
N(0, I) is the expected term of the ELBO.

Args:
    x: data, shape ``(B, *input)``.
    t: the step, an int in [1, T], or B of them.
    eps: the noise, the shape of ``x``.
""",
    "DDPM.elbo_terms": """Every term of the negative ELBO, one noise draw per step, in nats.

Returns:
    ``{"reconstruction": (B,), "diffusion": (B, T - 1), "prior": (B,)}``: L_0 =
    -log p(x_0 | x_1); the KL terms L_{t-1} for t = 2 ... T (column t - 2 holds step t);
    L_T = KL(q(x_T | x_0) || N(0, I)), in closed form. Their sum is -ELBO.

Args:
    x: data, shape ``(B, *input)``; binary for a bound on log P(x) in ``"bernoulli"``.
    seed: an integer for repeatable noise, or None for the framework's global stream.
""",
    "DDPM.elbo": """A one-draw-per-step estimate of the ELBO, shape (B,), in nats (-the sum of :meth:`elbo_terms`).

Args:
    x: data, shape ``(B, *input)``.
    seed: an integer for repeatable noise, or None for the framework's global stream.
""",
    "DDPM.sample": """n samples by ancestral sampling, x_T ~ N(0, I), then x_{t-1} ~ p(x_{t-1} | x_t) down to t = 1.

Returns the mean of the decoder p(x_0 | x_1) at the end: P(x = 1) per pixel for
``"bernoulli"``, the mean for ``"gaussian"``; shape ``(n, *input)``.

Args:
    n: how many samples.
    seed: an integer for a repeatable draw, or None for the framework's global stream.
""",
    "DDPM.sample_steps": """:meth:`sample` that also keeps the chain's states x_t at the given steps.

Args:
    n: how many samples.
    times: distinct steps in [1, T] at which to keep x_t.
    seed: as for :meth:`sample`; the same seed gives the same samples.

Returns:
    ``(samples, states)``: the samples of :meth:`sample`, and a dict from each step t to
    x_t in the model's space (y = 2x - 1 for binary data), shape ``(n, *input)``.
""",
}

# --------------------------------------------------------------------------- chapter 6
_KL_IN_PRACTICE = {
    "free_bits_kl": """The KL term with a free-bits floor (Kingma et al., 2016), per example, in nats.

Per latent dimension j, KL_j(x) = KL(q(z_j|x) || N(0, 1)). A dimension whose mean
KL over the batch is below ``free_bits`` costs ``free_bits`` for every example (a
constant, so no gradient pushes it further down); the others cost KL_j(x). The batch
mean of the result is sum_j max(free_bits, mean_x KL_j(x)), the paper's objective
with one group per dimension.

Args:
    mu: posterior means, shape (B, d).
    logvar: posterior log-variances, shape (B, d).
    free_bits: the floor lambda in nats per dimension, >= 0 (0 gives :func:`gaussian_kl`).

Returns:
    A tensor of shape (B,), in nats.

Raises:
    ValueError: if ``mu`` is not (B, d), ``logvar`` has another shape, or ``free_bits``
        is negative or not a number.

Introduced in chapter 6.
""",
    "AutoregressiveVAE": """A VAE with a MADE decoder (Germain et al., 2015): p(x|z) = prod_i p(x_i | z, x_<i).

Binary data only (a Bernoulli per pixel). The encoder is the MLP of :class:`VAE`; the
decoder's logit of pixel i (raster order) is a masked one-hidden-layer network of z
and x_1..x_{i-1}, plus a masked direct connection from x_<i. Trained with teacher
forcing (the data's own pixels are fed in), so one pass gives every log p(x_i | z, x_<i);
sampling is pixel by pixel. A decoder this strong can model x without z: chapter 6
uses it to provoke posterior collapse.

Args:
    input_dim: the data shape, such as (28, 28), or D.
    latent_dim: size d of the code z.
    hidden_dims: the encoder's hidden layer sizes.
    made_hidden: hidden units of the MADE decoder.
    beta: weight of the KL term in the training loss, as in :class:`VAE`.

Raises:
    ValueError: for a non-positive size or a negative beta.

Introduced in chapter 6.
""",
    "AutoregressiveVAE.decoder_logits": """Teacher-forced logits of p(x_i | z, x_<i), shape (B, D), for x ``(B, *input)`` and z (B, d).

Column i depends on z and on the pixels of x before i only (tested by gradients).
""",
    "AutoregressiveVAE.log_px_given_z": """log p(x | z) = sum_i log p(x_i | z, x_<i), shape (B,), for x of shape (B, ...) and z of shape (B, d).""",
    "AutoregressiveVAE.decode": """Not available: an autoregressive decoder has no one-pass output; raises ``ValueError`` (use :meth:`decoder_logits` or :meth:`generate`).""",
    "AutoregressiveVAE.generate": """Ancestral sampling x_i ~ p(x_i | z, x_<i), pixel by pixel: binary images, shape ``(B, *input)``.

Args:
    z: codes, shape (B, d).
    seed: an integer (the uniforms come from NumPy, so both frameworks draw alike on
        the same weights), or None for a fresh draw.
""",
    "AutoregressiveVAE.sample": """Draw z ~ p(z), then x by :meth:`generate`; binary images, shape ``(n, *input)``.

Args:
    n: how many samples.
    seed: an integer for a repeatable draw, or None for the framework's global stream.
""",
    "AutoregressiveVAE.reconstruct": """:meth:`generate` at the posterior mean of each x (seed 0): binary images, shape ``(B, *input)``.""",
}

DOCS: dict[str, str] = {
    **_UTILITIES, **_LOSSES, **_LIKELIHOODS, **_PRIORS, **_AUTOENCODER, **_VAE, **_CONV,
    **_TRAINING, **_GAN, **_TCVAE, **_IWAE, **_FLOWS, **_HIERARCHICAL, **_DIFFUSION,
    **_KL_IN_PRACTICE,
}
for _cls in _LIKELIHOODS:
    for _m, _text in _LIKELIHOOD_METHODS.items():
        DOCS[f"{_cls}.{_m}"] = _text
for _cls in _PRIORS:
    for _m, _text in _PRIOR_METHODS.items():
        DOCS[f"{_cls}.{_m}"] = _text
DOCS["VampPrior.pseudo_inputs"] = "The K pseudo-inputs sigmoid(u_k), shape ``(K, *input)``, in (0, 1)."
DOCS["StandardNormal.kl"] = "Closed-form KL(N(mu, diag exp(logvar)) || N(0, I)), shape (B,); see :func:`gaussian_kl`."
for _cls, _base in (("ConvAutoencoder", "Autoencoder"), ("ConvVAE", "VAE"), ("ConvGAN", "GAN"),
                    ("BetaTCVAE", "VAE"), ("FlowVAE", "VAE"),
                    ("AutoregressiveVAE", "VAE")):
    for _key in [k for k in DOCS if k.startswith(_base + ".")]:
        DOCS.setdefault(_cls + _key[len(_base):], DOCS[_key])


def documented(name: str):
    """Decorator: give a function, or a class and its public methods, the text of ``DOCS``.

    A class's methods with an entry ``"Class.method"`` get it; a method without one
    keeps its own docstring (the tests require every public one to have an entry).
    """

    def apply(obj):
        obj.__doc__ = inspect.cleandoc(DOCS[name])
        if inspect.isclass(obj):
            # Methods may come from a private base class shared by several models.
            for attr in dir(obj):
                key = f"{name}.{attr}"
                value = inspect.getattr_static(obj, attr)
                if key in DOCS and inspect.isfunction(value):
                    value.__doc__ = inspect.cleandoc(DOCS[key])
        return obj

    return apply
