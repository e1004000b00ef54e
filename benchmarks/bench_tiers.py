"""The speed of the two model tiers (quality: transformer-big; fast: transformer-base), on
random-weight models of each tier's real sizes, CTranslate2 as the service runs it.

    python -m benchmarks.bench_tiers [--sentences 64] [--tokens 32] [--compute-type int8] [--device cpu]

For pl-en and en-pl, a random-weight Marian model of each tier's published architecture is built
(d_model, layers, heads, FFN from the model cards and release names; the vocabulary padded to
the real model's size: pl-en fast 63,430 from its generation config's pad id, the others
estimated from the published weight sizes, docs/benchmarks.md), converted to CTranslate2, and
run on the same real Polish/English sentences. Random weights stop at random points, so every
output is forced to the same length (``--tokens``, min = max decoding length): each tier does
the same work, and the ratio is the architectures' (and the beams') alone. Two figures per pair:
with each model's own beam size (pl-en fast uses 6, the others 4: what the service runs) and with
4 beams for both. Models are cached under ``$NEWSBRIDGE_BENCH_CACHE``. One run on one machine:
run it on a quiet one.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

if __package__ in (None, ""):  # run as a file: make the project importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import _training_lines, cache_root, load_sentences, machine_note

# (pair, tier) -> (size, vocabulary, the model's own beam size)
TIER_MODELS: dict[tuple[str, str], tuple[str, int, int]] = {
    ("pl-en", "quality"): ("big", 58_600, 4),  # opus-mt-tc-big-zlw-en: 472 MB fp16 -> ~58.6k
    ("pl-en", "fast"): ("opus", 63_430, 6),  # opus-mt-pl-en: pad id 63429; generation config num_beams 6
    ("en-pl", "quality"): ("big", 59_956, 4),  # tc-bible-big ...-sla: 237.8M parameters -> ~59.9k
    ("en-pl", "fast"): ("opus", 59_400, 4),  # opus-mt-en-zlw: 298 MB fp32 -> ~59.4k; num_beams 4
}
TAG = "tiers-v1"  # bump when the recipe changes


def model_folder(pair: str, tier: str, log=print) -> Path:
    from translators.testing import build_marian

    size, vocab, _ = TIER_MODELS[(pair, tier)]
    folder = cache_root() / TAG / f"{pair}.{tier}"
    if (folder / "config.json").is_file():
        return folder
    log(f"building a random-weight {size} model of {pair} ({tier} tier, vocab {vocab}) into {folder} ...")
    pl, en, spm = _training_lines()
    src, tgt = (pl, en) if pair == "pl-en" else (en, pl)
    build_marian(folder, src, tgt, size=size, vocab=vocab, spm_vocab=spm, num_beams=TIER_MODELS[(pair, tier)][2],
                 max_length=512)
    return folder


def run(folder: Path, sentences: list[str], beams: int, tokens: int, compute_type: str, device: str,
        threads: int) -> tuple[float, int]:
    """Seconds to translate ``sentences`` with every output exactly ``tokens`` long, and the
    number of parameters of the model."""
    import ctranslate2
    from transformers import MarianTokenizer

    from translators.ct2_convert import ensure_converted
    from translators.registry import ResolvedModel, folder_checksum, spec_for

    pair = folder.name.split(".")[0]
    r = ResolvedModel(spec_for(*pair.split("-")), folder, f"bench:{folder.name}", "local", folder_checksum(folder),
                      "")
    converted = ensure_converted(r, compute_type)
    translator = ctranslate2.Translator(str(converted), device=device, compute_type=compute_type,
                                        intra_threads=threads, inter_threads=1)
    tok = MarianTokenizer.from_pretrained(folder)
    batch = [tok.convert_ids_to_tokens(ids) for ids in tok(sentences).input_ids]

    def go(rows: list[list[str]]) -> None:
        translator.translate_batch(rows, beam_size=beams, max_decoding_length=tokens, min_decoding_length=tokens,
                                   max_batch_size=1024, batch_type="tokens", return_end_token=True)

    go(batch[:2])  # warm up
    started = time.perf_counter()
    go(batch)
    seconds = time.perf_counter() - started
    import json

    config = json.loads((folder / "config.json").read_text())
    d, layers, ffn, vocab = config["d_model"], config["encoder_layers"], config["encoder_ffn_dim"], config["vocab_size"]
    params = layers * (4 * d * d + 2 * d * ffn) + layers * (8 * d * d + 2 * d * ffn) + vocab * d
    return seconds, params


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sentences", type=int, default=64)
    ap.add_argument("--tokens", type=int, default=32, help="every output's length, in tokens")
    ap.add_argument("--compute-type", default="int8")
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--threads", type=int, default=0, help="CTranslate2 intra threads (0: its default)")
    ap.add_argument("--pairs", default="pl-en,en-pl")
    args = ap.parse_args(argv)
    sentences = load_sentences(args.sentences)
    print(f"sentences: {len(sentences)}  output: {args.tokens} tokens each  {args.compute_type} on {args.device}")
    print(machine_note())
    for pair in args.pairs.split(","):
        src_lines = sentences if pair.startswith("pl") else [line for line in _training_lines()[1][:args.sentences]]
        folders = {t: model_folder(pair, t) for t in ("quality", "fast")}
        for label, beams in (("own beams", None), ("4 beams each", 4)):
            times: dict[str, float] = {}
            for tier, folder in folders.items():
                b = beams or TIER_MODELS[(pair, tier)][2]
                seconds, params = run(folder, src_lines, b, args.tokens, args.compute_type, args.device, args.threads)
                times[tier] = seconds
                print(f"{pair} {tier:>7} ({params / 1e6:5.0f}M parameters, {b} beams): "
                      f"{len(src_lines) / seconds:6.2f} sentences/s ({seconds:.1f} s)")
            print(f"{pair} fast vs quality, {label}: {times['quality'] / times['fast']:.2f}x faster")
    return 0


if __name__ == "__main__":
    sys.exit(main())
