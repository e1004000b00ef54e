"""TMX in and out of the translation memory, both ways through translate-toolkit (the library
Weblate and Pootle read TMX with): over HTTP and with ``newsbridge memory import|export``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from translate.misc.xml_helpers import getXMLlang
from translate.storage.tmx import tmxfile
from typer.testing import CliRunner

from service.cli.main import app as cli
from service.http.app import create_app
from service.settings import Settings
from service.storage import db
from service.storage.memory_store import TranslationMemory

TMX = {"content-type": "application/x-tmx+xml"}
ENTRIES = [  # (source_lang, target_lang, source, target, status, scope)
    ("pl", "en", "Sytuacja jest pod kontrolą.", "The situation is under control.", "approved", None),
    ("pl", "en", "Apelujemy o niepowielanie niesprawdzonych informacji & plotek <b>.",
     "We ask you not to spread unverified information & rumours <b>.", "approved", "politics"),
    ("lt", "en", "Situacija kontroliuojama.", "The situation is under control.", "suggested", None),
    ("en", "pl", "Nobody was hurt 🇵🇱.", "Nikt nie został ranny 🇵🇱.", "approved", None),
]


@pytest.fixture
def url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'nb.db'}"
    db.upgrade(url)
    return url


@pytest.fixture
def client(url: str, model_dir: Path) -> Iterator[TestClient]:
    with TestClient(create_app(Settings(database_url=url, model_dir=model_dir, coalesce=False))) as c:
        yield c


def fill(url: str) -> TranslationMemory:
    memory = TranslationMemory(url)
    for sl, tl, src, tgt, status, scope in ENTRIES:
        memory.add(sl, tl, src, tgt, status=status, scope=scope, who="desk")  # type: ignore[arg-type]
    return memory


def units_of(data: bytes) -> list[dict]:
    """What translate-toolkit reads from a TMX: per unit its languages and segments, and its props."""
    store = tmxfile.parsestring(data)
    out = []
    for unit in store.units:
        segs = {getXMLlang(n): unit.getNodeText(n) for n in unit.getlanguageNodes()}
        props = {p.get("type"): p.text for p in unit.xmlelement.findall(store.namespaced("prop"))}
        out.append({"segs": segs, "props": props, "tuid": unit.getid(), "srclang": unit.xmlelement.get("srclang")})
    return out


def test_an_export_is_read_back_by_translate_toolkit(url: str, client: TestClient) -> None:
    fill(url)
    r = client.get("/v1/memory/export")
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/x-tmx+xml")
    assert r.content.startswith(b'<?xml version="1.0" encoding="UTF-8"?>') and b'<tmx version="1.4">' in r.content
    units = units_of(r.content)
    assert len(units) == len(ENTRIES)
    for unit, (sl, tl, src, tgt, status, scope) in zip(units, ENTRIES, strict=True):
        assert unit["segs"] == {sl: src, tl: tgt} and unit["srclang"] == sl
        assert unit["props"]["x-newsbridge-status"] == status
        assert unit["props"].get("x-newsbridge-scope") == scope
    header = tmxfile.parsestring(r.content).document.getroot().find("header")
    assert header.get("srclang") == "*all*" and header.get("creationtool") == "newsbridge"
    only = units_of(client.get("/v1/memory/export", params={"source_lang": "pl", "status": "approved"}).content)
    assert [u["segs"]["pl"] for u in only] == [ENTRIES[0][2], ENTRIES[1][2]]
    assert tmxfile.parsestring(client.get("/v1/memory/export", params={"source_lang": "pl"}).content
                               ).sourcelanguage == "pl"


def test_a_translate_toolkit_tmx_is_imported_with_every_segment_and_language(client: TestClient) -> None:
    store = tmxfile(sourcelanguage="pl-PL", targetlanguage="en-GB")
    store.addtranslation("Granica jest zamknięta.", "pl-PL", "The border is closed.", "en-GB", comment="wire")
    store.addtranslation("Nikt nie został ranny.", "pl-PL", "Nobody was hurt.", "en-GB")
    unit = store.addsourceunit("Straż Graniczna: 23 osoby zatrzymane.")
    unit.setsource("Straż Graniczna: 23 osoby zatrzymane.", sourcelang="pl-PL")
    unit.settarget("Border Guard: 23 people detained.", lang="en-GB", append=True)
    unit.settarget("Pasieniečių tarnyba: sulaikyti 23 asmenys.", lang="lt-LT", append=True)
    unit.settarget("Grenzschutz: 23 Personen festgenommen.", lang="de-DE", append=True)  # not ours: counted
    data = bytes(store)
    r = client.post("/v1/memory/import", content=data, headers=TMX)
    assert r.status_code == 200, r.text
    report = r.json()
    assert report["units"] == 3 and report["entries"] == 4 and report["created"] == 4
    assert report["languages"] == {"pl-PL": 3, "en-GB": 3, "lt-LT": 1, "de-DE": 1}
    assert report["skipped"] == {"language the service does not translate": 1}
    entries = client.get("/v1/memory", params={"limit": 200}).json()["entries"]
    got = {(e["source_lang"], e["target_lang"], e["source"], e["target"], e["status"], e["origin"]) for e in entries}
    assert got == {
        ("pl", "en", "Granica jest zamknięta.", "The border is closed.", "approved", "tmx"),
        ("pl", "en", "Nikt nie został ranny.", "Nobody was hurt.", "approved", "tmx"),
        ("pl", "en", "Straż Graniczna: 23 osoby zatrzymane.", "Border Guard: 23 people detained.", "approved", "tmx"),
        ("pl", "lt", "Straż Graniczna: 23 osoby zatrzymane.", "Pasieniečių tarnyba: sulaikyti 23 asmenys.",
         "approved", "tmx"),
    }
    assert next(e for e in entries if e["source"] == "Granica jest zamknięta.")["note"] == "wire"
    # imported entries serve their sentences at once
    body = client.post("/v1/translate", json={"text": "Granica jest zamknięta.", "target_lang": "en"}).json()
    assert body["translation_text"] == "The border is closed." and body["sentences"][0]["origin"] == "memory"
    # importing the same file again changes nothing
    again = client.post("/v1/memory/import", content=data, headers=TMX).json()
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 4)
    # as suggestions: nothing is served from them
    r = client.post("/v1/memory/import", params={"status": "suggested"}, headers=TMX, content=bytes(_one(
        "Premier zwołał posiedzenie.", "The prime minister called a meeting.")))
    assert r.json()["created"] == 1
    assert client.get("/v1/memory", params={"status": "suggested"}).json()["total"] == 1


def _one(source: str, target: str) -> tmxfile:
    store = tmxfile(sourcelanguage="pl", targetlanguage="en")
    store.addtranslation(source, "pl", target, "en")
    return store


def test_round_trip_through_the_cli_keeps_every_entry(url: str, tmp_path: Path) -> None:
    fill(url)
    out = tmp_path / "memory.tmx"
    runner = CliRunner()
    res = runner.invoke(cli, ["memory", "export", str(out), "--url", url])
    assert res.exit_code == 0, res.output
    assert f"wrote {len(ENTRIES)} entries" in res.output
    assert len(units_of(out.read_bytes())) == len(ENTRIES)  # translate-toolkit reads it
    fresh = f"sqlite:///{tmp_path / 'fresh.db'}"
    res = runner.invoke(cli, ["memory", "import", str(out), "--url", fresh, "--who", "archive"])
    assert res.exit_code == 0, res.output
    assert f"{len(ENTRIES)} new" in res.output
    back = list(TranslationMemory(fresh).iter_entries())
    assert {(e.source_lang, e.target_lang, e.source, e.target, e.status, e.scope) for e in back} == set(ENTRIES)
    assert {e.created_by for e in back} == {"archive"} and {e.origin for e in back} == {"tmx"}
    listed = runner.invoke(cli, ["memory", "list", "--url", fresh, "--status", "suggested", "--json"])
    assert listed.exit_code == 0 and "Situacija kontroliuojama." in listed.output
    res = runner.invoke(cli, ["memory", "export", "-", "--url", fresh, "--target-lang", "pl"])
    assert res.exit_code == 0 and "Nikt nie został ranny 🇵🇱." in res.output


def test_bad_files_are_refused_and_nothing_is_written(url: str, client: TestClient, tmp_path: Path) -> None:
    bomb = (b'<?xml version="1.0"?><!DOCTYPE tmx [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;">]>'
            b'<tmx version="1.4"><header srclang="pl"/><body><tu><tuv xml:lang="pl"><seg>&b;</seg></tuv>'
            b'<tuv xml:lang="en"><seg>x</seg></tuv></tu></body></tmx>')
    r = client.post("/v1/memory/import", content=bomb, headers=TMX)
    assert r.status_code == 422 and "entities" in r.json()["detail"]
    r = client.post("/v1/memory/import", content=b'<tmx version="1.4"><header srclang="pl"/><body/></tmx>',
                    headers=TMX)
    assert r.status_code == 422 and "no translation unit" in r.json()["detail"]
    r = client.post("/v1/memory/import", content=b"", headers=TMX)
    assert r.status_code == 422
    bad = tmp_path / "bad.tmx"
    bad.write_bytes(b"{\"not\": \"xml\"}")
    res = CliRunner().invoke(cli, ["memory", "import", str(bad), "--url", url])
    assert res.exit_code == 2 and "invalid_tmx" in res.output
    assert TranslationMemory(url).count() == 0


def test_keys_get_roles_from_the_cli(url: str) -> None:
    runner = CliRunner()
    made = runner.invoke(cli, ["keys", "create", "chief", "--role", "editor", "--url", url])
    assert made.exit_code == 0 and "role editor" in made.output
    assert runner.invoke(cli, ["keys", "create", "anna", "--url", url]).exit_code == 0
    listed = runner.invoke(cli, ["keys", "list", "--json", "--url", url]).output
    roles = {line.split('"name": "')[1].split('"')[0]: line.split('"role": "')[1].split('"')[0]
             for line in listed.splitlines() if line.startswith("{")}
    assert roles == {"chief": "editor", "anna": "translator"}
    assert runner.invoke(cli, ["keys", "role", "anna", "editor", "--url", url]).exit_code == 0
    assert '"role": "editor"' in runner.invoke(cli, ["keys", "list", "--json", "--url", url]).output.split("anna")[1]
    bad = runner.invoke(cli, ["keys", "create", "x", "--role", "admin", "--url", url])
    assert bad.exit_code == 2
