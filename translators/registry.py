"""The one registry: languages and their names, which model serves which pair in which quality
tier, which pairs pivot through English, and where a model's files are.

Everything that lists languages or pairs (HTTP schemas and ``/v1/languages``, preloading,
the CLI, batch, the compatibility endpoints) reads them from here.

Two tiers per direct pair: ``quality`` (the best published OPUS-MT model, the default) and
``fast`` (a smaller published model: a transformer-base instead of a transformer-big). Each
entry carries the figures its model card and the Helsinki-NLP OPUS-MT-leaderboard publish (not
measured here) and a pinned hub revision, so a re-upload on the hub never changes a deployment
behind its back (the tc-big checkpoints were re-uploaded for transformers >= 4.29 after they
produced garbage: transformers issues 26216/26271).

A pair is served from ``NEWSBRIDGE_MODEL_DIR/<src>-<tgt>/`` (quality tier) or
``NEWSBRIDGE_MODEL_DIR/<src>-<tgt>.fast/`` (fast tier) when that folder exists (a Hugging Face
Marian folder, optionally with its CTranslate2 conversion inside), else from the entry's hub id at
its pinned revision (downloaded and cached the usual way, honouring ``HF_HUB_OFFLINE``). A folder
``pl-en/`` laid out before tiers existed keeps serving every request that does not ask for the
fast tier, as it did.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, get_args

from translators.base import SUPPORTED_LANGS, Lang, ModelMissing, UnsupportedPair
from translators.file_digests import file_digest

# Code -> English name, in the order they are listed everywhere (codes: ``translators.base.Lang``).
LANGUAGES: dict[Lang, str] = dict(zip(SUPPORTED_LANGS, ("Polish", "Lithuanian", "English"), strict=True))
AUTO = "auto"  # a source language to be detected
SOURCE_CHOICES: tuple[str, ...] = (AUTO, *LANGUAGES)

Tier = Literal["quality", "fast"]
TIERS: tuple[Tier, ...] = get_args(Tier)
DEFAULT_TIER: Tier = "quality"
# What a request asks for (``/v1/translate``'s ``quality``) -> the tier that serves it.
Quality = Literal["best", "fast"]
QUALITIES: tuple[Quality, ...] = get_args(Quality)
TIER_OF: dict[str, Tier] = {"best": "quality", "fast": "fast"}


def tier_of(quality: str | None) -> Tier:
    """The tier serving a request's ``quality`` (``best``, ``fast``; None: the default tier)."""
    if quality is None:
        return DEFAULT_TIER
    try:
        return TIER_OF[quality]
    except KeyError:
        raise ValueError(f"quality must be one of {', '.join(QUALITIES)}, not {quality!r}") from None


@dataclass(frozen=True, slots=True)
class Score:
    """A published score of a model on a test set (chrF on a 0-1 scale, BLEU), as its model
    card or the OPUS-MT-leaderboard gives it: published, not measured here."""

    testset: str
    bleu: float
    chrf: float | None = None

    def __str__(self) -> str:
        chrf = f"chrF {self.chrf:.3f} / " if self.chrf is not None else ""
        return f"{self.testset}: {chrf}BLEU {self.bleu:.1f}"


@dataclass(frozen=True, slots=True)
class ModelSpec:
    source: Lang
    target: Lang
    hub_id: str
    prefix: str = ""  # target-language token for multi-target models, e.g. ">>pol<< "
    note: str = ""
    tier: Tier = "quality"
    revision: str = ""  # the pinned hub commit (40 hex digits); "" = the hub's main branch
    architecture: str = ""  # as the card and the release name give it
    release: str = ""  # the OPUS-MT release the hub model was converted from
    scores: tuple[Score, ...] = ()  # published (model card / OPUS-MT-leaderboard), not measured here
    confirmed: str = ""  # where the figures and the revision were checked

    @property
    def pair(self) -> str:
        return f"{self.source}-{self.target}"

    @property
    def folder(self) -> str:
        """Its sub-folder of NEWSBRIDGE_MODEL_DIR: ``pl-en`` (quality tier), ``pl-en.fast``."""
        return self.pair if self.tier == DEFAULT_TIER else f"{self.pair}.{self.tier}"


