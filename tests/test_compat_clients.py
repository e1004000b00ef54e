"""Clients nobody on this project wrote, against a real ``newsbridge serve`` on loopback.

The official DeepL Python SDK (``deepl``) and node client (``deepl-node``), ``libretranslatepy``,
and the exact requests Mastodon and Discourse send. Keys are made the way a newsroom makes
them: ``newsbridge keys create``.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from selectolax.lexbor import LexborHTMLParser, LexborNode

from tests.conftest import SAMPLES
from tests.servers import Server as ServeProcess
from tests.test_cli import _env, run

pytestmark = pytest.mark.slow
NODE_DIR = Path(__file__).parent / "node"
HTML_SAMPLE = SAMPLES / "en_article_with_pl_tweet.html"
TWEET_PL = "Funkcjonariusze Straży Granicznej udaremnili kolejną próbę siłowego przekroczenia granicy."
ENV_KEY = "env-key-for-the-native-api"
# issue 18: a CMS rich-text field, a sentence with emphasis and a link inside it
ISSUE_Q = 'Straż Graniczna <b>zatrzymała</b> w nocy <a id="a1" href="https://strazgraniczna.pl/pl">23 osoby</a>.'
LINK = '<a id="a1" href="https://strazgraniczna.pl/pl">'
PLACEHOLDERS_XML = 'Witaj <x id="6"/>, <x id="10"></x> czeka na <b>odpowiedź</b> od <a href="/sg">straży</a>.'
SMALL_QUOTA = 100


@dataclass
class Server:
    url: str
    key: str  # made with `newsbridge keys create desk`
    small_key: str  # a key with a quota of SMALL_QUOTA characters a month
    env: dict[str, str]


@pytest.fixture(scope="module")
def server(model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    tmp = tmp_path_factory.mktemp("compat-server")
    env = _env(model_dir, tmp)
    env["NEWSBRIDGE_API_KEYS"] = ENV_KEY
    made = run(["keys", "create", "desk"], env)
    assert made.returncode == 0, made.stderr
    key = made.stdout.strip()
    assert key.startswith("nb_") and "not shown again" in made.stderr
    small = run(["keys", "create", "small", "--chars-per-month", str(SMALL_QUOTA)], env)
    assert small.returncode == 0, small.stderr
    listed = run(["keys", "list"], env)
    assert "desk" in listed.stdout and key not in listed.stdout  # the key itself is never shown again
    with ServeProcess(env, tmp / "server.log", timeout=90) as process:
        url = process.base
        # load the model once, generously: the SDKs' own read timeouts (10 s) are for warm servers
        warm = httpx.post(url + "/v2/translate", headers={"Authorization": f"DeepL-Auth-Key {key}"},
                          json={"text": [TWEET_PL], "target_lang": "EN-GB"}, timeout=600)
        assert warm.status_code == 200, warm.text
        import deepl

        deepl.http_client.min_connection_timeout = 120.0  # a loaded CI machine is slow
        yield Server(url, key, small.stdout.strip(), env)
    server_log = (tmp / "server.log").read_text()
    assert key not in server_log and ENV_KEY not in server_log  # keys are never logged


def _structure(html: str) -> list[tuple[str, dict[str, str | None]]]:
    """Every element with its attributes, in document order: the markup without the text."""
    tree = LexborHTMLParser(html, is_fragment=True)
    out = []
    node = tree.root
    while node is not None:
        if node.is_element_node:
            out.append((node.tag, dict(node.attributes)))
            out += [(n.tag, dict(n.attributes)) for n in node.css("*")]
        node = node.next
    return out


def _tree(markup: str) -> list[tuple]:
    """Each element as (tag, attributes, its children's trees), siblings sorted: the shape of the
    markup, whatever order a translation put siblings in."""

    def shape(node: LexborNode) -> tuple:
        kids, child = [], node.child
        while child is not None:
            if child.is_element_node:
                kids.append(shape(child))
            child = child.next
        return (node.tag, sorted(node.attributes.items()), sorted(kids))

    out, node = [], LexborHTMLParser(markup, is_fragment=True).root
    while node is not None:
        if node.is_element_node:
            out.append(shape(node))
        node = node.next
    return sorted(out)


def _once_each(markup: str, source: str) -> None:
    """Every element of ``source`` is in ``markup`` once, with its attributes, nested the same way."""
    assert _tree(markup) == _tree(source), markup
    for tag in re.findall(r"<[a-z]+[^>]*>", source):
        assert markup.count(tag) == source.count(tag), (tag, markup)


# ----------------------------------------------------------------------------- DeepL Python SDK


def test_deepl_sdk_translates_plain_and_html(server: Server) -> None:
    import deepl

    translator = deepl.Translator(server.key, server_url=server.url)
    result = translator.translate_text(TWEET_PL, target_lang="EN-GB")
    assert result.detected_source_lang == "PL" and result.billed_characters == len(TWEET_PL)
    assert result.text and result.text != TWEET_PL

    html = HTML_SAMPLE.read_text(encoding="utf-8")
    out = translator.translate_text(html, target_lang="EN-US", tag_handling="html")
    assert out.detected_source_lang == "EN"
    assert _structure(out.text) == _structure(html)  # markup unchanged, element for element
    tweet = LexborHTMLParser(out.text).css_first("blockquote.twitter-tweet p")
    assert tweet is not None and "udaremnili" not in tweet.text() and "Nikt nie został ranny" not in tweet.text()
    assert "pic.twitter.com/AbCdEf1234" in tweet.text()
    english = [p.text() for p in LexborHTMLParser(html).css("article > p")]
    assert english and all(p in out.text for p in english)  # English paragraphs kept as they were


def test_deepl_sdk_inline_markup_html_and_xml(server: Server) -> None:
    """Issue 18 through the official SDK: tag_handling html keeps the bold word and the link (with
    every attribute) inside the translated sentence; xml keeps Weblate-style placeholders with
    ignore_tags, each once, self-closing as sent, and the result is well-formed XML."""
    import xml.etree.ElementTree as ET

    import deepl

    translator = deepl.Translator(server.key, server_url=server.url)
    out = translator.translate_text(ISSUE_Q, source_lang="PL", target_lang="EN-GB", tag_handling="html").text
    assert out != ISSUE_Q and "<b>" in out and "</b>" in out and LINK in out
    _once_each(out, ISSUE_Q)
    xml = translator.translate_text(PLACEHOLDERS_XML, source_lang="PL", target_lang="EN-GB", tag_handling="xml",
                                    ignore_tags=["x"]).text
    assert xml.count('<x id="6"/>') == 1 and xml.count('<x id="10"></x>') == 1, xml
    assert xml.index('<x id="6"/>') < xml.index('<x id="10"></x>')
    assert xml.count("<b>") == xml.count("</b>") == 1 and xml.count('<a href="/sg">') == 1
    ET.fromstring(f"<r>{xml}</r>")
    with pytest.raises(deepl.DeepLException, match="Tag handling parsing failed"):
        translator.translate_text("<b>Nikt</i>", target_lang="EN-GB", tag_handling="xml")


def test_deepl_sdk_usage_grows_by_the_characters_sent(server: Server) -> None:
    import deepl

    translator = deepl.Translator(server.key, server_url=server.url)
    before = translator.get_usage().character
    texts = ["Nikt nie został ranny.", "Sytuacja jest pod kontrolą."]
    results = translator.translate_text(texts, source_lang="PL", target_lang="EN-GB")
    assert [r.billed_characters for r in results] == [len(t) for t in texts]
    after = translator.get_usage().character
    assert after.valid and after.count - before.count == sum(len(t) for t in texts)


def test_deepl_sdk_latency_optimized_uses_the_fast_tier_and_says_so(server: Server) -> None:
    import deepl

    translator = deepl.Translator(server.key, server_url=server.url)
    fast = translator.translate_text(TWEET_PL, target_lang="EN-GB", model_type="latency_optimized")
    best = translator.translate_text(TWEET_PL, target_lang="EN-GB", model_type="prefer_quality_optimized")
    plain = translator.translate_text(TWEET_PL, target_lang="EN-GB")
    assert (fast.model_type_used, best.model_type_used, plain.model_type_used) == (
        "latency_optimized", "quality_optimized", None)
    native = httpx.post(server.url + "/v1/translate", headers={"X-API-Key": server.key}, timeout=120,
                        json={"text": TWEET_PL, "target_lang": "en", "quality": "fast"}).json()
    assert native["model"]["pl-en"][0]["id"] == "local:pl-en.fast" and fast.text == native["translation"]
    assert best.text == plain.text != fast.text  # the default is the quality tier


def test_deepl_sdk_languages(server: Server) -> None:
    import deepl

    translator = deepl.Translator(server.key, server_url=server.url)
    assert sorted(lang.code for lang in translator.get_source_languages()) == ["EN", "LT", "PL"]
    targets = translator.get_target_languages()
    assert sorted(lang.code for lang in targets) == ["EN-GB", "EN-US", "LT", "PL"]
    assert all(lang.supports_formality is False for lang in targets)


def test_deepl_sdk_wrong_key_and_exhausted_quota(server: Server) -> None:
    import deepl

    with pytest.raises(deepl.AuthorizationException):
        deepl.Translator("wrong-key", server_url=server.url).translate_text("Nikt.", target_lang="EN-GB")
    small = deepl.Translator(server.small_key, server_url=server.url)
    small.translate_text("Nikt nie został ranny.", target_lang="EN-GB")  # within the quota
    assert small.get_usage().character.count == len("Nikt nie został ranny.")
    with pytest.raises(deepl.QuotaExceededException):
        small.translate_text("Nikt nie został ranny. " * 10, target_lang="EN-GB")
    assert small.get_usage().character.count == len("Nikt nie został ranny.")  # the refused text is not billed
    with pytest.raises(deepl.DeepLException, match="formality"):
        deepl.Translator(server.key, server_url=server.url).translate_text("Nikt.", target_lang="PL",
                                                                          formality="more")


# ----------------------------------------------------------------------------- deepl-node


def _npm_install() -> None:
    if (NODE_DIR / "node_modules" / "deepl-node").is_dir():
        return
    npm = shutil.which("npm")
    if npm is None:
        pytest.skip("needs npm to install deepl-node (.ci/run installs it)")
    done = subprocess.run([npm, "install", "--no-audit", "--no-fund"], cwd=NODE_DIR, capture_output=True,
                          text=True, timeout=300)
    if done.returncode != 0:
        pytest.skip(f"npm install failed (no registry?): {done.stderr[-500:]}")


@pytest.mark.skipif(shutil.which("node") is None, reason="needs node")
def test_deepl_node_client(server: Server) -> None:
    _npm_install()
    env = dict(os.environ, NEWSBRIDGE_URL=server.url, NEWSBRIDGE_KEY=server.key,
               NEWSBRIDGE_SMALL_KEY=server.small_key, NEWSBRIDGE_HTML_SAMPLE=str(HTML_SAMPLE))
    out = subprocess.run(["node", "--test", "--test-reporter=tap", "deepl_client.test.mjs"], cwd=NODE_DIR,
                         env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "# pass 6" in out.stdout and "# fail 0" in out.stdout


# ----------------------------------------------------------------------------- LibreTranslate


def test_libretranslatepy_translate_detect_languages(server: Server) -> None:
    from libretranslatepy import LibreTranslateAPI

    lt = LibreTranslateAPI(server.url, api_key=server.key)
    translated = lt.translate(TWEET_PL, source="pl", target="en")
    assert isinstance(translated, str) and translated and translated != TWEET_PL
    detected = lt.detect(TWEET_PL)
    assert detected and detected[0]["language"] == "pl" and 0 < detected[0]["confidence"] <= 100
    languages = lt.languages()  # a GET with a (form) body: tolerated
    assert sorted(lang["code"] for lang in languages) == ["en", "lt", "pl"]
    assert all(lang["targets"] and lang["code"] not in lang["targets"] for lang in languages)

    import urllib.error

    with pytest.raises(urllib.error.HTTPError) as denied:
        LibreTranslateAPI(server.url, api_key="wrong").translate(TWEET_PL, source="pl", target="en")
    assert denied.value.code == 403 and "error" in json.loads(denied.value.read())


def test_the_issue_example_through_libretranslate_format_html(server: Server) -> None:
    """Issue 18 as a new user tried it: LibreTranslate's /translate, format html."""
    r = httpx.post(server.url + "/translate", json={"q": ISSUE_Q, "source": "pl", "target": "en", "format": "html",
                                                    "api_key": server.key}, timeout=120)
    assert r.status_code == 200, r.text
    out = r.json()["translatedText"]
    assert "<b>" in out and "</b>" in out and LINK in out, out
    _once_each(out, ISSUE_Q)  # (where they land is the copy model's test: this model's weights are random)


def test_libretranslatepy_keeps_weblates_placeholders(server: Server) -> None:
    from libretranslatepy import LibreTranslateAPI

    lt = LibreTranslateAPI(server.url, api_key=server.key)
    out = lt.translate("Witaj [X6X], [X10X] czeka na [X26X]odpowiedź[X38X].", source="pl", target="en")
    assert re.findall(r"\[X\d+X\]", out) == ["[X6X]", "[X10X]", "[X26X]", "[X38X]"], out


def test_wagtail_localize_request_shapes(server: Server) -> None:
    """wagtail-localize's LibreTranslator (a JSON string body, q a list of its segments, format html,
    api_key in the body) and DeepLTranslator (a form body, auth_key, text repeated, tag_handling xml).
    Its segments carry links as <a id="a1"> (the href is put back by id afterwards), so each id must
    come back exactly once."""
    segments = ['Straż Graniczna <b>zatrzymała</b> w nocy <a id="a1">23 osoby</a>.',
                'Więcej na <a id="a2">stronie straży</a> i <a id="a3">w komunikacie</a>.']
    body = json.dumps({"q": segments, "source": "pl", "target": "en", "api_key": server.key, "format": "html"})
    r = httpx.post(server.url + "/translate", content=body, headers={"Content-Type": "application/json"},
                   timeout=120)
    assert r.status_code == 200, r.text
    lt_out = r.json()["translatedText"]
    deepl_out = httpx.post(server.url + "/v2/translate", timeout=120, data={
        "auth_key": server.key, "text": segments, "tag_handling": "xml", "source_lang": "PL", "target_lang": "EN"})
    assert deepl_out.status_code == 200, deepl_out.text
    translations = [t["text"] for t in deepl_out.json()["translations"]]
    assert len(lt_out) == len(translations) == 2
    for source, a, b in zip(segments, lt_out, translations, strict=True):
        for out in (a, b):
            _once_each(out, source)


def test_libretranslate_suggest_as_its_clients_send_it(server: Server) -> None:
    """``POST /suggest`` shaped as libretranslatepy shapes its requests (form-encoded params with
    ``api_key``, through ``urllib``; libretranslatepy 2.1 has no ``suggest`` of its own, so the
    method here reuses its URL and key handling) and as LibreTranslate's own page sends it
    (multipart ``FormData``, ``source=auto``): each stores a suggestion an editor approves."""
    from urllib import parse, request

    from libretranslatepy import LibreTranslateAPI

    class WithSuggest(LibreTranslateAPI):
        def suggest(self, q: str, s: str, source: str, target: str) -> dict:
            params = {"q": q, "s": s, "source": source, "target": target}
            if self.api_key is not None:
                params["api_key"] = self.api_key
            req = request.Request(self.url + "suggest", data=parse.urlencode(params).encode())
            return json.loads(request.urlopen(req, timeout=60).read().decode())

    lt = WithSuggest(server.url, api_key=server.key)
    assert lt.suggest(TWEET_PL, "Border Guard officers foiled another attempt.", "pl", "en") == {"success": True}
    page = httpx.post(server.url + "/suggest", files={"q": (None, "Nikt nie został ranny."),
                                                      "s": (None, "Nobody was hurt."), "source": (None, "auto"),
                                                      "target": (None, "en"), "api_key": (None, server.key)})
    assert page.status_code == 200 and page.json() == {"success": True}
    missing = httpx.post(server.url + "/suggest", data={"q": "Nikt.", "source": "pl", "target": "en",
                                                        "api_key": server.key})
    assert missing.status_code == 400 and missing.json() == {"error": "Invalid request: missing s parameter"}
    listed = httpx.get(server.url + "/v1/memory", params={"status": "suggested"},
                       headers={"X-API-Key": server.key}).json()
    stored = {(e["source"], e["target"], e["origin"], e["created_by"]) for e in listed["entries"]}
    assert (TWEET_PL, "Border Guard officers foiled another attempt.", "libretranslate", "desk") in stored
    assert ("Nikt nie został ranny.", "Nobody was hurt.", "libretranslate", "desk") in stored


def test_mastodon_request_shape(server: Server) -> None:
    """Mastodon's TranslationService::LibreTranslate: JSON, q a list, format html, api_key in the body;
    /languages with a JSON content type and no body; reads translatedText[i], detectedLanguage[i]."""
    headers = {"Content-Type": "application/json"}
    languages = httpx.get(server.url + "/languages", headers=headers).json()
    table = {lang["code"]: [t for t in lang["targets"] if t != lang["code"]] for lang in languages}
    assert table["pl"] == ["en", "lt"]
    texts = [f"<p>{TWEET_PL}</p>", "<p>Nikt nie został ranny. <a href=\"https://example.org\">#granica</a></p>",
             '<p>Nikt nie został ranny, <a href="https://example.org/sg" rel="nofollow noopener">pisze '
             '<span class="h-card">straż</span></a> w <em>komunikacie</em>.</p>']
    body = json.dumps({"q": texts, "source": "auto", "target": "en", "format": "html", "api_key": server.key})
    r = httpx.post(server.url + "/translate", content=body, headers=headers, timeout=120)
    assert r.status_code == 200, r.text
    data = r.json()
    assert isinstance(data["translatedText"], list) and len(data["translatedText"]) == 3
    assert all(t.startswith("<p>") and t.endswith("</p>") for t in data["translatedText"])
    assert '<a href="https://example.org">#granica</a>' in data["translatedText"][1]
    _once_each(data["translatedText"][2], texts[2])  # a link inside a translated sentence, kept
    assert [d["language"] for d in data["detectedLanguage"]] == ["pl", "pl", "pl"]
    bad = httpx.post(server.url + "/translate", content=body.replace(server.key, "nope"), headers=headers)
    assert bad.status_code == 403  # Mastodon reads 403 as QuotaExceededError, 429 as TooManyRequests


def test_discourse_request_shape(server: Server) -> None:
    """discourse-translator's LibreTranslate provider: form-encoded /detect then /translate with the
    detected source and format=html, api_key in the form; /languages without a key."""
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    assert any(lang["code"] == "pl" for lang in httpx.get(server.url + "/languages").json())
    text = f"<p>{TWEET_PL} Nikt nie został ranny.</p>"
    detected = httpx.post(server.url + "/detect", data={"q": TWEET_PL, "api_key": server.key}, headers=form)
    assert detected.status_code == 200, detected.text
    source = detected.json()[0]["language"]
    assert source == "pl"
    r = httpx.post(server.url + "/translate", headers=form, timeout=120,
                   data={"q": text, "source": source, "target": "en", "format": "html", "api_key": server.key})
    assert r.status_code == 200, r.text
    out = r.json()["translatedText"]
    assert out.startswith("<p>") and out.endswith("</p>") and "Funkcjonariusze" not in out


# ----------------------------------------------------------------------------- native API, keys


def test_native_api_needs_a_key_when_keys_are_configured(server: Server) -> None:
    body = {"text": "Nikt nie został ranny.", "target_lang": "en"}
    r = httpx.post(server.url + "/v1/translate", json=body, timeout=60)
    assert r.status_code == 401 and r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["type"].endswith("/unauthorized")
    for headers in ({"X-API-Key": server.key}, {"Authorization": f"Bearer {ENV_KEY}"},
                    {"Authorization": f"DeepL-Auth-Key {server.key}"}):
        ok = httpx.post(server.url + "/v1/translate", json=body, headers=headers, timeout=60)
        assert ok.status_code == 200, ok.text
    assert httpx.get(server.url + "/healthz").status_code == 200  # probes stay open
