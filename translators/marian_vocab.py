"""A Marian model's tokenizer from its files, with sentencepiece alone: no transformers, no torch.

``MarianVocab.from_folder(path)`` reads what ``transformers.MarianTokenizer.from_pretrained``
reads (``source.spm``, ``target.spm``, ``vocab.json`` or ``target_vocab.json``,
``tokenizer_config.json``, ``special_tokens_map.json``, ``added_tokens.json``) and gives the same
token ids for the same text, and the same text for the same ids, as transformers 5's slow
``MarianTokenizer`` (tests/test_marian_vocab.py checks it on the tiny models and on real news
text, the ``>>pol<<`` prefix and literal special tokens included):

- special and added tokens (``</s>``, ``<unk>``, ``<pad>``, extras) are cut out of the text first
  and kept whole, honouring their ``lstrip``/``rstrip``/``single_word`` flags;
- each remaining chunk loses a leading ``>>xx<<`` language code (kept as one token), and the rest
  goes through the source SentencePiece model;
- pieces map to ids through the vocabulary (unknown: ``<unk>``), and ``</s>`` is appended;
- decoding maps ids back to pieces (the vocabulary, else the SentencePiece model), skips special
  tokens on request and joins the pieces with SentencePiece: the *source* model for a shared
  vocabulary (as ``MarianTokenizer.decode`` does by default), the target model for separate ones.

So the CTranslate2 backend serves without importing transformers (and with it torch) at all.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, overload

import regex
import sentencepiece

__all__ = ["Encoded", "MarianVocab", "TokenizerFilesMissing"]

SPIECE_UNDERLINE = "▁"
# Named special tokens, in transformers' order (SPECIAL_TOKENS_ATTRIBUTES): all_special_tokens' order.
_NAMED = ("bos_token", "eos_token", "unk_token", "sep_token", "pad_token", "cls_token", "mask_token")
_DEFAULTS = {"unk_token": "<unk>", "eos_token": "</s>", "pad_token": "<pad>"}


class TokenizerFilesMissing(FileNotFoundError):
    """The folder lacks a file the tokenizer needs."""


@dataclass(frozen=True, slots=True)
class _Added:
    """An added (or special) token: kept whole, never split by SentencePiece."""

    content: str
    lstrip: bool = False
    rstrip: bool = False
    single_word: bool = False


@dataclass(frozen=True, slots=True)
class Encoded:
    """What calling the tokenizer returns: ``input_ids`` (one list, or one per text)."""

    input_ids: Any


def _token_text(value: Any) -> str | None:
    """A special token as the config writes it: a string, or an AddedToken-like dict."""
    if isinstance(value, dict):
        return str(value.get("content")) if value.get("content") is not None else None
    return None if value is None else str(value)


def _read_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None


def _load_spm(path: Path, kwargs: dict[str, Any]) -> sentencepiece.SentencePieceProcessor:
    if not path.is_file():
        raise TokenizerFilesMissing(f"{path} is missing: a Marian folder needs source.spm and target.spm")
    spm = sentencepiece.SentencePieceProcessor(**kwargs)
    spm.Load(str(path))
    return spm


class MarianVocab:
    """``MarianTokenizer``'s encoding and decoding, from the files, without transformers."""

    def __init__(self, *, encoder: dict[str, int], decoder: dict[int, str], spm_source: Any, spm_target: Any,
                 separate_vocabs: bool, special: dict[str, str], extra_special: Sequence[str],
                 added: dict[int, _Added], model_max_length: int, clean_up_tokenization_spaces: bool) -> None:
        self.encoder = encoder
        self.decoder = decoder
        self.spm_source = spm_source
        self.spm_target = spm_target
        self.separate_vocabs = separate_vocabs
        self.model_max_length = model_max_length
        self.clean_up_tokenization_spaces = clean_up_tokenization_spaces
        self.special_tokens = dict(special)  # name -> token (eos_token -> "</s>", ...)
        self.all_special_tokens: list[str] = list(dict.fromkeys([*special.values(), *extra_special]))
        self.unk_token = special["unk_token"]
        if self.unk_token not in encoder:
            raise KeyError("<unk> token must be in the vocab")
        # Special tokens not yet added are added now, at the vocabulary's end when new (as transformers does).
        self._added: dict[int, _Added] = dict(added)
        added_by_text = {a.content: i for i, a in self._added.items()}
        vocab = {**encoder, **added_by_text}
        fresh = len(vocab)
        for token in self.all_special_tokens:
            if token in added_by_text:
                continue
            index = vocab.get(token)
            if index is None:
                index = vocab[token] = fresh
                fresh += 1
            self._added[index] = _Added(token)
            added_by_text[token] = index
        self._added_ids: dict[str, int] = added_by_text
        self._vocab_size = len({**encoder, **added_by_text})
        self.all_special_ids: list[int] = [self.convert_tokens_to_ids(t) for t in self.all_special_tokens]
        self.eos_token, self.pad_token = special["eos_token"], special.get("pad_token")
        self.eos_token_id = self.convert_tokens_to_ids(self.eos_token)
        self.unk_token_id = self.convert_tokens_to_ids(self.unk_token)
        self.pad_token_id = self.convert_tokens_to_ids(self.pad_token) if self.pad_token else None
        # Added tokens are cut out of the text, longest first at each position.
        contents = sorted(self._added_ids, key=len, reverse=True)
        self._splitter = regex.compile("(" + "|".join(regex.escape(c) for c in contents) + ")") if contents else None

    # -- loading -------------------------------------------------------------------------------
    @classmethod
    def from_folder(cls, folder: str | Path) -> MarianVocab:
        folder = Path(folder)
        config: dict[str, Any] = _read_json(folder / "tokenizer_config.json") or {}
        specials_map: dict[str, Any] = _read_json(folder / "special_tokens_map.json") or {}
        vocab_file = folder / "vocab.json"
        if not vocab_file.is_file():
            raise TokenizerFilesMissing(f"{vocab_file} is missing: a Marian folder needs vocab.json")
        encoder: dict[str, int] = _read_json(vocab_file)
        separate = bool(config.get("separate_vocabs", False))
        if separate:
            target_encoder: dict[str, int] = _read_json(folder / "target_vocab.json") or {}
            decoder = {v: k for k, v in target_encoder.items()}
        else:
            decoder = {v: k for k, v in encoder.items()}
        sp_kwargs = dict(config.get("sp_model_kwargs") or {})
        special: dict[str, str] = {}
        for name in _NAMED:  # the config wins over special_tokens_map.json, as in from_pretrained
            value = _token_text(config.get(name, specials_map.get(name, _DEFAULTS.get(name))))
            if value is not None:
                special[name] = value
        extra_raw = config.get("extra_special_tokens", config.get("additional_special_tokens"))
        if extra_raw is None:
            extra_raw = specials_map.get("extra_special_tokens", specials_map.get("additional_special_tokens"))
        extra: list[str] = []
        if isinstance(extra_raw, dict):  # named model-specific tokens
            special.update({k: t for k, v in extra_raw.items() if (t := _token_text(v)) is not None})
        elif isinstance(extra_raw, list):
            extra = [t for v in extra_raw if (t := _token_text(v)) is not None]
        added: dict[int, _Added] = {}
        for index, token in (config.get("added_tokens_decoder") or {}).items():
            added[int(index)] = _Added(str(token["content"]), bool(token.get("lstrip", False)),
                                       bool(token.get("rstrip", False)), bool(token.get("single_word", False)))
        legacy = _read_json(folder / "added_tokens.json") or {}
        for token, index in legacy.items():
            added.setdefault(int(index), _Added(str(token)))
        max_length = config.get("model_max_length") or 512
        return cls(encoder=encoder, decoder=decoder, spm_source=_load_spm(folder / "source.spm", sp_kwargs),
                   spm_target=_load_spm(folder / "target.spm", sp_kwargs), separate_vocabs=separate,
                   special=special, extra_special=extra, added=added, model_max_length=int(max_length),
                   clean_up_tokenization_spaces=bool(config.get("clean_up_tokenization_spaces", False)))

    # -- encoding ------------------------------------------------------------------------------
    @overload
    def __call__(self, text: str) -> Encoded: ...

    @overload
    def __call__(self, text: list[str]) -> Encoded: ...

    def __call__(self, text: str | list[str]) -> Encoded:
        """``input_ids`` of one text, or of each text of a list (``</s>`` appended)."""
        if isinstance(text, str):
            return Encoded(self.encode(text))
        return Encoded([self.encode(t) for t in text])

    def encode(self, text: str) -> list[int]:
        return [*self.convert_tokens_to_ids(self.tokenize(text)), self.eos_token_id]

    def tokenize(self, text: str) -> list[str]:
        """The tokens of ``text``: added tokens kept whole, the rest through SentencePiece."""
        parts = [p for p in self._splitter.split(text) if p != ""] if self._splitter else ([text] if text else [])
        for i, part in enumerate(parts):  # lstrip / rstrip / single_word, as PreTrainedTokenizer.tokenize
            index = self._added_ids.get(part)
            if index is None:
                continue
            spec = self._added.get(index)
            if spec is None:
                continue
            left = parts[i - 1] if i > 0 else None
            right = parts[i + 1] if i < len(parts) - 1 else None
            if spec.rstrip and right:
                parts[i + 1] = right.lstrip()
            if spec.lstrip and left:
                parts[i - 1] = left.rstrip()
            if spec.single_word:
                if left and left[-1] != " ":
                    parts[i - 1] += part
                    parts[i] = ""
                elif right and right[0] != " ":
                    parts[i + 1] = part + parts[i + 1]
                    parts[i] = ""
        tokens: list[str] = []
        specials = set(self.all_special_tokens)
        for part in parts:
            if not part:
                continue
            if part in self._added_ids or part in specials:
                tokens.append(part)
            else:
                tokens.extend(self._tokenize(part))
        return tokens

    def _tokenize(self, text: str) -> list[str]:
        code: list[str] = []
        if text.startswith(">>") and (end := text.find("<<")) != -1:  # a language code such as >>pol<<
            code.append(text[: end + 2])
            text = text[end + 2:]
        return code + self.spm_source.encode(text, out_type=str)

    @overload
    def convert_tokens_to_ids(self, tokens: str) -> int: ...

    @overload
    def convert_tokens_to_ids(self, tokens: Iterable[str]) -> list[int]: ...

    def convert_tokens_to_ids(self, tokens: str | Iterable[str]) -> int | list[int]:
        if isinstance(tokens, str):
            return self._token_id(tokens)
        return [self._token_id(t) for t in tokens]

    def _token_id(self, token: str) -> int:
        index = self._added_ids.get(token)
        if index is not None:
            return index
        index = self.encoder.get(token)
        return index if index is not None else self.encoder[self.unk_token]

    # -- decoding ------------------------------------------------------------------------------
    @overload
    def convert_ids_to_tokens(self, ids: int, skip_special_tokens: bool = False) -> str: ...

    @overload
    def convert_ids_to_tokens(self, ids: Iterable[int], skip_special_tokens: bool = False) -> list[str]: ...

    def convert_ids_to_tokens(self, ids: int | Iterable[int], skip_special_tokens: bool = False) -> str | list[str]:
        if isinstance(ids, int):
            return self._token(ids)
        skip = set(self.all_special_ids) if skip_special_tokens else set()
        return [self._token(int(i)) for i in ids if int(i) not in skip]

    def _token(self, index: int, spm: Any = None) -> str:
        added = self._added.get(index)
        if added is not None:
            return added.content
        token = self.decoder.get(index)
        if token is not None:
            return token
        piece = (spm or self.spm_target).IdToPiece(index)  # ids beyond the vocabulary: the SentencePiece model's
        return piece if piece else self.unk_token

    def decode(self, ids: Sequence[int], skip_special_tokens: bool = False) -> str:
        """The text of ``ids`` (as ``MarianTokenizer.decode``)."""
        spm = self.spm_target if self.separate_vocabs else self.spm_source
        skip = set(self.all_special_ids) if skip_special_tokens else set()
        tokens = [self._token(int(i), spm) for i in ids if int(i) not in skip]
        text = self._join(tokens, spm)
        return _clean_up(text) if self.clean_up_tokenization_spaces else text

    def batch_decode(self, sequences: Iterable[Sequence[int]], skip_special_tokens: bool = False) -> list[str]:
        return [self.decode(ids, skip_special_tokens=skip_special_tokens) for ids in sequences]

    def convert_tokens_to_string(self, tokens: Sequence[str]) -> str:
        return self._join(tokens, self.spm_target)

    def _join(self, tokens: Sequence[str], spm: Any) -> str:
        specials = set(self.all_special_tokens)
        pending: list[str] = []
        out = ""
        for token in tokens:
            if token in specials:  # never through SentencePiece
                out += spm.decode_pieces(pending) + token + " "
                pending = []
            else:
                pending.append(token)
        out += spm.decode_pieces(pending)
        return out.replace(SPIECE_UNDERLINE, " ").strip()

    # -- the vocabulary ------------------------------------------------------------------------
    def get_vocab(self) -> dict[str, int]:
        return {**self.encoder, **self._added_ids}

    def __len__(self) -> int:
        return self._vocab_size

    def pad(self, encoded: dict[str, list[list[int]]], return_tensors: str | None = None) -> Any:
        """Pad ``input_ids`` to the longest (right), with an ``attention_mask``; ``return_tensors="pt"``
        needs torch (the transformers backend's own business)."""
        rows = encoded["input_ids"]
        width = max((len(r) for r in rows), default=0)
        pad = self.pad_token_id if self.pad_token_id is not None else self.eos_token_id
        data = {"input_ids": [list(r) + [pad] * (width - len(r)) for r in rows],
                "attention_mask": [[1] * len(r) + [0] * (width - len(r)) for r in rows]}
        if return_tensors is None:
            return data
        from transformers import BatchEncoding  # only the transformers backend asks for tensors

        return BatchEncoding(data, tensor_type=return_tensors)


def _clean_up(text: str) -> str:
    """transformers' ``clean_up_tokenization`` (used when the config asks for it)."""
    return (text.replace(" .", ".").replace(" ?", "?").replace(" !", "!").replace(" ,", ",").replace(" ' ", "'")
            .replace(" n't", "n't").replace(" 'm", "'m").replace(" 's", "'s").replace(" 've", "'ve")
            .replace(" 're", "'re"))
