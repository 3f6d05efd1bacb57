"""L2-regularised logistic regression and Platt scaling, fitted by Newton's method in numpy: a few hundred
features and a few thousand rows need nothing more, and the result is deterministic."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

Array = npt.NDArray[np.float64]


def _sigmoid(z: Array) -> Array:
    out: Array = 1.0 / (1.0 + np.exp(-np.clip(z, -40.0, 40.0)))
    return out


def _loss(xb: Array, y: Array, w: Array, penalty: Array) -> float:
    z = xb @ w
    # log(1 + e^z) - y z, computed without overflow
    return float(np.sum(np.logaddexp(0.0, z) - y * z) + 0.5 * np.sum(penalty * w * w))


def fit_logistic(x: Array, y: Array, l2: float, iterations: int = 50) -> tuple[Array, float]:
    """Weights and bias minimising log-loss + l2/2 * |w|^2 (the bias is not penalised). `y` may be soft (0..1)."""
    n, d = x.shape
    xb = np.hstack([x, np.ones((n, 1))])
    w = np.zeros(d + 1)
    penalty = np.full(d + 1, l2)
    penalty[-1] = 0.0
    loss = _loss(xb, y, w, penalty)
    for _ in range(iterations):
        p = _sigmoid(xb @ w)
        grad = xb.T @ (p - y) + penalty * w
        hess = (xb * (p * (1.0 - p))[:, None]).T @ xb + np.diag(penalty + 1e-9)
        step = np.linalg.solve(hess, grad)
        # Newton's step, halved until the loss goes down: plain Newton can overshoot on near-separable data.
        scale = 1.0
        while scale > 1e-4:
            candidate = w - scale * step
            new_loss = _loss(xb, y, candidate, penalty)
            if new_loss <= loss:
                break
            scale /= 2
        else:
            break
        w, loss = candidate, new_loss
        if float(np.max(np.abs(scale * step))) < 1e-7:
            break
    return w[:-1], float(w[-1])


def fit_platt(logits: Array, y: Array) -> tuple[float, float]:
    """a, b such that sigmoid(a * logit + b) is calibrated on these (out-of-fold) logits."""
    # Platt's smoothed targets keep a separable set from pushing a to infinity.
    pos = float(y.sum())
    neg = float(len(y) - pos)
    target = np.where(y > 0, (pos + 1.0) / (pos + 2.0), 1.0 / (neg + 2.0))
    w, b = fit_logistic(logits[:, None], target, l2=0.0, iterations=100)
    return float(w[0]), b


def sigmoid(z: Array) -> Array:
    return _sigmoid(z)
