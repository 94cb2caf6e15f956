"""The training loop of every model in the book, in TensorFlow."""

from __future__ import annotations

import math
import weakref

import numpy as np

from .. import _validate as check
from .._docs import documented
from .._progress import progress_bar
from ._util import keras, set_seed, tensor, tf, to_tensor

__all__ = ["fit"]

# model -> (key, train_step, valid_terms, optimizer): the compiled step is traced once
# per model, loss function and data shape, and reused by the next fit() on that model.
_STEPS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def check_training_data(func: str, name: str, model, x) -> None:
    """Shape, size and values of a whole data set, checked once before training."""
    check.non_empty(func, name, x.shape)
    check.flat_input(func, name, x.shape, getattr(model, "input_dim",
                                                  x.shape[1:].num_elements()))
    likelihood = getattr(model, "likelihood", None)
    if hasattr(likelihood, "check_data"):
        likelihood.check_data(func, name, x)


def _compile(model, terms_of, feature_shape, weighted: bool):
    opt = keras.optimizers.Adam(learning_rate=1e-3)
    opt.build(model.trainable_variables)
    spec = tf.TensorSpec([None, *feature_shape], tf.float32)

    @tf.function(input_signature=[spec, tf.TensorSpec([None], tf.int32),
                                  tf.TensorSpec([], tf.float32)])
    def train_step(x, idx, w):
        xb = tf.gather(x, idx)
        with tf.GradientTape() as tape:
            terms = terms_of(model, xb)
            if weighted:  # a kl_weight schedule replaces the model's beta
                check.kl_terms("fit", terms)
                terms = {**terms, "loss": terms["reconstruction"] + w * terms["kl"]}
            loss = tf.reduce_mean(terms["loss"])
        grads = tape.gradient(loss, model.trainable_variables)
        opt.apply_gradients(zip(grads, model.trainable_variables, strict=True))
        return {key: tf.reduce_sum(val) for key, val in terms.items()}

    @tf.function(input_signature=[spec])
    def valid_terms(xb):
        return {key: tf.reduce_mean(val) for key, val in terms_of(model, xb).items()}

    return train_step, valid_terms, opt


def _reset(opt, lr: float) -> None:
    """A fresh Adam: zero moments and step count, the new learning rate."""
    for var in opt.variables:
        var.assign(tf.zeros_like(var))
    opt.learning_rate = lr


@documented("fit")
def fit(
    model: keras.Model,
    x_train,
    epochs: int,
    batch_size: int = 128,
    lr: float = 1e-3,
    seed: int = 0,
    x_valid=None,
    loss_fn=None,
    progress: bool = True,
    binarize: bool = False,
    kl_weight=None,
) -> dict[str, list[float]]:
    epochs, batch_size, lr, seed = check.training_args("fit", epochs, batch_size, lr, seed)
    check.boolean("fit", "binarize", binarize)
    check.kl_weight("fit", kl_weight)
    terms_of = loss_fn or (lambda m, xb: m.loss_terms(xb))
    set_seed(seed)
    x = to_tensor(tensor("fit", "x_train", x_train))
    check_training_data("fit", "x_train", model, x)
    if binarize:
        check.unit_interval("fit", "x_train", float(tf.reduce_min(x)), float(tf.reduce_max(x)),
                            what="probabilities to binarize")
    xv = None
    if x_valid is not None:
        xv = to_tensor(tensor("fit", "x_valid", x_valid))
        check_training_data("fit", "x_valid", model, xv)
    key = (loss_fn, tuple(x.shape[1:]), kl_weight is not None)
    cached = _STEPS.get(model)
    if cached is None or cached[0] != key:
        cached = (key, *_compile(model, terms_of, tuple(x.shape[1:]), kl_weight is not None))
        _STEPS[model] = cached
    _, train_step, valid_terms, opt = cached
    _reset(opt, lr)
    n = int(x.shape[0])
    rng = np.random.default_rng(seed)
    history: dict[str, list[float]] = {}
    step = 0
    bar = progress_bar(range(epochs), desc=f"{type(model).__name__} (tensorflow)",
                       disable=not progress)
    model._data_checked = True  # checked above, once for the whole data set
    try:
        for epoch_index in bar:
            # Dynamic binarisation: a fresh Bernoulli draw of every image, every epoch.
            x_epoch = x
            if binarize:
                u = tf.random.stateless_uniform(tf.shape(x), seed=[seed, epoch_index])
                x_epoch = tf.cast(u < x, tf.float32)
            perm = tf.constant(rng.permutation(n).astype(np.int32))
            totals: dict[str, tf.Tensor] = {}
            for start in range(0, n, batch_size):
                w = 1.0 if kl_weight is None else check.kl_weight_value(
                    "fit", step, kl_weight(step))
                step += 1
                sums = train_step(x_epoch, perm[start : start + batch_size],
                                  tf.constant(w, tf.float32))
                for k, val in sums.items():
                    totals[k] = totals[k] + val if k in totals else val
            epoch = {k: float(val) / n for k, val in totals.items()}
            if xv is not None:
                epoch.update({f"valid_{k}": float(v) for k, v in valid_terms(xv).items()})
            if not math.isfinite(epoch["loss"]):
                raise FloatingPointError(
                    f"fit: the training loss became {epoch['loss']} in epoch "
                    f"{len(history.get('loss', [])) + 1}; lower `lr` or check the loss function."
                )
            for k, val in epoch.items():
                history.setdefault(k, []).append(val)
            bar.set_postfix(loss=f"{epoch['loss']:.2f}", refresh=False)
    finally:
        model._data_checked = False
    return history