_BIG = "transformer-big (d_model 1024, 6+6 layers, 16 heads, FFN 4096)"
_BASE = "transformer-base (d_model 512, 6+6 layers, 8 heads, FFN 2048)"
_BOARD = "Helsinki-NLP/OPUS-MT-leaderboard"

# Every figure below was read from the model card (README / benchmark_results.txt) or the
# leaderboard's score files; revisions from the hub repositories' commit pages (docs/engines.md
# lists which figure came from which file).
MODELS: tuple[ModelSpec, ...] = (
    ModelSpec("pl", "en", "Helsinki-NLP/opus-mt-tc-big-zlw-en", tier="quality",
              revision="5f2b1d3591f4b835b20bd7f2c70ad193df2379b9",  # "Update checkpoint for transformers>=4.29"
              architecture=_BIG, release="zlw-eng/opusTCv20210807+bt_transformer-big_2022-03-17",
              scores=(Score("flores101-devtest", 29.6, 0.583), Score("newstest2020", 32.6)),
              confirmed=f"{_BOARD} scores/pol-eng/{{flores101-devtest,newstest2020}}",
              note="West Slavic -> English; no target token"),
    ModelSpec("pl", "en", "Helsinki-NLP/opus-mt-pl-en", tier="fast",
              revision="35d76b7b4598f3d473a6dcb8396be3cb5a54d0da",  # "Adding generation config file(s)"
              architecture=_BASE + " (card: transformer-align)", release="OPUS-MT-models/pl-en/opus-2019-12-18",
              scores=(Score("flores101-devtest", 25.7, 0.556), Score("newstest2020", 29.8)),
              confirmed=f"model card (release opus-2019-12-18); {_BOARD} scores/pol-eng",
              note="Tatoeba pl-en BLEU 54.9 (card)"),
    ModelSpec("en", "pl", "Helsinki-NLP/opus-mt-tc-bible-big-deu_eng_fra_por_spa-sla", prefix=">>pol<< ",
              tier="quality", revision="9b9fbdae5e6ebc9bc9cc04397d5f46ed68989cdf",  # "Initial commit" (weights)
              architecture=_BIG + ", 237.8M parameters",
              release="deu+eng+fra+por+spa-sla/opusTCv20230926max50+bt+jhubc_transformer-big_2024-05-30",
              scores=(Score("flores200-devtest", 21.8, 0.523), Score("newstest2020", 24.9, 0.544)),
              confirmed=f"{_BOARD} models/Tatoeba-MT-models/deu+eng+fra+por+spa-sla/...2024-05-30.scores.txt",
              note="5 source languages -> 26 Slavic targets: needs >>pol<<"),
    ModelSpec("en", "pl", "Helsinki-NLP/opus-mt-en-zlw", prefix=">>pol<< ", tier="fast",
              revision="a2a1ec3e211d80155cdcd4c942ed67bb63c557d4",  # "Adding generation config file(s)"
              architecture=_BASE + " (card: transformer)", release="eng-zlw/opus2m-2020-08-02",
              scores=(Score("flores101-devtest", 16.7, 0.477), Score("newstest2020", 20.4)),
              confirmed=f"model card metadata.json (opus2m-2020-08-02); {_BOARD} "
                        "models/Tatoeba-MT-models/eng-zlw/opus2m-2020-08-02/*.eval, scores/eng-pol/newstest2020",
              note="English -> West Slavic: needs >>pol<<"),
    ModelSpec("lt", "en", "Helsinki-NLP/opus-mt-tc-big-lt-en", tier="quality",
              revision="19488d4ca36c1e5ff72934f042c0549a0d89648f",  # "Update checkpoint for transformers>=4.29"
              architecture=_BIG, release="lit-eng/opusTCv20210807+bt_transformer-big_2022-02-25",
              scores=(Score("flores101-devtest", 34.3, 0.607),),
              confirmed=f"model card model-index (BLEU 34.3); {_BOARD} scores/lit-eng/flores101-devtest"),
    ModelSpec("lt", "en", "Helsinki-NLP/opus-mt-bat-en", tier="fast",
              revision="01fd9388eda32d957f5cef8cf58d590a6b4c920e",
              architecture=_BASE + " (card: transformer)", release="bat-eng/opus2m-2020-07-31",
              scores=(Score("flores101-devtest", 26.0, 0.545),),
              confirmed=f"model card metadata.json (opus2m-2020-07-31); {_BOARD} scores/lit-eng/flores101-devtest",
              note="Baltic -> English; no target token"),
    ModelSpec("en", "lt", "Helsinki-NLP/opus-mt-tc-big-en-lt", tier="quality",
              revision="2e08d64d805b30cdcf8e31ad8158f4f9b30da230",  # "Update checkpoint for transformers>=4.29"
              architecture=_BIG, release="eng-lit/opusTCv20210807+bt_transformer-big_2022-02-25",
              scores=(Score("flores101-devtest", 28.0, 0.596),),
              confirmed="model card benchmark_results.txt (eng-lit flores101-devtest 0.59593 28.0)"),
    ModelSpec("en", "lt", "Helsinki-NLP/opus-mt-en-bat", prefix=">>lit<< ", tier="fast",
              revision="a217d371db8dd7c3014f677d889bd887c8e1b6c8",
              architecture=_BASE + " (card: transformer)", release="eng-bat/opus2m-2020-08-01",
              scores=(Score("flores101-devtest", 22.5, 0.546),),
              confirmed=f"model card metadata.json (opus2m-2020-08-01); {_BOARD} scores/eng-lit/flores101-devtest",
              note="English -> Baltic: needs >>lit<<"),
)
TIERED: dict[Tier, dict[str, ModelSpec]] = {t: {s.pair: s for s in MODELS if s.tier == t} for t in TIERS}
# The default tier's model per direct pair: what "the pair's model" means everywhere else.
REGISTRY: dict[str, ModelSpec] = TIERED[DEFAULT_TIER]
PIVOT: Lang = "en"


