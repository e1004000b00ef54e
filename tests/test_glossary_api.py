"""``/v1/glossaries`` and ``glossary`` in /v1/translate, /v1/summarize and jobs: over HTTP, with
API keys, on a real SQLite database; bad input is a clear 4xx and leaves nothing behind."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from service.engines import build_engines
from service.http.app import create_app
from service.jobs.store import FINISHED
from service.settings import Settings
from service.storage.glossary_store import NewDictionary, glossary_store_for
from translators.cached import MemoryStore
from translators.testing import EchoTranslator
from translators.text.terms import Entry

DESK = "desk-key-for-glossaries"
SPORT = "sport-key-for-glossaries"
TEXT = "W nocy funkcjonariusze Straży Granicznej zatrzymali 23 osoby koło Białowieży."
ENTRIES = [{"source": "Straż Graniczna", "target": "Border Guard"}, {"source": "Białowieża", "target": "Białowieża"}]


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(database_url=f"sqlite:///{tmp_path / 'c.db'}", coalesce=False, api_keys=[DESK, SPORT],
                    glossary_max_entries=5, glossary_max_term_chars=40, glossary_max_per_owner=3,
                    jobs_dir=tmp_path / "jobs")


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    app = create_app(settings, engine_factory=lambda s: build_engines(s, backend=EchoTranslator(),
                                                                      store=MemoryStore(), coalesce=False))
    with TestClient(app) as c:
        yield c


def key(k: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {k}"}


def create(c: TestClient, k: str = DESK, **body: object) -> dict:
    body = {"name": "desk", "source_lang": "pl", "target_lang": "en", "entries": ENTRIES, **body}
    r = c.post("/v1/glossaries", json=body, headers=key(k))
    assert r.status_code == 201, r.text
    return r.json()


def count(c: TestClient, k: str = DESK) -> int:
    return len(c.get("/v1/glossaries", headers=key(k)).json()["glossaries"])


def test_create_list_get_entries_replace_delete(client: TestClient) -> None:
    g = create(client)
    assert g["entry_count"] == 2 and g["source_lang"] == "pl" and g["owner"].startswith("env:")
    assert client.get(f"/v1/glossaries/{g['id']}", headers=key(DESK)).json() == g
    assert [x["id"] for x in client.get("/v1/glossaries", headers=key(DESK)).json()["glossaries"]] == [g["id"]]
    entries = client.get(f"/v1/glossaries/{g['id']}/entries", headers=key(DESK)).json()
    assert entries["entries"] == ENTRIES and entries["content_hash"] == g["content_hash"]
    tsv = client.get(f"/v1/glossaries/{g['id']}/entries?format=tsv", headers=key(DESK))
    assert tsv.text == "Straż Graniczna\tBorder Guard\nBiałowieża\tBiałowieża\n"
    assert tsv.headers["content-type"].startswith("text/tab-separated-values")

    r = client.put(f"/v1/glossaries/{g['id']}/entries", headers=key(DESK),
                   json={"entries": {"Straż Graniczna": "Border Guards"}})
    assert r.status_code == 200 and r.json()["entry_count"] == 1
    assert r.json()["content_hash"] != g["content_hash"]

    assert client.delete(f"/v1/glossaries/{g['id']}", headers=key(DESK)).status_code == 204
    r = client.get(f"/v1/glossaries/{g['id']}", headers=key(DESK))
    assert r.status_code == 404 and r.json()["type"].endswith("/glossary_not_found")


def test_upload_tsv_and_csv_files(client: TestClient) -> None:
    tsv = "Straż Graniczna\tBorder Guard\nMSWiA\tthe Interior Ministry\n".encode()
    r = client.post("/v1/glossaries", headers=key(DESK), files={"file": ("desk.tsv", tsv)},
                    data={"source_lang": "pl", "target_lang": "en"})
    assert r.status_code == 201, r.text
    assert r.json()["name"] == "desk" and r.json()["entry_count"] == 2
    csv = 'source;target\n"Seimas";"Seimas"\nVyriausybė;Government\n'.encode()  # a CMS export: header, ";"
    r = client.post("/v1/glossaries", headers=key(DESK), files={"file": ("lt.csv", csv)},
                    data={"name": "lt desk", "source_lang": "lt", "target_lang": "en"})
    assert r.status_code == 201, r.text
    got = client.get(f"/v1/glossaries/{r.json()['id']}/entries", headers=key(DESK)).json()["entries"]
    assert got == [{"source": "Seimas", "target": "Seimas"}, {"source": "Vyriausybė", "target": "Government"}]


@pytest.mark.parametrize(("entries", "status", "kind", "words"), [
    ([{"source": "a", "target": "b"}, {"source": "a", "target": "c"}], 400, "invalid_glossary", "there already"),
    ([{"source": "  ", "target": "b"}], 400, "invalid_glossary", "empty"),
    ([{"source": "a\nb", "target": "b"}], 400, "invalid_glossary", "line break"),
    ([{"source": "<b>Sejm</b>", "target": "Sejm"}], 400, "invalid_glossary", "markup"),
    ([{"source": "x" * 41, "target": "y"}], 400, "invalid_glossary", "the limit is 40"),
    ([{"source": f"t{i}", "target": "y"} for i in range(6)], 413, "glossary_too_large", "more than 5"),
    ([], 400, "invalid_glossary", "no entries"),
    ("a\tb\tc", 400, "invalid_glossary", "line 1"),
])
def test_bad_entries_are_refused_and_nothing_is_written(client: TestClient, entries: object, status: int,
                                                        kind: str, words: str) -> None:
    body = {"name": "bad", "source_lang": "pl", "target_lang": "en", "entries": entries}
    if isinstance(entries, str):
        body["entries_format"] = "tsv"
    r = client.post("/v1/glossaries", json=body, headers=key(DESK))
    assert r.status_code == status and r.json()["type"].endswith("/" + kind) and words in r.json()["detail"], r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert count(client) == 0


def test_unknown_pair_limits_and_another_keys_glossary(client: TestClient, settings: Settings) -> None:
    r = client.post("/v1/glossaries", headers=key(DESK), json={"name": "x", "source_lang": "pl", "target_lang": "pl",
                                                                "entries": ENTRIES})
    assert r.status_code == 422 and r.json()["type"].endswith("/unsupported_glossary_pair")
    r = client.post("/v1/glossaries", headers=key(DESK), json={"name": "x", "source_lang": "de", "target_lang": "en",
                                                                "entries": ENTRIES})
    assert r.status_code == 422  # not a language of ours: the request model refuses it
    mine = create(client)
    for _ in range(2):
        create(client)
    r = client.post("/v1/glossaries", headers=key(DESK), json={"name": "4th", "source_lang": "pl",
                                                                "target_lang": "en", "entries": ENTRIES})
    assert r.status_code == 409 and r.json()["type"].endswith("/too_many_glossaries")
    assert count(client) == 3

    # another key: the glossary does not exist for it, for reading, using or changing
    assert client.get(f"/v1/glossaries/{mine['id']}", headers=key(SPORT)).status_code == 404
    assert client.delete(f"/v1/glossaries/{mine['id']}", headers=key(SPORT)).status_code == 404
    r = client.post("/v1/translate", headers=key(SPORT), json={"text": TEXT, "glossary": mine["id"]})
    assert r.status_code == 404 and r.json()["type"].endswith("/glossary_not_found")
    assert count(client, SPORT) == 0

    # a global glossary (made on the server): every key uses it, none changes it
    glob = glossary_store_for(settings).create("global", None, [NewDictionary("pl", "en", [Entry("Sejm", "Sejm")])])
    assert count(client, SPORT) == 1
    r = client.put(f"/v1/glossaries/{glob.id}/entries", headers=key(SPORT), json={"entries": {"Sejm": "parliament"}})
    assert r.status_code == 403 and r.json()["type"].endswith("/glossary_forbidden")
    assert client.post("/v1/translate", headers=key(SPORT),
                       json={"text": "Sejm obradował.", "glossary": glob.id}).status_code == 200
    assert client.get("/v1/glossaries", headers={}).status_code == 401  # keys are on


def test_translate_and_summarize_with_a_glossary(client: TestClient) -> None:
    g = create(client)
    r = client.post("/v1/translate", headers=key(DESK), json={"text": TEXT, "source_lang": "pl",
                                                               "glossary": g["id"], "offsets": "utf16"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert "Border Guard" in body["translation"] and "Białowieża" in body["translation"]
    (s,) = body["sentences"]
    assert [(t["source"]["text"], t["target"]["text"], t["match"], t["keep"]) for t in s["terms"]] == [
        ("Straży Granicznej", "Border Guard", "lemma", False), ("Białowieży", "Białowieża", "lemma", True)]
    assert not [f for f in s["flags"] if f.startswith("glossary_")]  # (model-quality flags aside)
    r = client.post("/v1/translate", headers=key(DESK), json={"text": TEXT, "glossary": g["id"], "target_lang": "lt"})
    assert r.status_code == 422 and r.json()["type"].endswith("/glossary_pair_mismatch")
    r = client.post("/v1/summarize", headers=key(DESK), json={"text": TEXT + " Nikt nie został ranny.",
                                                               "glossary": g["id"], "max_sentences": 1})
    assert r.status_code == 200, r.text
    assert "Border Guard" in r.json()["translation"]["translation"]
    r = client.post("/v1/translate", headers=key(DESK), json={"texts": [TEXT, TEXT], "glossary": "nope"})
    assert r.status_code == 404


def test_a_sentence_the_memory_serves_keeps_the_editors_translation(settings: Settings) -> None:
    """The translation memory comes first: its approved entry is served as stored, the glossary is
    applied only to the sentences the engines translate (docs/engines.md)."""
    app = create_app(settings, engine_factory=lambda s: build_engines(s, backend=EchoTranslator(), coalesce=False))
    with TestClient(app) as client:  # the cache and the memory in the database
        _memory_first(client)


def _memory_first(client: TestClient) -> None:
    g = create(client)
    approved = "At night the guards detained 23 people near Białowieża."
    r = client.post("/v1/memory", headers=key(DESK), json={"source_lang": "pl", "target_lang": "en", "source": TEXT,
                                                           "target": approved})
    assert r.status_code == 201, r.text
    r = client.post("/v1/translate", headers=key(DESK), json={"text": TEXT + " Straż Graniczna zatrzymała dwie osoby.",
                                                               "source_lang": "pl",
                                                               "glossary": g["id"]})
    assert r.status_code == 200, r.text
    first, second = r.json()["sentences"]
    assert first["origin"] == "memory" and first["target"]["text"] == approved and first["terms"] == []
    assert second["origin"] == "model" and [t["target"]["text"] for t in second["terms"]] == ["Border Guard"]


def test_a_job_with_a_glossary(client: TestClient) -> None:
    g = create(client)
    other = create(client, SPORT)
    records = [{"id": "a", "text": TEXT}, {"id": "b", "text": "Strażą Graniczną kieruje komendant.",
                                                   "glossary": g["id"]},
               {"id": "c", "text": TEXT, "glossary": other["id"]}]  # another key's: an error record
    body = "\n".join(json.dumps(r, ensure_ascii=False) for r in records).encode()
    r = client.post(f"/v1/jobs?glossary={g['id']}&source_lang=pl", content=body, headers={
        **key(DESK), "Content-Type": "application/x-ndjson"})
    assert r.status_code == 202, r.text
    job = r.json()["id"]
    for _ in range(200):
        state = client.get(f"/v1/jobs/{job}", headers=key(DESK)).json()["state"]
        if state in FINISHED:
            break
        time.sleep(0.05)
    assert state == "succeeded"  # error records are records: the job itself succeeds
    lines = [json.loads(x) for x in client.get(f"/v1/jobs/{job}/results", headers=key(DESK)).text.splitlines()]
    assert [x["id"] for x in lines] == ["a", "b", "c"]
    assert "Border Guard" in lines[0]["translation"] and "Border Guard" in lines[1]["translation"]
    assert lines[2]["error"]["type"] == "glossary_not_found"
    r = client.post("/v1/jobs?glossary=00000000-0000-0000-0000-000000000000", content=body,
                    headers={**key(DESK), "Content-Type": "application/x-ndjson"})
    assert r.status_code == 404
