"""Hybrid retrieval over a book's chunks: dense (faiss) + lexical (bm25s), fused by reciprocal rank.

Pure: imports the standard library, numpy, faiss, bm25s and (lazily, inside ``SentenceEmbedder``)
sentence-transformers; never Django, Channels or Celery.

An index lives on disk as versions under ``var/index/<book-slug>/``::

    CURRENT                      one line: the version readers should load
    <version>/manifest.json      {format, version, model, dimension, kind, count, chunk_ids, content_hash, created}
    <version>/chunks.jsonl       one Chunk per line (dataclasses.asdict)
    <version>/vectors.npy        float32 [n, d], L2-normalised, row i ↔ chunks.jsonl line i
    <version>/faiss.index        faiss.write_index of IndexFlatIP or IndexHNSWFlat
    <version>/bm25/              bm25s.BM25.save

A version directory is written under ``.tmp-<version>/``, fsynced and renamed into place before
``CURRENT`` is atomically replaced, so a reader that follows ``CURRENT`` only ever sees complete
versions. Two older versions are kept besides the current one (a slow reader may still be loading
the previous one); older ones are deleted.
"""

from __future__ import annotations

import dataclasses
import hashlib
import importlib
import json
import os
import re
import shutil
import threading
import time
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

import bm25s  # type: ignore[import-untyped]
import faiss
import numpy as np
import numpy.typing as npt
from bm25s.stopwords import STOPWORDS_EN  # type: ignore[import-untyped]

from chapters.chunking import Chunk

__all__ = [
    "RRF_K",
    "BookIndex",
    "Embedder",
    "Hit",
    "IndexCache",
    "SentenceEmbedder",
    "build_index",
    "content_hash",
    "current_version",
    "load_index",
    "mean_reciprocal_rank",
    "new_version_name",
    "recall_at_k",
    "resolve_model_path",
    "save_index",
    "section_ranking",
    "tokenize",
]

FloatArray = npt.NDArray[np.float32]

RRF_K = 60  # the constant of Cormack et al. (2009); damps the weight of the very top ranks
HNSW_M = 32  # graph degree
HNSW_EF_CONSTRUCTION = 80
HNSW_EF_SEARCH = 64  # raised to `candidates` per query when that is larger
FORMAT = 1  # bump when the on-disk layout changes
KEEP_OLD_VERSIONS = 2
STALE_TMP_SECONDS = 3600  # a .tmp-* dir this old is a crashed save, not one in progress
MODES = ("dense", "bm25", "fused")

CURRENT = "CURRENT"
MANIFEST = "manifest.json"
CHUNKS = "chunks.jsonl"
VECTORS = "vectors.npy"
FAISS_INDEX = "faiss.index"
BM25_DIR = "bm25"

_SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


# --------------------------------------------------------------------------- embedders


class Embedder(Protocol):
    """Text → unit vectors. ``name`` identifies the model (vectors are reused only when it matches)."""

    name: str
    dimension: int

    def encode(self, texts: Sequence[str], *, batch_size: int = 32) -> FloatArray:
        """Return float32 [len(texts), dimension] with L2-normalised rows."""
        ...


def set_search_threads(threads: int = 1) -> None:
    """FAISS's OpenMP threads for this process. One query at a time is fastest on one thread
    (measured 4x faster than two threads on a 2-core machine at 10k chunks: bench/bench_retrieval.py);
    call it once where indexes serve queries."""
    faiss.omp_set_num_threads(threads)


def resolve_model_path(name_or_path: str) -> Path:
    """The sentence-transformers folder for ``name_or_path``: a folder, or an installed package
    (dashes → underscores) whose ``get_model_path()`` returns one. Raises FileNotFoundError naming what was tried."""
    folder = Path(name_or_path).expanduser()
    if folder.is_dir():
        return folder
    tried = [f"folder {str(folder)!r}: not a directory"]
    module_name = name_or_path.replace("-", "_")
    if module_name.isidentifier():
        try:
            module = importlib.import_module(module_name)
        except ImportError as exc:
            tried.append(f"package module {module_name!r}: {exc}")
        else:
            getter = getattr(module, "get_model_path", None)
            if getter is None:
                tried.append(f"package module {module_name!r}: has no get_model_path()")
            else:
                packaged = Path(getter())
                if packaged.is_dir():
                    return packaged
                tried.append(f"package module {module_name!r}: get_model_path() = {str(packaged)!r} is not a directory")
    else:
        tried.append(f"package module {module_name!r}: not an importable name")
    raise FileNotFoundError(f"No sentence-transformers model for {name_or_path!r}; tried " + "; ".join(tried))


