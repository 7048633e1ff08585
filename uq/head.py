"""The confidence head: features of an answer → P(correct) and an epistemic score. Pure: numpy, torch, vbll.

Three kinds, trained on the same reduced features (``uq.features.Reducer``):

- "vbll-disc": ``vbll.DiscClassification``, a variational Bayesian last layer (Gaussian posterior over the
  weights, dense covariance) trained with its ELBO, ``regularization_weight = 1/N``.
- "vbll-gen": ``vbll.GenClassification``, the generative variant (a Gaussian per class over the features).
- "logistic": a plain logistic regression (the non-Bayesian last layer), L2-regularised, fitted by L-BFGS.

Inference is deterministic. vbll's own ``predictive`` averages random samples; here the discriminative head's
P(correct) is the closed-form probit approximation of the expected sigmoid of the logit difference
d = z_correct − z_wrong ~ N(μ, σ²): σ(μ / √(1 + πσ²/8)). Its epistemic score is the part of σ² that comes
from the weight posterior (x·Σ_W·x summed over both rows): large for inputs unlike the training answers.
The generative head's P(correct) is already closed form; its epistemic score is the negative log density of
the features under the fitted class Gaussians (unfamiliar answers have a low density).
"""

from __future__ import annotations

import io
import json
import math
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import torch
from torch import nn

from uq.features import Features, Reducer

__all__ = ["KINDS", "Head", "Prediction", "fit", "load", "refit"]

FloatArray = npt.NDArray[np.float32]
KINDS = ("vbll-disc", "vbll-gen", "logistic")


@dataclass(frozen=True)
class Prediction:
    p_correct: FloatArray  # [N] in (0, 1)
    epistemic: FloatArray  # [N], higher = less familiar (comparable within one head only)


