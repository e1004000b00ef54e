"""Weblate's own machinery code driving a live newsbridge. Run with the Python of Weblate's virtual
environment (``.ci/weblate-venv.sh`` builds it); the main test suite never imports it.

    python drive.py --check              # Weblate imports and Django starts (the venv build runs this)
    python drive.py BASE_URL KEY         # every code path below; one JSON report on stdout

The classes are Weblate 5.14.3's ``weblate.machinery.deepl.DeepLTranslation`` and
``weblate.machinery.libretranslate.LibreTranslateTranslation``, configured through their settings
forms (``validate_service_configuration``: what the admin page and ``install_machinery`` run),
on Weblate's test settings (``weblate.settings_test``) with Weblate's own test stand-ins for
units (``weblate.checks.tests.test_checks.MockUnit`` / ``MockTranslation``), the way
``weblate/machinery/tests.py`` builds them. Nothing here judges: the report says what each call
returned or raised, and ``tests/test_weblate.py`` decides.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from typing import Any

# Weblate's test settings insist on naming a database server; nothing here opens a connection
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "weblate.settings_test")
os.environ.setdefault("CI_DATABASE", "postgresql")
os.environ.setdefault("CI_BASE_DIR", tempfile.mkdtemp(prefix="weblate-harness-"))

# Weblate language codes -> (a string with placeholders, its flags), and a plain one
PLACEHOLDER_TEXT = {
    "pl": "Witaj %s, {name} czeka na <b>odpowiedź</b>.",
    "lt": "Sveiki %s, {name} laukia <b>atsakymo</b>.",
    "en": "Hello %s, {name} is waiting for <b>an answer</b>.",
}
PLAIN_TEXT = {
    "pl": "Nikt nie został ranny.",
    "lt": "Niekas nenukentėjo.",
    "en": "Nobody was hurt.",
}
FLAGS = "python-format, python-brace-format"  # %s and {name}; <b> is Weblate's XML-tags highlight
PAIRS = (("pl", "en"), ("lt", "en_GB"), ("en", "pl"))
UNSUPPORTED = (("en", "de"), ("de", "en"), ("pl", "cs"))
SERVICES = ("deepl", "libretranslate")
FORMALITIES = ("default ", "prefer_more", "prefer_less")  # the DeepL form's choices, as the page posts them


def setup() -> None:
    import django

    django.setup()


def configuration(service: str, base: str, key: str, **extra: str) -> dict[str, str]:
    url = f"{base}/v2/" if service == "deepl" else f"{base}/"
    return {"key": key, "url": url, **extra}


def machine(service: str, base: str, key: str, **extra: str) -> Any:
    """The service as Weblate builds it from saved settings, without its translation cache
    (``get_machine(cache=False)`` in Weblate's tests): every call reaches the server."""
    from weblate.machinery.deepl import DeepLTranslation
    from weblate.machinery.libretranslate import LibreTranslateTranslation

    cls = DeepLTranslation if service == "deepl" else LibreTranslateTranslation
    m = cls(configuration(service, base, key, **extra))
    m.delete_cache()
    m.cache_translations = False
    return m


def unit(source_lang: str, target_lang: str, text: str, flags: str = "") -> Any:
    """Weblate's MockUnit, in a MockTranslation whose component's source language is ``source_lang``."""
    from weblate.checks.tests.test_checks import MockTranslation, MockUnit

    u = MockUnit(code=target_lang, source=text, flags=flags)
    u.translation = MockTranslation(target_lang, source_language=source_lang)
    return u


def error_text(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


def validate(service: str, config: dict[str, str]) -> dict[str, Any]:
    from weblate.machinery.models import validate_service_configuration

    started = time.monotonic()
    found, _, errors = validate_service_configuration(service, dict(config))
    shown = {k: v for k, v in config.items() if k != "key"}
    return {"service": service, "class": found.__name__ if found else None, "config": shown,
            "errors": [str(e) for e in errors], "seconds": round(time.monotonic() - started, 3)}


def translate_one(m: Any, service: str, source: str, target: str, text: str, flags: str) -> dict[str, Any]:
    u = unit(source, target, text, flags)
    sent, replacements = m.cleanup_text(text, u)
    out: dict[str, Any] = {"service": service, "source": source, "target": target, "text": text, "flags": flags,
                           "sent": sent, "replacements": replacements, "results": None, "error": None}
    started = time.monotonic()
    try:
        result = m.translate(u)
        out["results"] = [[item["text"] for item in plural] for plural in result]
    except Exception as exc:  # the report carries Weblate's own error
        out["error"] = error_text(exc)
    out["seconds"] = round(time.monotonic() - started, 3)
    return out


def batch(m: Any, service: str, source: str, target: str) -> dict[str, Any]:
    texts = [(PLACEHOLDER_TEXT[source], FLAGS), (PLAIN_TEXT[source], "")]
    units = [unit(source, target, t, f) for t, f in texts]
    shared = units[0].translation  # one translation (as Weblate's batches are), several units
    for u in units:
        u.translation = shared
    out: dict[str, Any] = {"service": service, "source": source, "target": target, "error": None}
    try:
        m.batch_translate(units)
    except Exception as exc:
        out["error"] = error_text(exc)
    out["units"] = [{"text": t, "flags": f, "translation": u.machinery.get("translation"),
                     "quality": u.machinery.get("quality")} for (t, f), u in zip(texts, units, strict=True)]
    return out


GLOSSARY = ("pl", "en", "Czekamy na odpowiedź ministra.", "odpowiedź\tanswer")  # source, target, text, TSV


def glossary(base: str, key: str) -> dict[str, Any]:
    """A project glossary through DeepL's glossary API, as Weblate uploads it: the project's TSV
    (Weblate's own test patches ``get_glossary_tsv`` the same way: glossary units live in its
    database), the pair checked with glossary-language-pairs, the glossary listed, created,
    listed again, and its id sent with the translation."""
    from unittest.mock import patch

    source, target, text, tsv = GLOSSARY
    m = machine("deepl", base, key, formality="default")
    with patch("weblate.glossary.models.get_glossary_tsv", new=lambda _translation: tsv):
        out = translate_one(m, "deepl", source, target, text, "")
    out["tsv"] = tsv
    try:
        out["glossaries"] = sorted(m.list_glossaries())
    except Exception as exc:
        out["glossaries"] = error_text(exc)
    return out


def first_translation(base: str, key: str) -> dict[str, Any]:
    """The first translation after the server started: the request DeepL's ``translate`` makes
    (``download_multiple_translations``: tag_handling xml, Weblate's 5 s timeout), without the
    glossary look-up that precedes it."""
    m = machine("deepl", base, key, formality="default")
    started = time.monotonic()
    out: dict[str, Any] = {"service": "deepl", "timeout": m.request_timeout, "text": None, "error": None}
    try:
        got = m.download_multiple_translations("PL", "EN-GB", [(PLAIN_TEXT["pl"], None)], None, 75)
        out["text"] = got[PLAIN_TEXT["pl"]][0]["text"]
    except Exception as exc:
        out["error"] = error_text(exc)
    out["seconds"] = round(time.monotonic() - started, 3)
    return out


def run(base: str, key: str) -> dict[str, Any]:
    from importlib.metadata import version

    report: dict[str, Any] = {"weblate": version("weblate")}
    report["first"] = first_translation(base, key)
    if report["first"]["error"]:
        # the server is still loading; later calls get the time the first one did not
        warm = machine("deepl", base, key, formality="default")
        warm.request_timeout = 600
        try:
            warm.download_multiple_translations("PL", "EN-GB", [(PLAIN_TEXT["pl"], None)], None, 75)
            report["warm_up"] = "done with a 600 s timeout after the first translation failed"
        except Exception as exc:
            report["warm_up"] = error_text(exc)

    report["settings"] = [validate("deepl", configuration("deepl", base, key, formality=f)) for f in FORMALITIES]
    report["settings"].append(validate("libretranslate", configuration("libretranslate", base, key)))
    report["settings_wrong_key"] = [validate(s, configuration(s, base, key + "-wrong", **(
        {"formality": "default"} if s == "deepl" else {}))) for s in SERVICES]

    report["languages"] = {}
    report["translate"], report["batch"], report["unsupported"], report["wrong_key"] = [], [], [], []
    for service in SERVICES:
        extra = {"formality": "prefer_less"} if service == "deepl" else {}
        m = machine(service, base, key, **extra)
        try:
            langs = m.download_languages()
            report["languages"][service] = sorted(list(x) if isinstance(x, tuple) else x for x in langs)
        except Exception as exc:
            report["languages"][service] = error_text(exc)
        for source, target in PAIRS:
            report["translate"].append(translate_one(m, service, source, target, PLACEHOLDER_TEXT[source], FLAGS))
            report["translate"].append(translate_one(m, service, source, target, PLAIN_TEXT[source], ""))
            report["batch"].append(batch(m, service, source, target))
        for source, target in UNSUPPORTED:
            text = PLAIN_TEXT.get(source, "Guten Morgen.")
            report["unsupported"].append(translate_one(m, service, source, target, text, ""))
        wrong = machine(service, base, key + "-wrong", **extra)
        report["wrong_key"].append(translate_one(wrong, service, "pl", "en", PLAIN_TEXT["pl"], ""))
    report["glossary"] = glossary(base, key)
    return report


def main(argv: list[str]) -> int:
    if argv[:1] == ["--check"]:
        setup()
        from weblate.checks.tests.test_checks import MockUnit  # noqa: F401
        from weblate.machinery.deepl import DeepLTranslation  # noqa: F401
        from weblate.machinery.libretranslate import LibreTranslateTranslation  # noqa: F401
        from weblate.machinery.models import validate_service_configuration  # noqa: F401

        return 0
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    setup()
    print(json.dumps(run(argv[0].rstrip("/"), argv[1]), ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
