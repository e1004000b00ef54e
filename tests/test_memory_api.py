"""Translation memory through the HTTP API, with real (tiny, random-weight) Marian models and a real
SQLite file: a correction serves its sentence from the next request on, in every path (``/v1``,
the DeepL and LibreTranslate dialects, batches, jobs); close entries come back as suggestions;
keys and roles; bad input writes nothing."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from service.http.app import create_app
from service.settings import Settings
from service.storage import db
from service.storage.key_store import KeyStore
from tests.test_api import assert_spans_slice

APPEAL = "Apelujemy o niepowielanie niesprawdzonych informacji."
APPEAL_EN = "We ask you not to spread unverified information."
QUOTE = "Sytuacja jest pod kontrolą, patrole zostały wzmocnione"
QUOTE_SENTENCE = "Rzecznik SG: „Sytuacja jest pod kontrolą, patrole zostały wzmocnione”."
PROBLEM = "application/problem+json"


def make_settings(tmp_path: Path, model_dir: Path, **extra) -> Settings:
    return Settings(database_url=f"sqlite:///{tmp_path / 'nb.db'}", model_dir=model_dir, coalesce=False,
                    jobs_dir=tmp_path / "jobs", job_batch_records=3, job_poll_s=0.2, **extra)


@pytest.fixture
def client(tmp_path: Path, model_dir: Path) -> Iterator[TestClient]:
    with TestClient(create_app(make_settings(tmp_path, model_dir))) as c:
        yield c


def sentence(body: dict, source: str) -> dict:
    found = [s for s in body["sentences"] if s["source"]["text"] == source]
    assert len(found) == 1, [s["source"]["text"] for s in body["sentences"]]
    return found[0]


def translate(client: TestClient, text: str, **extra) -> dict:
    r = client.post("/v1/translate", json={"text": text, "target_lang": "en", **extra})
    assert r.status_code == 200, r.text
    body = r.json()
    assert_spans_slice(body)
    return body


def add(client: TestClient, source: str, target: str, *, headers: dict | None = None, **extra) -> dict:
    r = client.post("/v1/memory", json={"source_lang": "pl", "target_lang": "en", "source": source,
                                        "target": target, **extra}, headers=headers or {})
    assert r.status_code == 201, r.text
    return r.json()


def test_a_corrected_sentence_comes_from_memory_until_the_entry_is_deleted(client: TestClient, sample) -> None:
    tweet = sample("pl_ministry_tweet.txt")
    before = translate(client, tweet)
    model = sentence(before, APPEAL)
    assert model["origin"] == "model" and model["memory"] is None

    entry = add(client, APPEAL, APPEAL_EN, status="approved")
    assert entry["id"] > 0 and entry["status"] == "approved" and entry["created_by"] is None  # the API is open

    after = translate(client, tweet)
    fixed = sentence(after, APPEAL)
    assert fixed["origin"] == "memory" and fixed["target"]["text"] == APPEAL_EN
    assert fixed["memory"]["id"] == entry["id"] and fixed["memory"]["when"]
    assert fixed["translated"] and not fixed["cached"]
    start = after["translation_text"].index(APPEAL_EN)  # the exact span of the correction
    assert (fixed["target"]["start"], fixed["target"]["end"]) == (start, start + len(APPEAL_EN))
    assert after["memory_hits"] == 1
    # every other sentence and quote as before (from the cache now), their spans shifted only
    others = [(s["source"]["text"], s["target"]["text"]) for s in after["sentences"] if s["source"]["text"] != APPEAL]
    assert others and others == [(s["source"]["text"], s["target"]["text"])
                                 for s in before["sentences"] if s["source"]["text"] != APPEAL]
    assert {s["origin"] for s in after["sentences"] if s["source"]["text"] != APPEAL} <= {"cache", None}
    quote = next(q for q in after["quotes"] if q["kind"] == "quote")
    assert quote["target"]["text"] == next(q for q in before["quotes"] if q["kind"] == "quote")["target"]["text"]
    tweet_after = next(q for q in after["quotes"] if q["kind"] == "tweet")
    assert APPEAL_EN in tweet_after["target"]["text"]

    assert client.delete(f"/v1/memory/{entry['id']}").status_code == 204
    again = translate(client, tweet)
    back = sentence(again, APPEAL)
    assert back["origin"] in ("cache", "model") and back["memory"] is None
    assert back["target"]["text"] == model["target"]["text"]
    assert again["translation_text"] == before["translation_text"]
    assert client.get(f"/v1/memory/{entry['id']}").status_code == 404
    history = client.get(f"/v1/memory/{entry['id']}/history").json()["history"]
    assert [h["action"] for h in history] == ["delete", "create"]


def test_an_edit_counts_from_the_next_request_and_keeps_its_history(client: TestClient) -> None:
    first = translate(client, APPEAL)["sentences"][0]
    assert first["origin"] == "model"
    entry = add(client, APPEAL, "First correction.")
    assert translate(client, APPEAL)["translation_text"] == "First correction."
    r = client.put(f"/v1/memory/{entry['id']}", json={"target": APPEAL_EN})
    assert r.status_code == 200 and r.json()["target"] == APPEAL_EN
    body = translate(client, APPEAL)
    assert body["translation_text"] == APPEAL_EN and body["sentences"][0]["origin"] == "memory"
    history = client.get(f"/v1/memory/{entry['id']}/history").json()["history"]
    assert [(h["action"], h["target"]) for h in history] == [("edit", APPEAL_EN), ("create", "First correction.")]
    # posting the same source again as approved replaces the target (200, same entry), history grows
    r = client.post("/v1/memory", json={"source_lang": "pl", "target_lang": "en", "source": f"  {APPEAL} ",
                                        "target": "Third."})
    assert r.status_code == 200 and r.json()["id"] == entry["id"]
    assert translate(client, APPEAL)["translation_text"] == "Third."
    # whitespace and typographic quotes do not matter to the lookup
    assert translate(client, APPEAL.replace(" ", "  "))["sentences"][0]["origin"] == "memory"


def test_quotes_inside_a_corrected_sentence_keep_exact_spans(client: TestClient) -> None:
    text = f"{QUOTE_SENTENCE} {APPEAL}"
    add(client, QUOTE_SENTENCE, "SG spokesman: “The situation is under control, patrols have been reinforced”.")
    body = translate(client, text)
    s = sentence(body, QUOTE_SENTENCE)
    assert s["origin"] == "memory"
    quote = next(q for q in body["quotes"] if q["kind"] == "quote")
    assert quote["target"]["text"] == "The situation is under control, patrols have been reinforced"
    # an entry for the quote alone serves the quote wherever it stands
    client.delete(f"/v1/memory/{s['memory']['id']}")
    q_entry = add(client, QUOTE, "The situation is under control, patrols are reinforced")
    body = translate(client, text)
    s = sentence(body, QUOTE_SENTENCE)
    assert s["origin"] in ("model", "cache") and s["memory"]["id"] == q_entry["id"]
    quote = next(q for q in body["quotes"] if q["kind"] == "quote")
    assert quote["target"]["text"] == "The situation is under control, patrols are reinforced"
    assert body["memory_hits"] == 1


def test_an_entry_whose_tokens_do_not_fit_is_not_applied(client: TestClient) -> None:
    text = "Zatrzymano 23 osoby, szczegóły: https://www.gov.pl/web/mswia #granica"
    add(client, text, "23 people were detained, details on the ministry's site #granica")  # the URL is lost
    s = translate(client, text)["sentences"][0]
    assert s["origin"] == "model"
    assert any(w.startswith("memory_not_applied:") and "https://www.gov.pl/web/mswia" in w for w in s["warnings"])
    assert "memory_not_applied" in s["flags"]  # beside the model output's own (number_missing, low_confidence...)
    # other numbers in the new sentence: no exact match, but a suggestion
    other = translate(client, text.replace("23", "25"))["sentences"][0]
    assert other["origin"] == "model" and not any("memory" in w for w in other["warnings"])
    assert other["suggestions"] and other["suggestions"][0]["score"] >= 75


def test_one_word_away_is_a_suggestion_and_unrelated_is_none(client: TestClient) -> None:
    entry = add(client, APPEAL, APPEAL_EN)
    close = translate(client, "Apelujemy o niepowielanie sprawdzonych informacji.")["sentences"][0]
    assert close["origin"] == "model"
    assert len(close["suggestions"]) == 1
    hit = close["suggestions"][0]
    assert hit["id"] == entry["id"] and hit["target"] == APPEAL_EN and hit["source"] == APPEAL
    assert 75 <= hit["score"] < 100 and hit["status"] == "approved"
    unrelated = translate(client, "Premier zwołał posiedzenie rządu w sprawie granicy.")["sentences"][0]
    assert unrelated["suggestions"] == []
    off = translate(client, "Apelujemy o niepowielanie sprawdzonych informacji.", memory_suggestions=False)
    assert off["sentences"][0]["suggestions"] == []


def test_scopes_desk_entries_first_then_global(client: TestClient) -> None:
    add(client, APPEAL, "Global.")
    add(client, APPEAL, "Sport desk.", scope="sport")
    assert translate(client, APPEAL)["translation_text"] == "Global."
    assert translate(client, APPEAL, memory_scope="sport")["translation_text"] == "Sport desk."
    assert translate(client, APPEAL, memory_scope="politics")["translation_text"] == "Global."
    page = client.get("/v1/memory", params={"scope": "sport"}).json()
    assert page["total"] == 1 and page["entries"][0]["scope"] == "sport"
    assert client.get("/readyz").json()["memory"] == "ok"


def test_every_path_serves_the_correction(client: TestClient) -> None:
    add(client, APPEAL, APPEAL_EN)
    # the native batch
    r = client.post("/v1/translate", json={"texts": [APPEAL, "Granica jest zamknięta."], "target_lang": "en"})
    results = r.json()["results"]
    assert results[0]["translation_text"] == APPEAL_EN and results[0]["sentences"][0]["origin"] == "memory"
    # DeepL's dialect
    r = client.post("/v2/translate", data={"text": [APPEAL, "Granica jest zamknięta."], "source_lang": "PL",
                                           "target_lang": "EN-GB"})
    assert r.status_code == 200, r.text
    assert r.json()["translations"][0]["text"] == APPEAL_EN
    assert r.headers["X-Newsbridge-Memory"] == "1,0"  # the dialect's body has no room: the header says it
    # LibreTranslate's dialect
    r = client.post("/translate", json={"q": APPEAL, "source": "pl", "target": "en"})
    assert r.status_code == 200 and r.json()["translatedText"] == APPEAL_EN
    assert r.headers["X-Newsbridge-Memory"] == "1"
    r = client.post("/translate", json={"q": "Granica jest zamknięta.", "source": "pl", "target": "en"})
    assert r.status_code == 200 and "X-Newsbridge-Memory" not in r.headers
    # summaries are made from the corrected translation
    r = client.post("/v1/summarize", json={"text": APPEAL, "target_lang": "en"})
    assert r.json()["translation"]["translation_text"] == APPEAL_EN
    # a job (the same chunks as `newsbridge batch`)
    lines = [{"id": "a", "text": APPEAL}, {"id": "b", "text": f"Premier zwołał posiedzenie. {APPEAL}"}]
    r = client.post("/v1/jobs", content="".join(json.dumps(x) + "\n" for x in lines).encode(),
                    headers={"content-type": "application/x-ndjson"}, params={"target_lang": "en"})
    assert r.status_code == 202, r.text
    job = r.json()["id"]
    deadline = time.monotonic() + 120
    while client.get(f"/v1/jobs/{job}").json()["state"] not in ("succeeded", "failed") and time.monotonic() < deadline:
        time.sleep(0.2)
    records = [json.loads(x) for x in client.get(f"/v1/jobs/{job}/results").text.splitlines()]
    assert [r["id"] for r in records] == ["a", "b"]
    assert records[0]["translation"] == APPEAL_EN
    assert records[1]["translation"].endswith(APPEAL_EN) and records[1]["sentences"][1]["origin"] == "memory"


def test_the_cli_batch_serves_the_correction(tmp_path: Path, model_dir: Path) -> None:
    from typer.testing import CliRunner

    from service.cli.main import app

    url = f"sqlite:///{tmp_path / 'nb.db'}"
    db.upgrade(url)
    from service.storage.memory_store import TranslationMemory

    TranslationMemory(url).add("pl", "en", APPEAL, APPEAL_EN, who="desk")
    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps({"id": "x", "text": APPEAL}) + "\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    env = {"NEWSBRIDGE_DATABASE_URL": url, "NEWSBRIDGE_MODEL_DIR": str(model_dir)}
    res = CliRunner().invoke(app, ["batch", str(src), "-o", str(out), "--target-lang", "en"], env=env)
    assert res.exit_code == 0, res.output
    record = json.loads(out.read_text(encoding="utf-8").splitlines()[0])
    assert record["translation"] == APPEAL_EN
    assert record["sentences"][0]["origin"] == "memory" and record["sentences"][0]["memory"]["who"] == "desk"


def test_roles_translators_suggest_editors_approve(tmp_path: Path, model_dir: Path) -> None:
    settings = make_settings(tmp_path, model_dir)
    db.upgrade(settings.database_url)
    keys = KeyStore(db.get_engine(settings.database_url))
    _, translator = keys.create("anna", role="translator")
    _, editor = keys.create("desk-chief", role="editor")
    as_t, as_e = {"X-API-Key": translator}, {"X-API-Key": editor}
    with TestClient(create_app(settings)) as c:
        assert c.get("/v1/memory").status_code == 401
        assert c.get("/v1/memory/me", headers=as_t).json() == {"name": "anna", "role": "translator",
                                                               "may_approve": False}
        r = c.post("/v1/memory", json={"source_lang": "pl", "target_lang": "en", "source": APPEAL,
                                       "target": APPEAL_EN}, headers=as_t)
        assert r.status_code == 403 and r.headers["content-type"] == PROBLEM
        assert r.json()["type"].endswith("/forbidden") and "suggest" in r.json()["detail"]
        suggestion = add(c, APPEAL, APPEAL_EN, status="suggested", headers=as_t)
        assert suggestion["created_by"] == "anna" and suggestion["status"] == "suggested"
        body = c.post("/v1/translate", json={"text": APPEAL}, headers=as_t).json()
        assert body["sentences"][0]["origin"] == "model"  # a suggestion serves nothing
        assert body["sentences"][0]["suggestions"][0]["id"] == suggestion["id"]  # it is offered, though
        # the translator may fix its own suggestion, not approve it
        r = c.put(f"/v1/memory/{suggestion['id']}", json={"target": APPEAL_EN + " "}, headers=as_t)
        assert r.status_code == 200
        assert c.post(f"/v1/memory/{suggestion['id']}/approve", headers=as_t).status_code == 403
        waiting = c.get("/v1/memory", params={"status": "suggested"}, headers=as_e).json()
        assert [e["id"] for e in waiting["entries"]] == [suggestion["id"]]
        r = c.post(f"/v1/memory/{suggestion['id']}/approve", headers=as_e)
        assert r.status_code == 200 and r.json()["status"] == "approved" and r.json()["updated_by"] == "desk-chief"
        body = c.post("/v1/translate", json={"text": APPEAL}, headers=as_t).json()
        assert body["sentences"][0]["origin"] == "memory" and body["sentences"][0]["memory"]["who"] == "desk-chief"
        # an approved entry is the editors' to change
        assert c.delete(f"/v1/memory/{suggestion['id']}", headers=as_t).status_code == 403
        other = add(c, "Granica jest zamknięta.", "The border is closed.", status="suggested", headers=as_t)
        assert c.post(f"/v1/memory/{other['id']}/reject", headers=as_e).status_code == 204
        assert c.get(f"/v1/memory/{other['id']}", headers=as_e).status_code == 404
        assert c.get(f"/v1/memory/{other['id']}/history", headers=as_e).json()["history"][0]["who"] == "desk-chief"


def test_bad_input_is_a_clear_problem_and_writes_nothing(tmp_path: Path, model_dir: Path) -> None:
    settings = make_settings(tmp_path, model_dir, memory_max_segment_chars=200, memory_max_import_bytes=4096)
    with TestClient(create_app(settings)) as c:
        def post(**body) -> dict:
            payload = {"source_lang": "pl", "target_lang": "en", "source": APPEAL, "target": APPEAL_EN, **body}
            r = c.post("/v1/memory", json=payload)
            assert r.headers["content-type"] == PROBLEM, r.text
            return {"status": r.status_code, **r.json()}

        cases = [
            (post(source="  "), 422, "empty_text"),
            (post(target=""), 422, "empty_text"),
            (post(source_lang="de"), 422, "invalid_request"),
            (post(target_lang="pl"), 422, "invalid_request"),  # the same language
            (post(source="x" * 201), 413, "text_too_large"),
            (post(status="final"), 422, "invalid_request"),
            (post(scope="no spaces allowed"), 422, "invalid_request"),
        ]
        for got, status, kind in cases:
            assert (got["status"], got["type"].rsplit("/", 1)[1]) == (status, kind), got
            assert got["detail"]
        tmx = {"content-type": "application/x-tmx+xml"}
        r = c.post("/v1/memory/import", content=b"this is not XML", headers=tmx)
        assert r.status_code == 422 and r.json()["type"].endswith("/invalid_tmx") and "not XML" in r.json()["detail"]
        r = c.post("/v1/memory/import", content=b"<html><body>hello</body></html>", headers=tmx)
        assert r.status_code == 422 and r.json()["type"].endswith("/invalid_tmx")
        r = c.post("/v1/memory/import", content=b"<tmx>" + b" " * 5000 + b"</tmx>", headers=tmx)
        assert r.status_code == 413 and r.json()["type"].endswith("/request_too_large")
        chunks = iter([b"<tmx>", b" " * 3000, b" " * 3000, b"</tmx>"])  # no Content-Length: counted while read
        r = c.post("/v1/memory/import", content=chunks, headers=tmx)
        assert r.status_code == 413
        r = c.post("/v1/memory/import", content=b"0" * 10, headers={**tmx, "content-length": str(2**30)})
        assert r.status_code == 413  # a 1 GB declaration is refused before a byte is read
        one_bad = ('<tmx version="1.4"><header srclang="pl"/><body>'
                   '<tu><tuv xml:lang="pl"><seg>Dobrze.</seg></tuv><tuv xml:lang="en"><seg>Good.</seg></tuv></tu>'
                   f'<tu><tuv xml:lang="pl"><seg>{"x" * 300}</seg></tuv><tuv xml:lang="en"><seg>Long.</seg></tuv></tu>'
                   "</body></tmx>").encode()
        r = c.post("/v1/memory/import", content=one_bad, headers=tmx)
        assert r.status_code == 413 and "entry 2" in r.json()["detail"]
        assert c.get("/v1/memory/99").status_code == 404
        assert c.put("/v1/memory/99", json={"target": "x"}).status_code == 404
        assert c.put("/v1/memory/99", json={}).status_code == 422
        assert c.get("/v1/memory").json()["total"] == 0  # nothing was written


def test_a_second_approved_entry_for_a_source_is_a_conflict(client: TestClient) -> None:
    a = add(client, APPEAL, APPEAL_EN)
    b = add(client, "Granica jest zamknięta.", "The border is closed.")
    r = client.put(f"/v1/memory/{b['id']}", json={"source": APPEAL})
    assert r.status_code == 409 and r.json()["type"].endswith("/memory_conflict") and r.json()["entry"] == a["id"]


def test_listing_pages_and_search(client: TestClient) -> None:
    for i in range(7):
        add(client, f"Zdanie numer {i} o granicy.", f"Sentence number {i} about the border.")
    page = client.get("/v1/memory", params={"limit": 3, "offset": 0}).json()
    assert page["total"] == 7 and len(page["entries"]) == 3
    assert page["entries"][0]["source"].startswith("Zdanie numer 6")
    rest = client.get("/v1/memory", params={"limit": 3, "offset": 6}).json()
    assert [e["source"] for e in rest["entries"]] == ["Zdanie numer 0 o granicy."]
    found = client.get("/v1/memory", params={"q": "NUMBER 4"}).json()
    assert found["total"] == 1 and found["entries"][0]["target"] == "Sentence number 4 about the border."
    assert client.get("/v1/memory", params={"limit": 500}).status_code == 422


def test_html_sentences_come_from_memory_with_their_markup(client: TestClient) -> None:
    add(client, APPEAL, APPEAL_EN)
    html = f"<article><h1>Komunikat</h1><p>{APPEAL} <b>Granica</b> jest zamknięta.</p></article>"
    r = client.post("/v1/translate", json={"text": html, "target_lang": "en", "format": "html"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert_spans_slice(body)
    s = sentence(body, APPEAL)
    assert s["origin"] == "memory" and s["target"]["text"] == APPEAL_EN
    assert f"<p>{APPEAL_EN} " in body["translation"] and body["translation"].count("<b>") == 1


def test_one_memory_call_per_request_and_a_failed_fuzzy_part_keeps_the_exact_entries(client: TestClient) -> None:
    """The exact and the close entries come from one call through the guard (one hand-off to its
    thread); a sentence an exact entry serves gets no suggestions; when only the fuzzy part
    fails, the exact entries still serve and the document says the suggestions are missing."""
    from service.http.state import state_of

    add(client, APPEAL, APPEAL_EN, status="approved")
    guard = state_of(client.app).ready().engines.memory_guard
    assert guard is not None
    submitted: list[object] = []
    real_submit = guard._pool.submit
    guard._pool.submit = lambda fn, *a: submitted.append(fn) or real_submit(fn, *a)  # type: ignore[method-assign]
    close_one = "Apelujemy o niepowielanie sprawdzonych informacji."
    body = translate(client, f"{APPEAL} {close_one}")
    assert len(submitted) == 1  # one call for both lookups
    served, modelled = sentence(body, APPEAL), sentence(body, close_one)
    assert served["origin"] == "memory" and served["suggestions"] == []  # served whole: nothing to suggest
    assert modelled["origin"] in ("model", "cache") and [s["target"] for s in modelled["suggestions"]] == [APPEAL_EN]

    def broken(*a: object, **kw: object) -> list[list[object]]:
        raise OSError("the fuzzy keys table is locked")

    guard.inner.fuzzy = broken  # type: ignore[method-assign]
    body = translate(client, f"{APPEAL} {close_one}")
    assert sentence(body, APPEAL)["origin"] == "memory"  # the exact entry still serves
    assert sentence(body, close_one)["suggestions"] == []
    assert [w for w in body["warnings"] if w.startswith("memory_unavailable:") and "(suggestions)" in w]