class SentenceEmbedder:
    """An ``Embedder`` over a local sentence-transformers model, loaded once in ``__init__``.

    Never reaches a model hub: ``HF_HUB_OFFLINE=1`` is set before sentence-transformers is imported
    and the model is loaded with ``local_files_only=True``.
    """

    def __init__(self, name_or_path: str, *, device: str = "cpu") -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        from sentence_transformers import SentenceTransformer  # slow import (torch); only where a model is wanted

        path = resolve_model_path(name_or_path)
        self.path = path
        # A package name is stable across machines; a folder's absolute path is not, so use its basename.
        self.name = path.name if Path(name_or_path).expanduser().is_dir() else name_or_path
        self._model = SentenceTransformer(str(path), device=device, local_files_only=True)
        dimension = self._model.get_embedding_dimension()
        if dimension is None:
            raise ValueError(f"Model at {path} does not report an embedding dimension")
        self.dimension = int(dimension)

    def encode(self, texts: Sequence[str], *, batch_size: int = 32) -> FloatArray:
        """float32 [len(texts), dimension], L2-normalised rows."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        out = self._model.encode(
            list(texts),
            batch_size=batch_size,
            convert_to_numpy=True,
            normalize_embeddings=True,
            show_progress_bar=False,
        )
        return np.asarray(out, dtype=np.float32)


# --------------------------------------------------------------------------- tokenizer

_LATEX_BRACED_SUBSCRIPT = re.compile(r"_\{([A-Za-z0-9]+)\}")
_POSSESSIVE = re.compile(r"['’]s\b")
_TOKEN = re.compile(r"[a-z]+(?:_[a-z0-9]+)*|\d+(?:\.\d+)?")
# Lucene's 33 English stopwords plus the question and helper words students type ("how does my filter…").
_STOPWORDS = frozenset(STOPWORDS_EN) | frozenset(
    """about after again all also am any because been before being both can could did do does doing done each from
    had has have having he her here him his how i its just me my myself our ours she should so some than them those
    through too very was we were what when where which while who whom why would you your""".split()  # noqa: SIM905
)


def _s_stem(word: str) -> str:
    # Harman's S-stemmer (1991), keeping "-as" (alias, bias): it folds plurals only, so "filters" = "filter" and
    # "frequencies" = "frequency", while "sampling"/"sampled" stay apart (stronger stemmers conflate too much).
    if len(word) <= 3 or not word.isalpha():
        return word
    if word.endswith("ies") and not word.endswith(("eies", "aies")):
        return word[:-3] + "y"
    if word.endswith("es") and not word.endswith(("aes", "ees", "oes")):
        return word[:-1]
    if word.endswith("s") and not word.endswith(("us", "ss", "is", "as")):
        return word[:-1]
    return word


def tokenize(text: str) -> list[str]:
    """BM25 tokens: lowercase words and numbers, English stopwords dropped, plurals folded.

    Math survives as tokens: ``f_s`` and ``f_{s}`` → ``f_s``; ``\\omega_c`` → ``omega_c``; ``8kHz`` → ``8``, ``khz``;
    ``0.5`` stays one number.
    """
    text = _LATEX_BRACED_SUBSCRIPT.sub(r"_\1", text)
    text = _POSSESSIVE.sub("", text.lower())
    return [_s_stem(token) for token in _TOKEN.findall(text) if token not in _STOPWORDS]


def _bm25_retriever(chunks: Sequence[Chunk]) -> Any:
    retriever = bm25s.BM25()
    # bm25s cannot index a document with no tokens; a placeholder token that no query produces keeps row i ↔ chunk i.
    corpus = [tokenize(chunk.embedding_text()) or ["\x00empty"] for chunk in chunks]
    retriever.index(corpus, show_progress=False)
    return retriever


# --------------------------------------------------------------------------- index


@dataclass(frozen=True)
class Hit:
    chunk: Chunk
    score: float  # fused RRF score, cosine (dense) or BM25 score (bm25), after boosting
    rank: int  # 1-based position in the returned list
    dense_rank: int | None  # 1-based rank among the dense candidates; None if not among them
    bm25_rank: int | None  # 1-based rank among the BM25 candidates (score > 0); None if not among them


def _faiss_index(vectors: FloatArray, kind: str) -> faiss.Index:
    dimension = vectors.shape[1]
    index: faiss.Index
    if kind == "flat":
        index = faiss.IndexFlatIP(dimension)
    elif kind == "hnsw":
        hnsw = faiss.IndexHNSWFlat(dimension, HNSW_M, faiss.METRIC_INNER_PRODUCT)
        hnsw.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
        hnsw.hnsw.efSearch = HNSW_EF_SEARCH
        index = hnsw
    else:
        raise ValueError(f"Unknown index kind {kind!r}; expected 'flat' or 'hnsw'")
    if len(vectors):
        index.add(np.ascontiguousarray(vectors, dtype=np.float32))
    return index


@dataclass(eq=False)
class BookIndex:
    """One version of a book's index. ``vectors`` row i is the embedding of ``chunks[i]``.

    The faiss index and the BM25 retriever are built from ``vectors``/``chunks`` when not given.
    """

    version: str
    model: str
    dimension: int
    kind: str  # "flat" or "hnsw"
    chunks: list[Chunk]
    vectors: FloatArray  # float32 [n, d], L2-normalised
    _faiss: faiss.Index | None = field(default=None, repr=False)
    _bm25: Any = field(default=None, repr=False)
    _rows: dict[str, int] | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if self.vectors.shape != (len(self.chunks), self.dimension):
            raise ValueError(f"vectors are {self.vectors.shape}, expected ({len(self.chunks)}, {self.dimension})")
        if self._faiss is None:
            self._faiss = _faiss_index(self.vectors, self.kind)
        if self._bm25 is None:
            self._bm25 = _bm25_retriever(self.chunks)

    def __len__(self) -> int:
        return len(self.chunks)

    @property
    def content_hash(self) -> str:
        """``content_hash(self.chunks)``: compare with the chunks of the book now to skip a rebuild."""
        return content_hash(self.chunks)

    @property
    def dense_index(self) -> faiss.Index:
        """The faiss index over ``vectors`` (inner product; flat or HNSW)."""
        if self._faiss is None:  # pragma: no cover - __post_init__ always sets it
            raise RuntimeError("BookIndex has no faiss index")
        return self._faiss

    def vectors_of(self, chunk_ids: Sequence[str]) -> FloatArray:
        """float32 [len(chunk_ids), d]: the stored embeddings of these chunks (KeyError for an unknown id)."""
        if self._rows is None:
            self._rows = {chunk.id: row for row, chunk in enumerate(self.chunks)}
        rows = [self._rows[chunk_id] for chunk_id in chunk_ids]
        return np.ascontiguousarray(self.vectors[rows], dtype=np.float32).reshape(len(rows), self.dimension)

    def _query(self, query_vector: npt.ArrayLike) -> FloatArray:
        q = np.asarray(query_vector, dtype=np.float32).reshape(-1)
        if q.shape != (self.dimension,):
            raise ValueError(f"query vector has {q.size} values, the index has dimension {self.dimension}")
        norm = float(np.linalg.norm(q))
        return q / norm if norm > 0 else q

    def dense_candidates(self, query_vector: npt.ArrayLike, n: int) -> list[tuple[int, float]]:
        """Top ``n`` (row, inner product) from faiss, best first."""
        n = min(n, len(self.chunks))
        if n <= 0:
            return []
        params = None
        if self.kind == "hnsw":
            # Per-query parameters, not index.hnsw.efSearch: the index is shared by reader threads.
            params = faiss.SearchParametersHNSW()  # type: ignore[attr-defined]  # missing from faiss's stubs
            params.efSearch = max(HNSW_EF_SEARCH, n)
        scores, rows = self.dense_index.search(self._query(query_vector)[None, :], n, params=params)
        return [(int(row), float(score)) for row, score in zip(rows[0], scores[0], strict=True) if row >= 0]

    def bm25_candidates(self, query_text: str, n: int) -> list[tuple[int, float]]:
        """Top ``n`` (row, BM25 score) among chunks sharing at least one token with the query, best first."""
        vocab: dict[str, int] = self._bm25.vocab_dict
        token_ids = [vocab[token] for token in tokenize(query_text) if token in vocab]
        if not token_ids or n <= 0:
            return []
        scores = np.asarray(self._bm25.get_scores_from_ids(token_ids), dtype=np.float64)
        order = np.argsort(-scores, kind="stable")[:n]
        return [(int(row), float(scores[row])) for row in order if scores[row] > 0]

    def search(
        self,
        query_vector: npt.ArrayLike,
        query_text: str,
        *,
        k: int = 8,
        mode: str = "fused",
        boost_sections: Collection[int] = (),
        boost_chapters: Collection[str] = (),
        boost: float = 0.25,
        candidates: int = 50,
    ) -> list[Hit]:
        """The best ``k`` chunks for a query given as a vector [d] (normalised here) and as text.

        The candidate lists the mode needs are computed (top max(candidates, k) by faiss inner product; the
        same number with BM25 > 0); a hit's rank in a list that was not computed is None. ``mode`` picks the score:
        "dense" = inner product, "bm25" = BM25, "fused" = reciprocal rank fusion, Σ 1/(60 + rank) over the
        lists a chunk appears in. Only candidates of the chosen mode can be returned, so fewer than ``k``
        hits come back when fewer match (e.g. "bm25" with a query sharing no word with the book).

        Boosting (e.g. the section the student is reading) then multiplies the score of a chunk in
        ``boost_sections`` by (1 + boost) and, otherwise, of one in ``boost_chapters`` by (1 + boost/2);
        a negative score is divided by that factor instead, so boosting never demotes. The list is
        re-sorted; ties go to the better dense rank, then the better BM25 rank, then book order.
        Boosting reorders candidates; it does not pull in chunks outside them.
        """
        if mode not in MODES:
            raise ValueError(f"Unknown search mode {mode!r}; expected one of {', '.join(MODES)}")
        if k <= 0 or not self.chunks:
            return []
        # A single-mode query skips the other list: it would only fill in a rank nobody ranks by.
        dense = self.dense_candidates(query_vector, max(candidates, k)) if mode != "bm25" else []
        lexical = self.bm25_candidates(query_text, max(candidates, k)) if mode != "dense" else []
        dense_rank = {row: rank for rank, (row, _) in enumerate(dense, start=1)}
        bm25_rank = {row: rank for rank, (row, _) in enumerate(lexical, start=1)}

        scores: dict[int, float]
        if mode == "dense":
            scores = dict(dense)
        elif mode == "bm25":
            scores = dict(lexical)
        else:
            scores = {}
            for ranks in (dense_rank, bm25_rank):
                for row, rank in ranks.items():
                    scores[row] = scores.get(row, 0.0) + 1.0 / (RRF_K + rank)

        section_ids = set(boost_sections)
        chapters = set(boost_chapters)
        if section_ids or chapters:
            for row, score in scores.items():
                chunk = self.chunks[row]
                factor = 1.0 + boost if chunk.section_id in section_ids else 1.0
                if factor == 1.0 and chunk.chapter in chapters:
                    factor = 1.0 + boost / 2
                scores[row] = score * factor if score >= 0 else score / factor

        missing = len(self.chunks) + 1
        order = sorted(
            scores,
            key=lambda row: (-scores[row], dense_rank.get(row, missing), bm25_rank.get(row, missing), row),
        )
        return [
            Hit(
                chunk=self.chunks[row],
                score=scores[row],
                rank=rank,
                dense_rank=dense_rank.get(row),
                bm25_rank=bm25_rank.get(row),
            )
            for rank, row in enumerate(order[:k], start=1)
        ]

    def brute_force(self, query_vector: npt.ArrayLike, k: int) -> list[int]:
        """Rows of the ``k`` largest ``vectors @ q`` by an exact numpy sort: the baseline for benchmarks."""
        scores = self.vectors @ self._query(query_vector)
        return [int(row) for row in np.argsort(-scores, kind="stable")[:k]]


def _reuse_key(chunk: Chunk) -> tuple[str, str]:
    # The text actually embedded is part of the key, so a renamed heading re-embeds even if
    # content_hash covers only the body.
    return chunk.content_hash, chunk.embedding_text()


def _normalised(vectors: npt.ArrayLike, n: int, dimension: int) -> FloatArray:
    out = np.asarray(vectors, dtype=np.float32)
    if out.shape != (n, dimension):
        raise ValueError(f"embedder returned shape {out.shape}, expected ({n}, {dimension})")
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    return np.asarray(out / np.where(norms > 0, norms, 1.0), dtype=np.float32)


def build_index(
    chunks: Sequence[Chunk],
    embedder: Embedder,
    *,
    reuse: BookIndex | None = None,
    progress: Callable[[int, int], None] | None = None,
    hnsw_threshold: int = 50_000,
    batch_size: int = 32,
) -> tuple[BookIndex, int]:
    """Embed ``chunks`` into a new ``BookIndex``; return it and how many chunks were embedded.

    Vectors are copied from ``reuse`` (same model and dimension) for chunks whose content hash and
    embedding text it already holds; only the others are sent to the embedder, ``batch_size`` at a time,
    calling ``progress(done, total)`` after each batch (total = chunks to embed; once with (0, 0) if none).
    Below ``hnsw_threshold`` chunks the dense index is an exact IndexFlatIP; at or above it an
    IndexHNSWFlat (M=32, efConstruction=80, efSearch=64), inner product.
    """
    if not chunks:
        raise ValueError("Cannot build an index of no chunks")
    dimension = embedder.dimension
    known: dict[tuple[str, str], FloatArray] = {}
    if reuse is not None and reuse.model == embedder.name and reuse.dimension == dimension:
        known = {_reuse_key(chunk): reuse.vectors[i] for i, chunk in enumerate(reuse.chunks)}

    vectors = np.zeros((len(chunks), dimension), dtype=np.float32)
    todo: list[int] = []
    for i, chunk in enumerate(chunks):
        vector = known.get(_reuse_key(chunk))
        if vector is None:
            todo.append(i)
        else:
            vectors[i] = vector

    total = len(todo)
    if total == 0 and progress is not None:
        progress(0, 0)
    for start in range(0, total, batch_size):
        rows = todo[start : start + batch_size]
        encoded = embedder.encode([chunks[i].embedding_text() for i in rows], batch_size=batch_size)
        vectors[rows] = _normalised(encoded, len(rows), dimension)
        if progress is not None:
            progress(start + len(rows), total)

    index = BookIndex(
        version=new_version_name(chunks),
        model=embedder.name,
        dimension=dimension,
        kind="hnsw" if len(chunks) >= hnsw_threshold else "flat",
        chunks=list(chunks),
        vectors=vectors,
    )
    return index, total


# --------------------------------------------------------------------------- versions on disk


def content_hash(chunks: Sequence[Chunk]) -> str:
    """sha256 hex over the chunks' content hashes in order, one per line: equal iff the same text is indexed."""
    digest = hashlib.sha256()
    for chunk in chunks:
        digest.update(chunk.content_hash.encode("ascii"))
        digest.update(b"\n")
    return digest.hexdigest()


