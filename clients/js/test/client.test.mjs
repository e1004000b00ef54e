// node --test against a running newsbridge: NEWSBRIDGE_URL (required), NEWSBRIDGE_API_KEY (when
// the server requires keys). tests/test_js_client.py starts a server with tiny models and runs this.
// Every test runs on the modern source (what the service serves) and on the package's ES2017 build.
import assert from 'node:assert/strict';
import {readFileSync} from 'node:fs';
import {test as nodeTest} from 'node:test';
import {fileURLToPath} from 'node:url';

const BASE = process.env.NEWSBRIDGE_URL;
const KEY = process.env.NEWSBRIDGE_API_KEY ?? '';
if (!BASE) throw new Error('set NEWSBRIDGE_URL to a running newsbridge server');

const SAMPLES = fileURLToPath(new URL('../../../tests/fixtures/samples/', import.meta.url));
const TWEET = readFileSync(SAMPLES + 'pl_ministry_tweet.txt', 'utf8').trim();

const MODULES = {'source': '../newsbridge.js', 'ES2017 build': '../dist/newsbridge.js'};

for (const [build, path] of Object.entries(MODULES)) {
  const {Newsbridge, NewsbridgeError} = await import(path);
  const nb = new Newsbridge({baseUrl: BASE, apiKey: KEY, timeout: 120000});
  const test = (name, fn) => nodeTest(`${build}: ${name}`, fn);

  test('languages lists pl, lt, en and their pairs', async () => {
    const l = await nb.languages();
    assert.deepEqual(l.languages.map((x) => x.code).sort(), ['en', 'lt', 'pl']);
    assert.ok(l.pairs.some((p) => p.source === 'pl' && p.target === 'en'));
  });

  test('translate: UTF-16 spans by default slice JavaScript strings exactly, quotes included', async () => {
    const text = `😀🇵🇱 ${TWEET}`;  // astral emoji before everything: code points and UTF-16 units differ
    const r = await nb.translate(text, {targetLang: 'en'});
    assert.equal(r.offsets, 'utf16');
    assert.equal(r.source_lang, 'pl');
    assert.ok(r.sentences.length > 0);
    for (const s of r.sentences) {
      assert.equal(r.source_text.slice(s.source.start, s.source.end), s.source.text);
      assert.equal(r.translation_text.slice(s.target.start, s.target.end), s.target.text);
    }
    const quote = r.quotes.find((q) => q.kind === 'quote');
    assert.ok(quote, 'the spokesman quote is found');
    assert.equal(r.source_text.slice(quote.source.start, quote.source.end), quote.source.text);
    assert.match(quote.source.text, /Sytuacja jest pod kontrolą/);
    assert.ok(quote.target);
    assert.equal(r.translation_text.slice(quote.target.start, quote.target.end), quote.target.text);
    for (const token of ['#granica', '@MSWiA_GOV_PL', 'https://www.gov.pl/web/mswia', '😀🇵🇱']) {
      assert.ok(r.translation.includes(token), token);
    }
    const cp = await nb.translate(text, {targetLang: 'en', offsets: 'codepoint'});
    const cpQuote = cp.quotes.find((q) => q.kind === 'quote');
    assert.equal(cpQuote.source.start, quote.source.start - 3);  // 😀 and 🇵🇱: 3 code points, 6 UTF-16 units
    assert.ok(cp.cached.hits > 0, 'the second call is served from the cache');
  });

  test('translate a batch', async () => {
    const r = await nb.translate(['Premier zwołał posiedzenie rządu.', 'Vyriausybė posėdžiaus pirmadienį.']);
    assert.equal(r.results.length, 2);
    assert.equal(r.results[0].source_lang, 'pl');
  });

  test('summarize: the summary, the translation it comes from, quotes with their original wording', async () => {
    const r = await nb.summarize(TWEET, {targetLang: 'en', maxSentences: 3});
    assert.ok(r.summary.length > 0);
    assert.ok(r.summary_sentences.length >= 1 && r.summary_sentences.length <= 3);
    for (const s of r.summary_sentences) assert.equal(r.summary.slice(s.summary.start, s.summary.end), s.summary.text);
    assert.equal(r.translation.source_lang, 'pl');
    for (const q of r.quotes) {
      assert.equal(r.translation.source_text.slice(q.source.start, q.source.end), q.original);
    }
  });

  test('detect: language and confidence per segment', async () => {
    const r = await nb.detect('Premier zwołał posiedzenie rządu w sprawie granicy. The government met on Monday to discuss it.');
    assert.ok(r.segments.length >= 2);
    assert.equal(r.segments[0].lang, 'pl');
    assert.equal(r.segments.at(-1).lang, 'en');
    for (const s of r.segments) assert.ok(s.confidence > 0 && s.confidence <= 1);
  });

  test('problem details become typed errors: empty text, unsupported language', async () => {
    await assert.rejects(nb.translate('   '), (err) => {
      assert.ok(err instanceof NewsbridgeError);
      assert.equal(err.type, 'empty_text');
      assert.equal(err.status, 422);
      assert.ok(err.detail.length > 0);
      assert.equal(err.problem.type, 'https://newsbridge.dev/problems/empty_text');
      return true;
    });
    await assert.rejects(nb.translate('Die Bundesregierung beobachtet die Lage an der Grenze mit großer Sorge.'),
      (err) => err instanceof NewsbridgeError && err.type === 'unsupported_language' && err.status === 422);
  });

  test('an AbortSignal cancels with the caller\'s reason; a timeout is a typed error', async () => {
    const ctrl = new AbortController();
    const pending = nb.summarize(TWEET + ' Jeszcze jedno zdanie.', {signal: ctrl.signal});
    ctrl.abort();
    await assert.rejects(pending, (err) => err.name === 'AbortError');
    await assert.rejects(nb.summarize(TWEET + ' I kolejne zdanie o granicy.', {timeout: 1}),
      (err) => err instanceof NewsbridgeError && err.type === 'timeout' && err.status === 0);
  });

  test('an unreachable server is a network_error', async () => {
    const dead = new Newsbridge({baseUrl: 'http://127.0.0.1:9', timeout: 5000});
    await assert.rejects(dead.languages(), (err) => err instanceof NewsbridgeError && err.type === 'network_error');
  });

  test('API key: a wrong key is a 401 unauthorized problem', async (t) => {
    const open = await fetch(`${BASE}/v1/languages`);
    if (open.status !== 401) {
      t.skip('this server does not require API keys');
      return;
    }
    assert.ok(KEY, 'NEWSBRIDGE_API_KEY is set when the server requires keys');
    const wrong = new Newsbridge({baseUrl: BASE, apiKey: 'not-the-key'});
    await assert.rejects(wrong.translate('Premier zwołał posiedzenie rządu.'),
      (err) => err instanceof NewsbridgeError && err.type === 'unauthorized' && err.status === 401);
  });
}
