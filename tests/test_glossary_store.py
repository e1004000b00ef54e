"""Glossaries in SQL (SQLite and PostgreSQL): one transaction per change, owners, the content
hash; and ``newsbridge glossary import | export | list | delete`` on real files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import func, select

from service.errors import GlossaryForbidden, GlossaryNotFound, GlossaryPairUnsupported, TooManyGlossaries
from service.storage import db
from service.storage.glossary_store import GlossaryEntryRow, GlossaryRow, GlossaryStore, NewDictionary, Viewer
from tests.test_cli import run
from translators.text.terms import Entry

DESK = [Entry("Straż Graniczna", "Border Guard"), Entry("Białowieża", "Białowieża")]


def _rows(store: GlossaryStore) -> tuple[int, int]:
    with db.unit_of_work(store.engine) as s:
        return (s.scalar(select(func.count()).select_from(GlossaryRow)),
                s.scalar(select(func.count()).select_from(GlossaryEntryRow)))


def test_store_create_replace_delete_and_owners(url: str) -> None:
    db.ensure_schema(url) if db.is_sqlite(url) else db.upgrade(url)
    store = GlossaryStore(db.get_engine(url), max_per_owner=2)
    desk, sport = Viewer("key:desk"), Viewer("key:sport")
    g = store.create("desk", "key:desk", [NewDictionary("pl", "en", DESK)])
    assert g.entry_count == 2 and g.owner == "key:desk"
    hash_before = g.dictionaries[0].content_hash
    glob = store.create("global", None, [NewDictionary("lt", "en", [Entry("Seimas", "Seimas")]),
                                         NewDictionary("pl", "en", [Entry("Sejm", "Sejm")])])
    assert [x.id for x in store.list(desk)] == [g.id, glob.id]
    assert [x.id for x in store.list(desk, own_only=True)] == [g.id]
    assert [x.id for x in store.list(sport)] == [glob.id]
    with pytest.raises(GlossaryNotFound):
        store.info(g.id, sport)
    with pytest.raises(GlossaryForbidden):
        store.delete(glob.id, desk)

    replaced = store.replace_dictionary(g.id, desk, "pl", "en", [Entry("Straż Graniczna", "Border Guards")])
    assert replaced.entry_count == 1 and replaced.dictionaries[0].content_hash != hash_before
    merged = store.merge_dictionary(glob.id, Viewer(), "pl", "en", [Entry("MSWiA", "MSWiA")], limit=10)
    assert {d.source_lang: d.entry_count for d in merged.dictionaries} == {"lt": 1, "pl": 2}
    resolved = store.resolve(glob.id, sport)
    assert resolved.dictionary("pl", "en").entries == (Entry("Sejm", "Sejm"), Entry("MSWiA", "MSWiA"))

    before = _rows(store)
    store.create("mine", "key:desk", [NewDictionary("en", "pl", [Entry("Border Guard", "Straż Graniczna")])])
    with pytest.raises(TooManyGlossaries):
        store.create("third", "key:desk", [NewDictionary("pl", "en", DESK)])
    with pytest.raises(GlossaryPairUnsupported):
        store.create("bad", None, [NewDictionary("pl", "en", DESK), NewDictionary("pl", "en", DESK)])
    assert _rows(store) == (before[0] + 1, before[1] + 1)  # only "mine": nothing half-written

    store.delete_dictionary(glob.id, Viewer(), "lt", "en")
    store.delete(g.id, desk)
    with pytest.raises(GlossaryNotFound):
        store.info(g.id, Viewer())


@pytest.mark.slow
def test_cli_import_export_list_delete(tmp_path: Path, model_dir: Path) -> None:
    from tests.test_cli import _env

    env = _env(model_dir, tmp_path)
    csv = tmp_path / "desk.csv"  # as DeepL exports it: the language pair in the 3rd and 4th columns
    csv.write_text('Straż Graniczna,Border Guard,pl,en\n"Białowieża","Białowieża",pl,en\nSeimas,Seimas,lt,en\n',
                   encoding="utf-8")
    made = run(["glossary", "import", str(csv), "--owner", "desk"], env)
    assert made.returncode == 0, made.stderr
    gid = made.stdout.strip()
    assert "imported 2 entries (1 do-not-translate) pl->en as 'desk' (owner key:desk)" in made.stderr
    listed = [json.loads(line) for line in run(["glossary", "list", "--json"], env).stdout.splitlines()]
    assert [(g["id"], g["owner"], g["dictionaries"][0]["entry_count"]) for g in listed] == [(gid, "key:desk", 2)]
    tsv = run(["glossary", "export", gid, "--format", "tsv"], env)
    assert tsv.stdout == "Straż Graniczna\tBorder Guard\nBiałowieża\tBiałowieża\n"
    out = tmp_path / "back.csv"
    assert run(["glossary", "export", gid, "-o", str(out)], env).returncode == 0
    assert out.read_text(encoding="utf-8") == "Straż Graniczna,Border Guard,pl,en\nBiałowieża,Białowieża,pl,en\n"

    bad = tmp_path / "bad.tsv"
    bad.write_text("a\tb\na\tc\n", encoding="utf-8")
    refused = run(["glossary", "import", str(bad), "-s", "pl", "-t", "en"], env)
    assert refused.returncode == 1 and "[invalid_glossary] line 2" in refused.stderr
    assert run(["glossary", "import", str(bad)], env).returncode == 2  # no languages given or named
    records = tmp_path / "in.jsonl"
    records.write_text(json.dumps({"id": "a", "text": "Funkcjonariusze Straży Granicznej zatrzymali 23 osoby."},
                                  ensure_ascii=False) + "\n", encoding="utf-8")
    batch = run(["batch", str(records), "-o", str(tmp_path / "out.jsonl"), "--glossary", gid, "-s", "pl",
                 "--no-progress"], env)
    assert batch.returncode == 0, batch.stderr
    line = json.loads((tmp_path / "out.jsonl").read_text(encoding="utf-8"))
    assert "Border Guard" in line["translation"] and line["sentences"][0]["terms"][0]["match"] == "lemma"
    assert run(["glossary", "delete", gid], env).returncode == 0
    assert run(["glossary", "delete", gid], env).returncode == 1
