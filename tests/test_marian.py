"""The transformers Marian backend on small models built here."""

from __future__ import annotations

from pathlib import Path

from translators.marian import DecodeOptions, MarianTranslator, split_to_fit
from translators.marian_core import cap_groups, length_batches


def test_translation_does_not_depend_on_batch_partners(model_dir: Path) -> None:
    """Caps depend on each input alone, so the cache may store any result it is given."""
    tr = MarianTranslator(model_dir)
    short = "Ala ma kota."
    others = ["Premier zwołał nadzwyczajne posiedzenie rządu w sprawie sytuacji na granicy z Białorusią.",
              "Straż Graniczna poinformowała o próbach przekroczenia granicy.", "Tak."]
    alone = tr.translate_batch([short], "pl", "en")[0].text
    together = tr.translate_batch([*others, short], "pl", "en")[-1].text
    assert alone == together


def test_caps_are_bucketed_and_bounded_by_the_model() -> None:
    opts = DecodeOptions(max_length_ratio=2.0)
    assert opts.output_cap(1, None) == 32 and opts.output_cap(8, None) == 32 and opts.output_cap(9, None) == 48
    assert opts.output_cap(300, 512) == 512


def test_batches_hold_one_cap_and_respect_size() -> None:
    lengths = [30, 29, 10, 9, 9, 3]
    caps = [DecodeOptions().output_cap(n, None) for n in lengths]
    batches = [b for group in cap_groups(caps).values() for b in length_batches(group, lengths, 2, 10_000)]
    assert all(len(b) <= 2 and len({caps[i] for i in b}) == 1 for b in batches)
    assert all(lengths[b[0]] >= lengths[b[-1]] for b in batches)  # longest first
    assert sorted(i for b in batches for i in b) == list(range(6))


def test_split_to_fit_prefers_clause_boundaries() -> None:
    text = "Premier zwołał posiedzenie rządu, a ministrowie przyjechali do Warszawy wieczorem"
    pieces = split_to_fit(text, lambda t: len(t.split()), 6)
    assert all(len(p.split()) <= 6 for p in pieces)
    assert " ".join(pieces).split() == text.split()
    assert pieces[0].endswith("rządu,")
