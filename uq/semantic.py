"""Semantic entropy (Farquhar et al., Nature 2024), the sampling baseline the confidence head is compared with.

Pure: numpy. Several answers are sampled for one question; answers that mean the same thing form a cluster, and
the entropy of the cluster frequencies is the uncertainty (the "discrete" estimator, which needs no token
probabilities). Meaning is judged by EMBEDDING SIMILARITY, not by the bidirectional entailment of the paper:
no NLI model ships offline here, and asking the 135M generator to judge entailment is less reliable than its
answers. Two answers are equivalent when the cosine of their sentence embeddings is at least ``threshold``.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

__all__ = ["clusters", "semantic_entropy"]


def clusters(vectors: npt.ArrayLike, threshold: float = 0.85) -> list[int]:
    """Cluster label per answer, from embeddings [k, d]: each answer joins the first earlier cluster whose
    first member it matches (cosine ≥ ``threshold``), else starts a new one — the greedy assignment of the
    paper, with similarity in place of entailment."""
    rows = np.asarray(vectors, dtype=np.float64)
    if rows.ndim != 2:
        raise ValueError(f"expected embeddings [k, d], got shape {rows.shape}")
    norms = np.linalg.norm(rows, axis=1, keepdims=True)
    rows = rows / np.where(norms > 0, norms, 1.0)
    labels: list[int] = []
    leaders: list[int] = []
    for i in range(len(rows)):
        for label, leader in enumerate(leaders):
            if float(rows[i] @ rows[leader]) >= threshold:
                labels.append(label)
                break
        else:
            labels.append(len(leaders))
            leaders.append(i)
    return labels


def semantic_entropy(vectors: npt.ArrayLike, threshold: float = 0.85) -> float:
    """Entropy (nats) of the cluster frequencies of the sampled answers: 0 when all agree, log k when all
    differ. Higher means less certain; a confidence score is its negative."""
    labels = clusters(vectors, threshold)
    if not labels:
        raise ValueError("semantic entropy needs at least one sampled answer")
    counts = np.bincount(labels).astype(np.float64)
    p = counts / counts.sum()
    return float(-(p * np.log(p)).sum())
