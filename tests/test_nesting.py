"""Quotes inside quotes get exact target spans of their own, however deep, and a parent."""

from __future__ import annotations

from fastapi.testclient import TestClient

OUTER = "Rzecznik mówił nam wczoraj: »Sytuacja jest pod kontrolą« i nic więcej"
TEXT = f"Minister powiedział: „{OUTER}”, a potem wyszedł z sali."
FILLING = "„Rzecznik mówił nam wczoraj: »Sytuacja jest pod kontrolą« i nic więcej.”"


def alone(client: TestClient, text: str) -> str:
    return client.post("/v1/translate", json={"text": text, "source_lang": "pl"}).json()["translation_text"]


def check_spans(body: dict) -> None:
    for q in body["quotes"]:
        assert body["source_text"][q["source"]["start"]:q["source"]["end"]] == q["source"]["text"]
        t = q["target"]
        assert t is not None and body["translation_text"][t["start"]:t["end"]] == t["text"]


def test_quote_in_a_quote_is_carved_from_its_parent(client: TestClient) -> None:
    body = client.post("/v1/translate", json={"text": TEXT, "source_lang": "pl"}).json()
    check_spans(body)
    quotes = body["quotes"]
    assert [q["source"]["text"] for q in quotes] == [OUTER, "Sytuacja jest pod kontrolą"]
    outer, inner = quotes
    assert outer["parent"] is None and inner["parent"] == 0
    assert outer["target"]["start"] <= inner["target"]["start"] < inner["target"]["end"] <= outer["target"]["end"]
    assert inner["target"]["text"] == alone(client, "Sytuacja jest pod kontrolą")  # its own words only
    assert len(inner["target"]["text"]) < len(outer["target"]["text"])


def test_quote_in_a_quote_that_fills_the_sentence(client: TestClient) -> None:
    body = client.post("/v1/translate", json={"text": FILLING, "source_lang": "pl"}).json()
    check_spans(body)
    outer, inner = body["quotes"]
    assert outer["parent"] is None and inner["parent"] == 0
    assert inner["target"]["text"] == alone(client, "Sytuacja jest pod kontrolą")
    assert len(inner["target"]["text"]) < len(body["sentences"][0]["target"]["text"])


def test_summary_lists_nested_quotes_with_their_parent(client: TestClient) -> None:
    body = client.post("/v1/summarize", json={"text": TEXT, "source_lang": "pl", "ratio": 1.0}).json()
    quotes = body["quotes"]
    assert [(q["kind"], q["index"], q["parent"]) for q in quotes] == [("quote", 0, None), ("quote", 1, 0)]
    for q in quotes:
        assert q["summary_spans"], q
        for span in q["summary_spans"]:
            assert body["summary"][span["start"]:span["end"]] == span["text"]
    assert quotes[1]["summary"]["text"] == quotes[1]["target"]["text"]