def direct_pairs() -> list[str]:
    """Pairs served by one model, as ``"src-tgt"``."""
    return list(REGISTRY)


def pivot_pairs() -> list[tuple[Lang, Lang]]:
    """Pairs with no model of their own that go through ``PIVOT`` (pl->lt: pl->en->lt)."""
    return [(s, t) for s in LANGUAGES for t in LANGUAGES
            if s != t and s != PIVOT and t != PIVOT and f"{s}-{t}" not in REGISTRY
            and f"{s}-{PIVOT}" in REGISTRY and f"{PIVOT}-{t}" in REGISTRY]


def targets_for(source: str) -> list[Lang]:
    """Every language ``source`` translates into, directly or through the pivot."""
    pivoted = {t for s, t in pivot_pairs() if s == source}
    return [t for t in LANGUAGES if f"{source}-{t}" in REGISTRY or t in pivoted]


def language_list() -> str:
    """``"pl, lt, en"``: for messages and help texts."""
    return ", ".join(LANGUAGES)


def spec_for(source: str, target: str, tier: Tier = DEFAULT_TIER) -> ModelSpec:
    try:
        return TIERED[tier][f"{source}-{target}"]
    except KeyError:
        raise UnsupportedPair(f"no model for {source}->{target}" + ("" if tier == DEFAULT_TIER else
                                                                     f" in the {tier} tier")) from None


@dataclass(frozen=True, slots=True)
class ResolvedModel:
    spec: ModelSpec
    path: Path  # a local folder holding the Marian files
    model_id: str  # hub id, or the local folder name
    revision: str  # hub commit hash, or "local"
    checksum: str  # content digest: weights + vocabulary (local) or the hub commit (hub)
    prefix: str


# Every file that decides the output: weights (transformers or CTranslate2), config,
# vocabulary, generation settings and the target-language prefix (``newsbridge.json``).
_WEIGHT_FILES = ("model.safetensors", "pytorch_model.bin", "model.bin", "config.json", "generation_config.json",
                 "source.spm", "target.spm", "vocab.json", "tokenizer_config.json", "newsbridge.json")