def new_version_name(chunks: Sequence[Chunk]) -> str:
    """``<UTC yyyymmddThhmmssZ>-<first 10 hex of the content hash>``; sorts chronologically."""
    return f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}-{content_hash(chunks)[:10]}"


def _check_name(name: str, what: str) -> str:
    if not _SAFE_NAME.fullmatch(name) or ".." in name:
        raise ValueError(f"Invalid {what} {name!r}: use letters, digits, '.', '_' and '-' only")
    return name


def _fsync_path(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_tree(root: Path) -> None:
    for dirpath, _, filenames in os.walk(root):
        for filename in filenames:
            _fsync_path(Path(dirpath) / filename)
        _fsync_path(Path(dirpath))


def _write_version(index: BookIndex, directory: Path) -> None:
    # Manifest last: a directory with a manifest was written completely.
    with (directory / CHUNKS).open("w", encoding="utf-8") as f:
        for chunk in index.chunks:
            f.write(json.dumps(dataclasses.asdict(chunk), ensure_ascii=False) + "\n")
    np.save(directory / VECTORS, np.asarray(index.vectors, dtype=np.float32), allow_pickle=False)
    faiss.write_index(index.dense_index, str(directory / FAISS_INDEX))
    index._bm25.save(str(directory / BM25_DIR), show_progress=False)
    manifest = {
        "format": FORMAT,
        "version": index.version,
        "model": index.model,
        "dimension": index.dimension,
        "kind": index.kind,
        "count": len(index.chunks),
        "chunk_ids": [chunk.id for chunk in index.chunks],
        "content_hash": index.content_hash,
        "created": datetime.now(UTC).isoformat(),
    }
    (directory / MANIFEST).write_text(json.dumps(manifest, indent=1), encoding="utf-8")


def _write_atomically(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("w", encoding="utf-8") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    _fsync_path(path.parent)


def _created(directory: Path) -> str:
    try:
        return str(json.loads((directory / MANIFEST).read_text(encoding="utf-8"))["created"])
    except (OSError, ValueError, KeyError):
        return ""


def _prune(root: Path, current: str) -> None:
    versions = [d for d in root.iterdir() if d.is_dir() and not d.name.startswith(".") and (d / MANIFEST).is_file()]
    older = sorted((d for d in versions if d.name != current), key=lambda d: (_created(d), d.name), reverse=True)
    for directory in older[KEEP_OLD_VERSIONS:]:
        shutil.rmtree(directory, ignore_errors=True)
    for directory in root.glob(".tmp-*"):
        if directory.is_dir() and time.time() - directory.stat().st_mtime > STALE_TMP_SECONDS:
            shutil.rmtree(directory, ignore_errors=True)


def save_index(index: BookIndex, root: Path) -> Path:
    """Write ``index`` as ``root/<version>/`` and point ``root/CURRENT`` at it; return the version dir.

    ``root`` is ``var/index/<book-slug>``. Files go to ``root/.tmp-<version>/``, are fsynced, and the
    directory is renamed into place; only then is ``CURRENT`` replaced (write ``CURRENT.tmp``, fsync,
    ``os.replace``). A failure before that leaves ``CURRENT`` and every existing version untouched.
    Afterwards the two newest other versions are kept and older ones deleted.
    """
    version = _check_name(index.version, "version")
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    final = root / version
    if final.exists():
        raise FileExistsError(f"Index version {version!r} already exists at {final}")
    tmp = root / f".tmp-{version}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    try:
        _write_version(index, tmp)
        _fsync_tree(tmp)
        os.rename(tmp, final)
        _fsync_path(root)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    _write_atomically(root / CURRENT, version + "\n")
    _prune(root, version)
    return final


def current_version(root: Path) -> str | None:
    """The version ``root/CURRENT`` names, or None if there is none yet. One small file read."""
    try:
        version = (Path(root) / CURRENT).read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    return version or None


def _chunk_from_json(data: dict[str, Any], path: Path) -> Chunk:
    fields: dict[str, Any] = {key: tuple(value) if isinstance(value, list) else value for key, value in data.items()}
    try:
        return Chunk(**fields)
    except TypeError as exc:  # Chunk gained or lost a field since this version was written
        raise ValueError(f"{path} holds chunks of another shape ({exc}); rebuild the index") from exc


def load_index(root: Path, version: str | None = None) -> BookIndex:
    """Read ``root/<version>/`` (default: the version in ``root/CURRENT``) into memory."""
    root = Path(root)
    if version is None:
        version = current_version(root)
        if version is None:
            raise FileNotFoundError(f"No retrieval index at {root}: {root / CURRENT} is missing; build the index first")
    directory = root / _check_name(version, "version")
    manifest_path = directory / MANIFEST
    if not manifest_path.is_file():
        raise FileNotFoundError(f"Index version {version!r} not found (no {manifest_path})")
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    if manifest.get("format") != FORMAT:
        raise ValueError(f"{manifest_path} has format {manifest.get('format')!r}; this code reads {FORMAT}; rebuild")
    with (directory / CHUNKS).open(encoding="utf-8") as f:
        chunks = [_chunk_from_json(json.loads(line), directory / CHUNKS) for line in f if line.strip()]
    vectors = np.load(directory / VECTORS, allow_pickle=False)
    if len(chunks) != manifest["count"] or [c.id for c in chunks] != manifest["chunk_ids"]:
        raise ValueError(f"{directory} is inconsistent: chunks.jsonl does not match manifest.json")
    dense = faiss.read_index(str(directory / FAISS_INDEX))
    if dense.ntotal != len(chunks):
        raise ValueError(f"{directory} is inconsistent: faiss.index holds {dense.ntotal} vectors, not {len(chunks)}")
    retriever = bm25s.BM25.load(str(directory / BM25_DIR), load_vocab=True, show_progress=False)
    return BookIndex(
        version=str(manifest["version"]),
        model=str(manifest["model"]),
        dimension=int(manifest["dimension"]),
        kind=str(manifest["kind"]),
        chunks=chunks,
        vectors=np.asarray(vectors, dtype=np.float32),
        _faiss=dense,
        _bm25=retriever,
    )


class IndexCache:
    """Per-process cache of loaded book indexes under ``root`` (``var/index``); thread-safe.

    ``get`` reads ``<root>/<book>/CURRENT`` on every call and reloads when it names another version.
    Versions are complete before CURRENT names them, so a reload never sees a half-written index;
    until it finishes, other threads keep being served the previous one.
    """

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self._lock = threading.Lock()
        self._book_locks: dict[str, threading.Lock] = {}
        self._loaded: dict[str, BookIndex] = {}

    def get(self, book: str) -> BookIndex:
        """The current ``BookIndex`` of ``book`` (a slug); FileNotFoundError if it has none."""
        book_root = self.root / _check_name(book, "book slug")
        version = current_version(book_root)
        loaded = self._loaded.get(book)
        if version is None:
            if loaded is not None:
                return loaded  # CURRENT vanished (being restored?): keep serving what we have
            raise FileNotFoundError(f"No retrieval index for book {book!r}: {book_root / CURRENT} is missing")
        if loaded is not None and loaded.version == version:
            return loaded
        with self._lock:
            book_lock = self._book_locks.setdefault(book, threading.Lock())
        if loaded is None:
            book_lock.acquire()
        elif not book_lock.acquire(blocking=False):
            return loaded  # another thread is loading the new version; serve the old one meanwhile
        try:
            loaded = self._loaded.get(book)
            if loaded is not None and loaded.version == version:
                return loaded
            try:
                fresh = load_index(book_root, version)
            except FileNotFoundError:
                fresh = load_index(book_root)  # pruned between our read of CURRENT and the load: follow CURRENT again
            self._loaded[book] = fresh
            return fresh
        finally:
            book_lock.release()


# --------------------------------------------------------------------------- evaluation


def _distinct(ranking: Sequence[int]) -> list[int]:
    return list(dict.fromkeys(ranking))


def section_ranking(hits: Sequence[Hit]) -> list[int]:
    """Distinct section ids in hit order (a section's first chunk decides its place)."""
    return _distinct([hit.chunk.section_id for hit in hits])


def _check_eval(rankings: Sequence[Sequence[int]], truths: Sequence[Collection[int]]) -> None:
    if len(rankings) != len(truths):
        raise ValueError(f"{len(rankings)} rankings but {len(truths)} truth sets")
    if not rankings:
        raise ValueError("No queries to evaluate")
    if any(len(truth) == 0 for truth in truths):
        raise ValueError("Every query needs at least one true section")


def recall_at_k(rankings: Sequence[Sequence[int]], truths: Sequence[Collection[int]], k: int) -> float:
    """Mean over queries of |true sections among the first k distinct sections| / |true sections|."""
    if k < 1:
        raise ValueError("k must be at least 1")
    _check_eval(rankings, truths)
    total = 0.0
    for ranking, truth in zip(rankings, truths, strict=True):
        wanted = set(truth)
        total += len(wanted.intersection(_distinct(ranking)[:k])) / len(wanted)
    return total / len(rankings)


def mean_reciprocal_rank(rankings: Sequence[Sequence[int]], truths: Sequence[Collection[int]]) -> float:
    """Mean over queries of 1 / (1-based position of the first true section in the distinct ranking); 0 if absent."""
    _check_eval(rankings, truths)
    total = 0.0
    for ranking, truth in zip(rankings, truths, strict=True):
        wanted = set(truth)
        total += next((1.0 / rank for rank, s in enumerate(_distinct(ranking), start=1) if s in wanted), 0.0)
    return total / len(rankings)