class _Logistic(nn.Module):
    def __init__(self, width: int) -> None:
        super().__init__()
        self.linear = nn.Linear(width, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        logits: torch.Tensor = self.linear(x).squeeze(-1)
        return logits


def _module(kind: str, width: int, n: int) -> nn.Module:
    import vbll

    module: nn.Module
    if kind == "vbll-disc":
        module = vbll.DiscClassification(width, 2, regularization_weight=1.0 / n, parameterization="dense")
        return module
    if kind == "vbll-gen":
        module = vbll.GenClassification(width, 2, regularization_weight=1.0 / n, parameterization="diagonal")
        return module
    if kind == "logistic":
        return _Logistic(width)
    raise ValueError(f"Unknown head kind {kind!r}; expected one of {', '.join(KINDS)}")


@dataclass
class Head:
    kind: str
    reducer: Reducer
    module: nn.Module
    trained_on: int  # answers in the last fit
    settings: dict[str, Any] = field(default_factory=dict)

    def predict(self, features: list[Features]) -> Prediction:
        if not features:
            empty = np.zeros(0, dtype=np.float32)
            return Prediction(empty, empty.copy())
        x = torch.from_numpy(self.reducer.transform(features)).double()
        module = self.module.double().eval()
        with torch.no_grad(), _one_thread():
            p, epistemic = _predict(self.kind, module, x)
        return Prediction(
            np.clip(p.float().numpy(), 1e-6, 1 - 1e-6).astype(np.float32), epistemic.float().numpy().astype(np.float32)
        )

    def to_bytes(self) -> bytes:
        """The head as one .npz: the module's tensors, the reducer's arrays and a JSON header."""
        arrays: dict[str, Any] = {
            f"module.{k}": v.detach().cpu().double().numpy() for k, v in self.module.state_dict().items()
        }
        arrays.update(self.reducer.state())
        header = {
            "kind": self.kind,
            "width": self.reducer.width,
            "trained_on": self.trained_on,
            "settings": self.settings,
        }
        arrays["header"] = np.frombuffer(json.dumps(header, sort_keys=True).encode(), dtype=np.uint8)
        buffer = io.BytesIO()
        np.savez(buffer, **arrays)
        return buffer.getvalue()


def load(data: bytes) -> Head:
    """The head saved by ``Head.to_bytes``."""
    with np.load(io.BytesIO(data)) as stored:
        arrays = {name: stored[name] for name in stored.files}
    header = json.loads(bytes(arrays.pop("header")).decode())
    reducer = Reducer.from_state(arrays)
    module = _module(header["kind"], int(header["width"]), max(1, int(header["trained_on"])))
    state = {k.removeprefix("module."): torch.from_numpy(v) for k, v in arrays.items() if k.startswith("module.")}
    module.double().load_state_dict(state)
    return Head(header["kind"], reducer, module, int(header["trained_on"]), header.get("settings", {}))


def _predict(kind: str, module: Any, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    if kind == "logistic":
        return torch.sigmoid(module(x)), torch.zeros(x.shape[0], dtype=x.dtype)
    if kind == "vbll-disc":
        weights = module.W() @ x[..., None]  # Normal over the two logits: mean, var [N, 2, 1]
        mean, weight_var = weights.mean.squeeze(-1), weights.covariance_diagonal.squeeze(-1)
        noise_var = torch.exp(module.noise_logdiag) ** 2
        mu = mean[:, 1] - mean[:, 0]
        variance = (weight_var + noise_var).sum(-1)
        return torch.sigmoid(mu / torch.sqrt(1 + math.pi * variance / 8)), weight_var.sum(-1)
    log_joint = module.logit_predictive(x)  # [N, 2]: log N(x; class mean, noise + mean uncertainty)
    return torch.softmax(log_joint, dim=-1)[:, 1], -torch.logsumexp(log_joint, dim=-1) / x.shape[1]


@contextmanager
def _one_thread() -> Iterator[None]:
    """The head's tensors are tiny (N × ~30): extra intra-op threads only add overhead, and on a CPU shared
    with the generator they made training many times slower."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


def _train(kind: str, module: Any, x: torch.Tensor, y: torch.Tensor, *, epochs: int, lr: float, l2: float) -> None:
    with _one_thread():
        _train_steps(kind, module, x, y, epochs=epochs, lr=lr, l2=l2)


def _train_steps(
    kind: str, module: Any, x: torch.Tensor, y: torch.Tensor, *, epochs: int, lr: float, l2: float
) -> None:
    module.train()
    if kind == "logistic":
        optimiser = torch.optim.LBFGS(module.parameters(), lr=1.0, max_iter=500, line_search_fn="strong_wolfe")
        target = y.double()

        def closure() -> torch.Tensor:
            optimiser.zero_grad()
            loss: torch.Tensor = nn.functional.binary_cross_entropy_with_logits(module(x), target)
            loss = loss + l2 * module.linear.weight.pow(2).sum() / 2
            loss.backward()  # type: ignore[no-untyped-call]
            return loss

        optimiser.step(closure)  # type: ignore[no-untyped-call]
        return
    optimiser_adam = torch.optim.Adam(module.parameters(), lr=lr)
    for _ in range(epochs):
        optimiser_adam.zero_grad()
        loss = module._get_train_loss_fn(x)(y)  # vbll's forward would also sample a predictive it never uses
        loss.backward()
        optimiser_adam.step()


def fit(
    kind: str,
    features: list[Features],
    correct: npt.ArrayLike,
    *,
    components: int = 16,
    seed: int = 0,
    epochs: int = 600,
    lr: float = 0.01,
    l2: float = 0.01,
) -> Head:
    """Fit the reducer and a head of ``kind`` on these answers (full batch). Seeded: the same data, kind and
    seed give the same head. ``l2`` is the logistic head's penalty (per answer)."""
    labels = np.asarray(correct, dtype=bool)
    if len(features) != labels.size:
        raise ValueError(f"{len(features)} answers but {labels.size} labels")
    if len(set(labels.tolist())) < 2:
        raise ValueError("Training a head needs both correct and wrong answers")
    torch.manual_seed(seed)
    reducer = Reducer(components=components).fit(features)
    x = torch.from_numpy(reducer.transform(features)).double()
    y = torch.from_numpy(labels.astype(np.int64))
    module = _module(kind, reducer.width, len(features)).double()
    _train(kind, module, x, y, epochs=epochs, lr=lr, l2=l2)
    settings = {"components": components, "seed": seed, "epochs": epochs, "lr": lr, "l2": l2}
    return Head(kind, reducer, module, len(features), settings)


def refit(head: Head, features: list[Features], correct: npt.ArrayLike, *, epochs: int = 200, seed: int = 0) -> Head:
    """The head warm-started from its current weights and trained on ``features`` (old and new labels
    together), keeping its reducer so scores stay comparable. The ELBO's weight becomes 1/N for the new N."""
    labels = np.asarray(correct, dtype=bool)
    if len(features) != labels.size:
        raise ValueError(f"{len(features)} answers but {labels.size} labels")
    torch.manual_seed(seed)
    module = _module(head.kind, head.reducer.width, len(features)).double()
    module.load_state_dict(head.module.state_dict())
    if hasattr(module, "regularization_weight"):
        setattr(module, "regularization_weight", 1.0 / len(features))  # noqa: B010 - an attribute of vbll's layers
    x = torch.from_numpy(head.reducer.transform(features)).double()
    y = torch.from_numpy(labels.astype(np.int64))
    settings = dict(head.settings)
    _train(
        head.kind, module, x, y, epochs=epochs, lr=float(settings.get("lr", 0.01)), l2=float(settings.get("l2", 0.01))
    )
    return Head(head.kind, head.reducer, module, len(features), {**settings, "refit_epochs": epochs})
