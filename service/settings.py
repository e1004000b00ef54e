"""All configuration in one place: environment variables with the ``NEWSBRIDGE_`` prefix."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

CommaList = Annotated[list[str], NoDecode]

# A model input holds the target-language prefix (one token, e.g. ``>>pol<<``), at least one
# token of text and ``</s>``: a smaller limit can fit no text at all.
MIN_INPUT_TOKENS = 3


def _default_database_url() -> str:
    return f"sqlite:///{Path.cwd() / 'newsbridge.db'}"


def default_jobs_dir(database_url: str) -> Path:
    """``newsbridge-jobs/`` next to an SQLite cache file, else in the working directory."""
    if database_url.startswith("sqlite:///"):
        return Path(database_url.removeprefix("sqlite:///")).parent / "newsbridge-jobs"
    return Path.cwd() / "newsbridge-jobs"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="NEWSBRIDGE_", env_file=None, extra="ignore")

    database_url: str = Field(default_factory=_default_database_url,
                              description="SQLAlchemy URL of the translation cache; an SQLite file by default.")
    cache_enabled: bool = True
    cache_timeout: float = Field(default=1.0, gt=0,
                                 description="Seconds one cache read or write may take before it counts as failed.")
    cache_breaker_failures: int = Field(default=3, ge=1,
                                        description="Consecutive cache failures or timeouts that open the circuit.")
    cache_breaker_reset: float = Field(default=30.0, gt=0,
                                       description="Seconds the cache is skipped once the circuit is open.")
    model_dir: Path | None = Field(default=None,
                                   description="Folder with one sub-folder per pair (pl-en/, lt-en/, ...).")
    backend: Literal["transformers", "ctranslate2"] = Field(
        default="ctranslate2", description="ctranslate2 (int8, no PyTorch in the serving process; models are "
                                           "converted once, ahead of requests) or transformers (PyTorch).")
    ct2_compute_type: str = "int8"
    device: Literal["auto", "cpu", "cuda"] = "auto"
    preload: bool = Field(default=False, description="At start, convert (CTranslate2) and load every available pair "
                                                     "and decode once with it, and load the detectors and the "
                                                     "summarizer, instead of on first use; /readyz answers 503 "
                                                     "`starting` until done. `newsbridge serve` turns it on unless "
                                                     "set; an app built in-process (tests) leaves it off.")
    preload_tiers: CommaList = Field(default_factory=lambda: ["quality"], description=(
        "Model tiers NEWSBRIDGE_PRELOAD loads at start (quality, fast); the others load on first use."))

    max_chars: int = Field(default=200_000, gt=0, description="Largest accepted text, in characters.")
    low_confidence: float = Field(default=0.4, ge=0, le=1, description=(
        "A translated sentence whose translation_confidence (the model's geometric-mean token "
        "probability) is below this gets the low_confidence flag; docs/engines.md says why 0.4."))
    max_batch_texts: int = Field(default=64, gt=0, description="Most texts in one API request.")
    max_request_chars: int = Field(default=1_000_000, gt=0,
                                   description="Most characters in one API request, all texts together.")
    max_body_bytes: int = Field(default=8 * 1024 * 1024, gt=0,
                                description="Largest request body, checked while it is read (413 beyond).")
    max_html_depth: int = Field(default=256, gt=0, description="Deepest element nesting accepted in HTML input.")
    batch_size: int = Field(default=16, gt=0, description="Sentences per model batch.")
    max_batch_tokens: int = Field(default=4096, gt=0, description="Source tokens per model batch.")
    num_beams: int | None = Field(default=None, description="Override the model's own beam size.")
    fast_num_beams: int | None = Field(default=None, ge=1, description=(
        "Beam size of the fast tier's models (default: NEWSBRIDGE_NUM_BEAMS, else each model's own: opus-mt-pl-en "
        "decodes with 6 beams, which makes it no faster than the quality tier's 4; docs/benchmarks.md)."))
    max_input_tokens: int | None = Field(
        default=None, description="Override the model's input limit (tokens, the target-language prefix and </s> "
                                  f"included; at least {MIN_INPUT_TOKENS}).")
    no_repeat_ngram_size: int | None = Field(default=None, ge=0,
                                             description="Forbid repeating n-grams of this size (model's own: 0).")
    repetition_penalty: float | None = Field(default=None, gt=0,
                                             description="Penalize repeated tokens when > 1 (model's own: 1.0).")

    coalesce: bool = Field(default=True, description="Coalesce concurrent requests into shared model batches.")
    coalesce_wait_ms: float = Field(default=5.0, ge=0)
    express_lane: bool = Field(default=True, description=(
        "Small requests (a few sentences) run beside a long text's model batch instead of waiting for it, on "
        "the engine's other parallel worker (CTranslate2 with inter_threads >= 2; transformers runs one call "
        "at a time and has none)."))

    intra_threads: int = Field(default=0, ge=0, description="Threads per model call (0: cores / workers / inter).")
    inter_threads: int = Field(default=0, ge=0,
                               description="Model calls running at once (0: 2 for ctranslate2, 1 for transformers).")
    workers: int = Field(default=1, ge=1, description="Server worker processes sharing the machine.")

    detector: Literal["ensemble", "langdetect", "py3langid", "lingua"] = Field(
        default="ensemble", description="Language detector: the ensemble (best measured, docs/benchmarks.md) "
                                        "or one engine alone.")
    detection_accuracy: Literal["standard", "high"] = Field(
        default="standard", description="The ensemble's lingua models: standard (trigrams, about 10 MB) or high "
                                        "(1- to 5-grams, about 110 MB more, a few tenths of a percent better on "
                                        "two-word fragments; docs/benchmarks.md).")
    summarizer: Literal["extractive", "abstractive"] = "extractive"
    summarizer_model: str | None = None

    max_queue_chars: int = Field(default=300_000, gt=0,
                                 description="Characters of admitted model work in the server at once; beyond it "
                                             "requests get 503 with Retry-After at once.")
    max_queue_requests: int = Field(default=256, gt=0, description="Requests with model work in the server at once.")
    work_threads: int = Field(default=16, gt=0,
                              description="Threads running admitted requests' work (more wait in the queue).")
    interactive_chars: int = Field(default=1000, ge=0, description=(
        "Requests of up to this many characters are interactive: while one runs, larger requests and jobs pause "
        "at their checkpoints (between sentences and model batches, at most 4 ms at a time and half their time "
        "in all), so a one-sentence request is not slowed by an article beside it. 0: off."))
    work_nice: int = Field(default=10, ge=0, le=19,
                           description="Nice levels the work threads (and the models' threads) run below the event "
                                       "loop, so health checks and refusals are answered at once on busy cores.")
    request_timeout: float = Field(default=60.0, gt=0,
                                   description="Seconds a request may take; then 504 and its queued work is dropped.")
    shutdown_grace: float = Field(default=25.0, gt=0,
                                  description="Seconds from SIGTERM to exit: in-flight requests finish or get 503.")
    keep_alive: float = Field(default=75.0, gt=0,
                              description="Seconds an idle keep-alive connection is kept open: longer than clients' "
                                          "and load balancers' own idle timeouts, so the server never closes a "
                                          "connection a client is reusing at that moment.")
    trusted_proxies: str = Field(default="",
                                 description="Comma-separated proxy addresses/networks whose X-Forwarded-For is "
                                             "believed ('*': any); empty: none.")
    jobs_dir: Path | None = Field(default=None, description="Inputs and results of HTTP jobs (default: "
                                  "newsbridge-jobs/ next to the SQLite file, else in the working directory).")
    max_job_bytes: int = Field(default=256 * 1024 * 1024, gt=0, description="Largest job input (413 above).")
    job_batch_records: int = Field(default=16, gt=0, description="Records per chunk of a job.")
    job_workers: int = Field(default=1, ge=0, description="Jobs run at once by this process (0: none).")
    job_queue_share: float = Field(default=0.5, gt=0, le=1, description=(
        "Share of NEWSBRIDGE_MAX_QUEUE_CHARS that job work may hold at once: the rest (and a request slot) "
        "stays for interactive requests, which a running job never crowds out."))
    job_lease_s: float = Field(default=60.0, gt=0, description="A running job whose process is silent this "
                               "long is taken over by another server process.")
    job_poll_s: float = Field(default=1.0, gt=0, description="How often idle job workers look for work.")
    webhook_secret: SecretStr | None = Field(default=None, description="Standard Webhooks secret (whsec_...) "
                                             "signing job callbacks.")
    webhook_allow: CommaList = Field(default_factory=list, description=(
        "Comma-separated addresses or networks (127.0.0.1, 10.1.0.0/16, fd00::/8) a job's callback_url may "
        "resolve to although they are not public: loopback, private, link-local, carrier-grade NAT, ... are "
        "refused otherwise (server-side request forgery)."))
    webhook_attempts: int = Field(default=6, ge=1, description="Deliveries tried per callback.")
    webhook_backoff_s: float = Field(default=1.0, ge=0, description="First retry delay; doubles each time.")

    # -- translation memory (see docs/memory.md) ---------------------------------------------
    memory_enabled: bool = Field(default=True, description=(
        "Serve sentences from the translation memory (approved corrections) before the cache and the model."))
    memory_fuzzy_threshold: int = Field(default=75, ge=1, le=100, description=(
        "Least similarity (0-100, Damerau-Levenshtein as Weblate scores it) of a memory entry offered as a "
        "suggestion beside the model's translation."))
    memory_suggestions: int = Field(default=3, ge=0, le=20, description=(
        "Most fuzzy suggestions per sentence (0: none)."))
    memory_max_segment_chars: int = Field(default=2000, gt=0, description=(
        "Longest source or target segment a memory entry may hold (413 beyond)."))
    memory_max_import_bytes: int = Field(default=64 * 1024 * 1024, gt=0, description=(
        "Largest TMX file accepted by POST /v1/memory/import (413 beyond, nothing written)."))
    memory_lt_suggest: bool = Field(default=True, description=(
        "Accept LibreTranslate's POST /suggest (stored as `suggested` memory entries)."))
    api_keys_role: Literal["translator", "editor"] = Field(default="editor", description=(
        "Role of the NEWSBRIDGE_API_KEYS keys: `editor` may approve memory entries, `translator` only suggest."))
    # -- glossaries (docs/integration.md#glossaries) ----------------------------------------------
    glossary_max_entries: int = Field(default=10_000, gt=0, description="Most entries in one glossary dictionary "
                                      "(one language pair); more is refused with 413.")
    glossary_max_term_chars: int = Field(default=1024, gt=0, description="Longest glossary term, in characters "
                                         "(longer is refused with 400).")
    glossary_max_per_owner: int = Field(default=1000, gt=0, description="Most glossaries one API key (or, with the "
                                        "API open, everyone together) may hold; more is refused with 409.")

    log_level: str = "INFO"
    log_json: bool = False

    # -- access: API keys, quotas, rate limits, CORS (see docs/integration.md) ------------------
    api_keys: CommaList = Field(default_factory=list, description=(
        "Comma-separated API keys accepted besides those stored with `newsbridge keys create`. "
        "With no key at all the API is open."))
    api_keys_chars_per_month: int = Field(default=0, ge=0, description=(
        "Monthly character quota of each NEWSBRIDGE_API_KEYS key (0: none)."))
    rate_limit_per_minute: int = Field(default=0, ge=0, description=(
        "Requests per minute per key (keys without their own limit), or per client address when the "
        "API is open (0: no limit)."))
    cors_origins: CommaList = Field(default_factory=list,
                                    description="Origins allowed to call the API from a browser (`*` for any).")

    @field_validator("api_keys", "cors_origins", "preload_tiers", "webhook_allow", mode="before")
    @classmethod
    def _split_commas(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("preload_tiers")
    @classmethod
    def _known_tiers(cls, value: list[str]) -> list[str]:
        unknown = [t for t in value if t not in ("quality", "fast")]
        if unknown:
            raise ValueError(f"unknown tier(s) {', '.join(unknown)}: use quality, fast")
        return value

    @field_validator("webhook_allow")
    @classmethod
    def _networks(cls, value: list[str]) -> list[str]:
        import ipaddress

        for entry in value:
            try:
                ipaddress.ip_network(entry, strict=False)
            except ValueError:
                raise ValueError(f"NEWSBRIDGE_WEBHOOK_ALLOW: {entry!r} is not an address or network "
                                 "(e.g. 127.0.0.1, 10.1.0.0/16, ::1)") from None
        return value

    @field_validator("max_input_tokens")
    @classmethod
    def _room_for_text(cls, value: int | None) -> int | None:
        if value is not None and value < MIN_INPUT_TOKENS:
            raise ValueError(f"NEWSBRIDGE_MAX_INPUT_TOKENS={value} leaves no room for text: the target-language "
                             f"prefix and </s> take up to {MIN_INPUT_TOKENS - 1} tokens; use at least "
                             f"{MIN_INPUT_TOKENS} (or leave it unset for the model's own limit)")
        return value


def describe_invalid(exc: ValidationError) -> str:
    """One line per bad setting, named by its environment variable: what the CLI prints instead
    of a traceback (``NEWSBRIDGE_BATCH_SIZE='x': Input should be a valid integer, ...``)."""
    lines = []
    for err in exc.errors():
        name = "NEWSBRIDGE_" + "_".join(str(part) for part in err.get("loc", ())).upper()
        message = str(err.get("msg", "")).removeprefix("Value error, ")
        shown = f"{name}={err['input']!r}" if isinstance(err.get("input"), str | int | float) else name
        lines.append(message if message.startswith(name) else f"{shown}: {message}")
    return "\n".join(lines)
