"""Glossaries through clients nobody on this project wrote, against a real ``newsbridge serve``:
the official DeepL Python SDK (v2 and the v3 multilingual calls), deepl-node, and Weblate's DeepL
glossary flow replayed request for request from ``weblate/machinery/deepl.py``. The glossary a
newsroom starts with is imported the way the README says: ``newsbridge glossary import desk.csv``."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import httpx
import pytest

from tests.servers import Server as ServeProcess
from tests.test_cli import _env, run
from tests.test_compat_clients import NODE_DIR, _npm_install

pytestmark = pytest.mark.slow
SENTENCE = "W nocy funkcjonariusze Straży Granicznej zatrzymali 23 osoby."
DESK_CSV = "Straż Graniczna,Border Guard,pl,en\nBiałowieża,Białowieża,pl,en\nMSWiA,the Interior Ministry,pl,en\n"
MAX_GLOSSARIES = 4  # NEWSBRIDGE_GLOSSARY_MAX_PER_OWNER of the server: Weblate must make room


@dataclass
class Live:
    url: str
    key: str
    desk: str  # the id of the glossary imported with the CLI


@pytest.fixture(scope="module")
def live(model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    tmp = tmp_path_factory.mktemp("glossary-server")
    env = _env(model_dir, tmp)
    env["NEWSBRIDGE_GLOSSARY_MAX_PER_OWNER"] = str(MAX_GLOSSARIES)
    made = run(["keys", "create", "desk"], env)
    assert made.returncode == 0, made.stderr
    (tmp / "desk.csv").write_text(DESK_CSV, encoding="utf-8")
    imported = run(["glossary", "import", str(tmp / "desk.csv")], env)
    assert imported.returncode == 0, imported.stderr
    assert "imported 3 entries (1 do-not-translate) pl->en" in imported.stderr
    with ServeProcess(env, tmp / "server.log", timeout=90) as process:
        warm = httpx.post(process.base + "/v2/translate", timeout=600, json={"text": ["Nikt nie został ranny."],
                                                                             "target_lang": "EN-GB"},
                          headers={"Authorization": f"DeepL-Auth-Key {made.stdout.strip()}"})
        assert warm.status_code == 200, warm.text
        import deepl

        deepl.http_client.min_connection_timeout = 120.0
        yield Live(process.base, made.stdout.strip(), imported.stdout.strip())


def test_new_user_imports_a_csv_and_translates_through_the_deepl_sdk(live: Live) -> None:
    """The issue's "done when": import, translate with the glossary, the same sentence without it is
    not served from the glossary's cache entry, the entries read back, an unknown id is DeepL's error."""
    import deepl

    translator = deepl.Translator(live.key, server_url=live.url)
    result = translator.translate_text(SENTENCE, source_lang="PL", target_lang="EN-GB", glossary=live.desk)
    assert "Border Guard" in result.text and result.detected_source_lang == "PL"

    plain = httpx.post(live.url + "/v1/translate", headers={"X-API-Key": live.key}, timeout=120,
                       json={"text": SENTENCE, "source_lang": "pl"}).json()
    assert plain["cached"] == {"hits": 0, "misses": 1} and "Border Guard" not in plain["translation"]
    again = httpx.post(live.url + "/v1/translate", headers={"X-API-Key": live.key}, timeout=120,
                       json={"text": SENTENCE, "source_lang": "pl", "glossary": live.desk}).json()
    assert again["cached"] == {"hits": 1, "misses": 0} and "Border Guard" in again["translation"]

    assert translator.get_glossary_entries(live.desk) == {
        "Straż Graniczna": "Border Guard", "Białowieża": "Białowieża", "MSWiA": "the Interior Ministry"}
    with pytest.raises(deepl.DeepLException, match="Glossary not found") as unknown:
        translator.translate_text(SENTENCE, source_lang="PL", target_lang="EN-GB",
                                  glossary="96ab91fd-e715-41a1-adeb-5d701f84a483")
    assert unknown.value.http_status_code == 404
    with pytest.raises(deepl.GlossaryNotFoundException):
        translator.get_glossary("96ab91fd-e715-41a1-adeb-5d701f84a483")
    with pytest.raises(deepl.DeepLException, match="glossary_id"):
        translator.get_glossary("invalid_glossary_id")


def test_deepl_sdk_v2_glossary_calls(live: Live) -> None:
    import deepl

    translator = deepl.Translator(live.key, server_url=live.url)
    pairs = {(p.source_lang, p.target_lang) for p in translator.get_glossary_languages()}
    assert {("pl", "en"), ("lt", "en"), ("en", "pl"), ("en", "lt")} <= pairs
    g = translator.create_glossary("sdk desk", "PL", "EN", {"Straż Graniczna": "Border Guard", "Sejm": "Sejm"})
    assert (g.source_lang, g.target_lang, g.entry_count, g.ready) == ("PL", "EN", 2, True)
    assert translator.get_glossary(g.glossary_id).creation_time == g.creation_time
    assert any(x.glossary_id == g.glossary_id for x in translator.list_glossaries())
    csv = translator.create_glossary_from_csv("sdk csv", "PL", "EN", csv_data="Białowieża,Białowieża\nSejm,Sejm\n")
    assert csv.entry_count == 2
    texts = ["Strażą Graniczną kieruje komendant.", "Sejm"]
    out = translator.translate_text(texts, source_lang="PL", target_lang="EN-US", glossary=g)
    assert "Border Guard" in out[0].text and out[1].text == "Sejm"
    with pytest.raises(ValueError, match="must match glossary"):  # the SDK's own check
        translator.translate_text("Seimas.", source_lang="LT", target_lang="EN-GB", glossary=g)
    with pytest.raises(deepl.DeepLException, match="doesn't match the language pair"):  # the server's
        translator.translate_text("Seimas.", source_lang="LT", target_lang="EN-GB", glossary=g.glossary_id)
    with pytest.raises(deepl.DeepLException, match="Invalid glossary entries"):
        translator.create_glossary_from_csv("bad", "PL", "EN", csv_data="a,b\na,c\n")
    with pytest.raises(deepl.DeepLException, match="Unsupported glossary"):
        translator.create_glossary("bad", "PL", "PL", {"a": "b"})
    for x in (g, csv):
        translator.delete_glossary(x)
    with pytest.raises(deepl.GlossaryNotFoundException):
        translator.delete_glossary(g.glossary_id)


def test_deepl_sdk_v3_multilingual_calls(live: Live) -> None:
    import deepl
    from deepl.api_data import MultilingualGlossaryDictionaryEntries as Dictionary

    client = deepl.DeepLClient(live.key, server_url=live.url)
    g = client.create_multilingual_glossary("multi", [Dictionary("PL", "EN", {"Straż Graniczna": "Border Guard"}),
                                                      Dictionary("LT", "EN", {"Seimas": "Seimas"})])
    assert [(d.source_lang, d.target_lang, d.entry_count) for d in g.dictionaries] == [("PL", "EN", 1), ("LT", "EN", 1)]
    assert any(x.glossary_id == g.glossary_id for x in client.list_multilingual_glossaries())
    assert client.get_multilingual_glossary(g.glossary_id).creation_time == g.creation_time
    updated = client.update_multilingual_glossary_dictionary(g, Dictionary("PL", "EN", {"MSWiA": "MSWiA"}))
    assert {d.source_lang: d.entry_count for d in updated.dictionaries} == {"PL": 2, "LT": 1}
    assert client.update_multilingual_glossary_name(g, "multi desk").name == "multi desk"
    replaced = client.replace_multilingual_glossary_dictionary(g, Dictionary("LT", "EN", {"Vyriausybė": "Government",
                                                                                         "Seimas": "Seimas"}))
    assert replaced.entry_count == 2
    entries = client.get_multilingual_glossary_entries(g, "LT", "EN").dictionaries[0].entries
    assert deepl.util.convert_tsv_to_dict(entries) == {"Vyriausybė": "Government", "Seimas": "Seimas"}
    out = client.translate_text(["Seime vyko debatai.", "Strażą Graniczną kieruje komendant."], source_lang="LT",
                                target_lang="EN-GB", glossary=g)
    assert "Seimas" in out[0].text
    with pytest.raises(ValueError, match="dictionary for the given"):
        client.translate_text("Hallo", source_lang="DE", target_lang="EN-GB", glossary=g)
    client.delete_multilingual_glossary_dictionary(g, source_lang="LT", target_lang="EN")
    assert len(client.get_multilingual_glossary(g.glossary_id).dictionaries) == 1
    with pytest.raises(deepl.DeepLException, match="doesn't match the language pair"):  # one dictionary left
        client.translate_text("Seimas.", source_lang="LT", target_lang="EN-GB", glossary=g.glossary_id)
    client.delete_multilingual_glossary(g)
    with pytest.raises(deepl.GlossaryNotFoundException):
        client.get_multilingual_glossary(g.glossary_id)


@pytest.mark.skipif(shutil.which("node") is None, reason="needs node")
def test_deepl_node_glossary_calls(live: Live) -> None:
    _npm_install()
    env = dict(os.environ, NEWSBRIDGE_URL=live.url, NEWSBRIDGE_KEY=live.key)
    out = subprocess.run(["node", "--test", "--test-reporter=tap", "glossary_client.test.mjs"], cwd=NODE_DIR,
                         env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "# pass 3" in out.stdout and "# fail 0" in out.stdout


# ----------------------------------------------------------------------------- Weblate


class WeblateDeepL:
    """The requests of Weblate's ``DeepLTranslation`` (weblate/machinery/deepl.py) and its
    ``GlossaryMachineTranslationMixin.get_glossary_id`` (weblate/machinery/base.py), replayed:
    same URLs, methods, bodies, headers and decisions."""

    glossary_name_format = "weblate:{project}:{source_language}:{target_language}:{checksum}"

    def __init__(self, url: str, key: str, glossary_count_limit: int) -> None:
        self.base = url + "/v2/"
        self.headers = {"Authorization": f"DeepL-Auth-Key {key}"}
        self.glossary_count_limit = glossary_count_limit
        self.deleted: list[str] = []

    def request(self, method: str, url: str, **kwargs: object) -> httpx.Response:
        r = httpx.request(method, url, headers=self.headers, timeout=120, **kwargs)  # type: ignore[arg-type]
        r.raise_for_status()
        return r

    def is_glossary_supported(self, source: str, target: str) -> bool:
        pairs = {(p["source_lang"].upper(), p["target_lang"].upper())
                 for p in self.request("get", self.base + "glossary-language-pairs").json()["supported_languages"]}
        return (source.split("-", 1)[0], target.split("-", 1)[0]) in pairs

    def list_glossaries(self) -> dict[str, str]:
        return {g["name"]: g["glossary_id"] for g in self.request("get", self.base + "glossaries").json()["glossaries"]}

    def delete_oldest_glossary(self) -> None:
        glossaries = sorted(self.request("get", self.base + "glossaries").json()["glossaries"],
                            key=lambda g: datetime.fromisoformat(g["creation_time"].replace("Z", "+00:00")))
        if glossaries:
            self.delete_glossary(glossaries[0]["glossary_id"])

    def delete_glossary(self, glossary_id: str) -> None:
        self.request("delete", self.base + "glossaries/" + glossary_id)
        self.deleted.append(glossary_id)

    def create_glossary(self, source: str, target: str, name: str, tsv: str) -> None:
        self.request("post", self.base + "glossaries", json={
            "name": name, "source_lang": source.split("-", 1)[0], "target_lang": target.split("-", 1)[0],
            "entries": tsv, "entries_format": "tsv"})

    def get_glossary_id(self, project: int, source: str, target: str, tsv: str) -> str | None:
        if not self.is_glossary_supported(source, target) or not tsv:
            return None
        checksum = hashlib.blake2b(tsv.encode(), digest_size=8).hexdigest()
        name = self.glossary_name_format.format(project=project, source_language=source, target_language=target,
                                                checksum=checksum)
        glossaries = self.list_glossaries()
        if name in glossaries:
            return glossaries[name]
        stale = self.glossary_name_format.format(project=project, source_language=source, target_language=target,
                                                 checksum="")
        for other, glossary_id in glossaries.items():
            if other.startswith(stale):
                self.delete_glossary(glossary_id)
        if self.glossary_count_limit and len(glossaries) + 1 >= self.glossary_count_limit:
            self.delete_oldest_glossary()
        self.create_glossary(source, target, name, tsv)
        return self.list_glossaries()[name]

    def translate(self, source: str, target: str, texts: list[str], glossary_id: str | None) -> list[str]:
        params: dict[str, object] = {"text": texts, "source_lang": source, "target_lang": target,
                                     "formality": "default", "tag_handling": "xml", "ignore_tags": ["x"]}
        if glossary_id is not None:
            params["glossary_id"] = glossary_id
        payload = self.request("post", self.base + "translate", json=params).json()
        return [t["text"] for t in payload["translations"]]


def test_weblate_glossary_flow(live: Live) -> None:
    weblate = WeblateDeepL(live.url, live.key, glossary_count_limit=MAX_GLOSSARIES)
    tsv = "Straż Graniczna\tBorder Guard\nMSWiA\tMSWiA"
    ids = [weblate.get_glossary_id(project, "PL", "EN", tsv) for project in (1, 2, 3)]
    assert all(ids) and len(set(ids)) == 3
    assert weblate.get_glossary_id(1, "PL", "EN", tsv) == ids[0]  # unchanged: reused, nothing created
    assert weblate.deleted == []
    # project 4 fills the key's last free place: Weblate deletes the oldest of its glossaries first
    ids.append(weblate.get_glossary_id(4, "PL", "EN", tsv))
    assert weblate.deleted == [ids[0]]
    # the glossary of project 2 changes: the stale one goes, the new one comes
    changed = weblate.get_glossary_id(2, "PL", "EN", tsv + "\nBiałowieża\tBiałowieża")
    assert ids[1] in weblate.deleted and changed not in ids
    out = weblate.translate("PL", "EN", ['Funkcjonariusze <x id="7"></x>Straży Granicznej zatrzymali 23 osoby.'],
                            changed)
    assert "Border Guard" in out[0] and '<x id="7"></x>' in out[0]
    with pytest.raises(httpx.HTTPStatusError) as gone:
        weblate.translate("PL", "EN", ["Sejm."], ids[0])  # deleted above
    assert gone.value.response.status_code == 404 and gone.value.response.json()["message"] == "Glossary not found"
