"""Content gaps: questions the book could not answer, grouped by meaning, each group beside its nearest section.

Pure: numpy and scipy. The caller embeds the questions and hands in the index's chunk vectors; nothing here
runs a model. Groups come from agglomerative clustering (average linkage on cosine distance, cut at a fixed
distance), which needs no number of clusters and gives the same groups for the same input.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

__all__ = ["DEFAULT_THRESHOLD", "GapCluster", "cluster_rows", "find_gaps"]

FloatArray = npt.NDArray[np.float32]

# With all-MiniLM-L6-v2, four questions on wavelets scored cosine 0.56–0.81 among themselves, four on Kalman filters
# 0.67–0.86, and unrelated questions below 0.32: cutting average linkage at distance 0.45 (similarity 0.55) groups
# each topic and keeps the topics apart.
DEFAULT_THRESHOLD = 0.45
COVERED_SIMILARITY = 0.5  # a group whose nearest passage is at least this close is something the book touches


@dataclass(frozen=True)
class GapCluster:
    """One group of similar questions and where the book comes closest to them."""

    members: list[int]  # rows of the input, the most central first
    size: int
    cohesion: float  # mean cosine of the members to the group's centroid
    section_id: int | None  # the section with the passage nearest the centroid (None without passages)
    similarity: float  # that passage's cosine to the centroid

    @property
    def covered(self) -> bool:
        """Whether the book has a passage close to these questions (the tutor then failed to use it)."""
        return self.similarity >= COVERED_SIMILARITY


def _normalised(vectors: npt.ArrayLike) -> FloatArray:
    rows = np.asarray(vectors, dtype=np.float32)
    if rows.ndim != 2:
        raise ValueError(f"vectors must be a 2-d array [n, d], got shape {rows.shape}")
    norms = np.linalg.norm(rows, axis=1, keepdims=True)
    return np.asarray(rows / np.where(norms > 0, norms, 1.0), dtype=np.float32)


def cluster_rows(vectors: npt.ArrayLike, *, threshold: float = DEFAULT_THRESHOLD) -> list[list[int]]:
    """Row indices of ``vectors`` [n, d] grouped by average-linkage clustering on cosine distance, cut where groups
    are further apart than ``threshold`` (in 1 − cosine). Largest groups first, ties by their first row; rows
    inside a group ascending."""
    rows = _normalised(vectors)
    n = rows.shape[0]
    if n == 0:
        return []
    if n == 1:
        return [[0]]
    from scipy.cluster.hierarchy import fcluster, linkage

    distances = np.clip(1.0 - rows @ rows.T, 0.0, 2.0)
    condensed = distances[np.triu_indices(n, k=1)].astype(np.float64)
    labels = fcluster(linkage(condensed, method="average"), t=threshold, criterion="distance")
    groups: dict[int, list[int]] = {}
    for row, label in enumerate(labels.tolist()):
        groups.setdefault(int(label), []).append(row)
    return sorted(groups.values(), key=lambda g: (-len(g), g[0]))


def find_gaps(
    vectors: npt.ArrayLike,
    chunk_vectors: npt.ArrayLike,
    chunk_sections: Sequence[int],
    *,
    threshold: float = DEFAULT_THRESHOLD,
    min_size: int = 2,
) -> list[GapCluster]:
    """Groups of at least ``min_size`` questions (``vectors`` [n, d], embeddings of the question texts), each with
    the section (from ``chunk_sections``, one id per row of ``chunk_vectors`` [m, d]) whose passage is nearest the
    group's centroid. Largest groups first."""
    rows = _normalised(vectors)
    chunks = _normalised(chunk_vectors) if len(chunk_sections) else np.zeros((0, rows.shape[1] or 1), np.float32)
    if chunks.shape[0] != len(chunk_sections):
        raise ValueError(f"{chunks.shape[0]} chunk vectors but {len(chunk_sections)} section ids")
    found = []
    for group in cluster_rows(rows, threshold=threshold):
        if len(group) < min_size:
            continue
        members = rows[group]
        centroid = members.mean(axis=0)
        centroid /= np.linalg.norm(centroid) or 1.0
        closeness = members @ centroid
        order = [group[i] for i in np.argsort(-closeness, kind="stable")]
        section, similarity = None, 0.0
        if chunks.shape[0]:
            scores = chunks @ centroid
            best = int(np.argmax(scores))
            section, similarity = int(chunk_sections[best]), float(scores[best])
        found.append(GapCluster(order, len(group), float(closeness.mean()), section, similarity))
    return found
