"""The training loop of every model in the book, in PyTorch."""

from __future__ import annotations

import math

import torch
from torch import nn

from .. import _validate as check
from .._docs import documented
from .._progress import progress_bar
from ._util import device, set_seed, tensor

__all__ = ["fit"]


def check_training_data(func: str, name: str, model, x: torch.Tensor) -> None:
    """Shape, size and values of a whole data set, checked once before training."""
    check.non_empty(func, name, x.shape)
    check.flat_input(func, name, x.shape, getattr(model, "input_dim", x[0].numel()))
    likelihood = getattr(model, "likelihood", None)
    if hasattr(likelihood, "check_data"):
        likelihood.check_data(func, name, x)


@documented("fit")
def fit(
    model: nn.Module,
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
    dev = device()
    model.to(dev)
    x = tensor("fit", "x_train", x_train).to(dev, torch.float32)
    check_training_data("fit", "x_train", model, x)
    if binarize:
        check.unit_interval("fit", "x_train", float(x.min()), float(x.max()),
                            what="probabilities to binarize")
    xv = None
    if x_valid is not None:
        xv = tensor("fit", "x_valid", x_valid).to(dev, torch.float32)
        check_training_data("fit", "x_valid", model, xv)
    set_seed(seed)
    gen = torch.Generator(device="cpu").manual_seed(seed)
    bin_gen = torch.Generator(device=dev).manual_seed(seed + 1) if binarize else None
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    n = x.shape[0]
    history: dict[str, list[float]] = {}
    step = 0
    bar = progress_bar(range(epochs), desc=f"{type(model).__name__} (torch)", disable=not progress)
    model._data_checked = True  # checked above: no read-back from the device per batch
    try:
        for _ in bar:
            model.train()
            # Dynamic binarisation: a fresh Bernoulli draw of every image, every epoch.
            x_epoch = torch.bernoulli(x, generator=bin_gen) if binarize else x
            perm = torch.randperm(n, generator=gen).to(dev)
            totals: dict[str, torch.Tensor] = {}
            for start in range(0, n, batch_size):
                xb = x_epoch[perm[start : start + batch_size]]
                terms = terms_of(model, xb)
                if kl_weight is not None:  # the schedule replaces the model's beta
                    if step == 0:
                        check.kl_terms("fit", terms)
                    w = check.kl_weight_value("fit", step, kl_weight(step))
                    terms = {**terms, "loss": terms["reconstruction"] + w * terms["kl"]}
                step += 1
                loss = terms["loss"].mean()
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
                for key, val in terms.items():
                    totals[key] = totals.get(key, 0.0) + val.detach().sum()
            epoch = {key: float(val) / n for key, val in totals.items()}
            if xv is not None:
                model.eval()
                with torch.no_grad():
                    vterms = terms_of(model, xv)
                epoch.update({f"valid_{k}": float(v.mean()) for k, v in vterms.items()})
            if not math.isfinite(epoch["loss"]):
                raise FloatingPointError(
                    f"fit: the training loss became {epoch['loss']} in epoch "
                    f"{len(history.get('loss', [])) + 1}; lower `lr` or check the loss function."
                )
            for key, val in epoch.items():
                history.setdefault(key, []).append(val)
            bar.set_postfix(loss=f"{epoch['loss']:.2f}", refresh=False)
    finally:
        model._data_checked = False
    model.eval()
    return history