def folder_checksum(folder: Path) -> str:
    """SHA-256 over the digests of the files that decide the output (each file hashed once per
    version of it on this machine: ``translators/file_digests.py``)."""
    h = hashlib.sha256()
    for name in _WEIGHT_FILES:
        f = folder / name
        if f.is_file():
            h.update(name.encode() + b"\0" + file_digest(f).encode())
    return h.hexdigest()[:16]


def _local_prefix(folder: Path, spec: ModelSpec) -> str:
    """A local folder may override the prefix in ``newsbridge.json`` (e.g. {"prefix": ">>pol<< "})."""
    meta = folder / "newsbridge.json"
    if meta.is_file():
        return str(json.loads(meta.read_text(encoding="utf-8")).get("prefix", spec.prefix))
    return spec.prefix


def resolve(source: str, target: str, model_dir: Path | None, tier: Tier = DEFAULT_TIER) -> ResolvedModel:
    """Find the files for a pair's model in ``tier``: the model folder first (``pl-en/``,
    ``pl-en.fast/``), then the hub at the pinned revision (cache or download)."""
    spec = spec_for(source, target, tier)
    if model_dir is not None:
        folder = Path(model_dir) / spec.folder
        if (folder / "config.json").is_file():
            return ResolvedModel(spec, folder, f"local:{spec.folder}", "local", folder_checksum(folder),
                                 _local_prefix(folder, spec))
    try:
        path = HUB.snapshot(spec.hub_id, spec.revision or None)
    except Exception as exc:
        where = f"{model_dir}/{spec.folder}/" if model_dir else f"NEWSBRIDGE_MODEL_DIR/{spec.folder}/"
        pinned = f" at revision {spec.revision[:12]}" if spec.revision else ""
        raise ModelMissing(
            f"{tier}-tier model for {spec.pair} not found: no Marian folder at {where} and {spec.hub_id}{pinned} "
            f"could not be fetched from the hub ({type(exc).__name__}). Put the model in NEWSBRIDGE_MODEL_DIR or "
            f"run `newsbridge models pull {spec.pair} --tier {tier}` where the hub is reachable."
        ) from exc
    return ResolvedModel(spec, path, spec.hub_id, path.name, path.name[:16], spec.prefix)


class HubReach:
    """Fetches hub snapshots, remembering for ``pause_s`` that the hub could not be reached.

    huggingface_hub retries an unreachable hub five times with back-off (about 25 s) before it
    gives up; a server preloading several pairs that have no folder would pay that for each. After
    one such failure the next lookups within ``pause_s`` use the local cache only (a snapshot
    downloaded earlier still loads); then the hub is tried again. ``HF_HUB_OFFLINE`` is honoured."""

    def __init__(self, *, pause_s: float = 300.0, clock: Callable[[], float] = time.monotonic,
                 download: Callable[..., str] | None = None) -> None:
        self.pause_s, self.clock = pause_s, clock
        self._download = download
        self._unreachable_until = float("-inf")
        self._lock = threading.Lock()

    def local_only(self) -> bool:
        with self._lock:
            return _offline() or self.clock() < self._unreachable_until

    def snapshot(self, hub_id: str, revision: str | None) -> Path:
        from huggingface_hub import snapshot_download
        from huggingface_hub.errors import LocalEntryNotFoundError

        local_only = self.local_only()
        try:
            return Path((self._download or snapshot_download)(hub_id, revision=revision, local_files_only=local_only))
        except LocalEntryNotFoundError:
            if not local_only:  # the hub not reached, and nothing cached
                with self._lock:
                    self._unreachable_until = self.clock() + self.pause_s
            raise


HUB = HubReach()


def _offline() -> bool:
    return os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in {"1", "true", "yes", "on"}


def available_pairs(model_dir: Path | None, tier: Tier = DEFAULT_TIER) -> dict[str, str]:
    """Pair -> where its model in ``tier`` would load from ('local' folder or the hub id),
    without loading anything."""
    out: dict[str, str] = {}
    for pair, spec in TIERED[tier].items():
        local = model_dir is not None and (Path(model_dir) / spec.folder / "config.json").is_file()
        out[pair] = "local" if local else spec.hub_id
    return out
