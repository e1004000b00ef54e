// The ai-widget configuration (the package's ES2017 build) against a running newsbridge (NEWSBRIDGE_URL,
// NEWSBRIDGE_API_KEY when the server requires keys), through a stand-in for Superdesk: `httpRequestJsonLocal` adds
// the session's Authorization header (and the browser's Cookie) as Superdesk's client does, and the proxy step drops
// Host, Authorization and Cookie as superdesk.http_proxy.HTTPProxy does, forwarding the rest to newsbridge.
import assert from 'node:assert/strict';
import {test} from 'node:test';

import {NewsbridgeError, newsbridgeAiWidget, splitBodyHtml} from '../dist/newsbridge-ai-widget.js';
import {
  ARTICLE, BODY_SERVER, MEDIA_CLIENT, MEDIA_CLIENT_CAPTION, TWEET_DESCRIPTION, TWEET_EMBED, keptPattern,
} from './fixtures.mjs';

const BASE = process.env.NEWSBRIDGE_URL;
const KEY = process.env.NEWSBRIDGE_API_KEY ?? '';
if (!BASE) throw new Error('set NEWSBRIDGE_URL to a running newsbridge server');

function standInSuperdesk() {
  const forwarded = [];
  const notified = [];
  const superdesk = {
    async httpRequestJsonLocal({method, path, payload, headers = {}, abortSignal}) {
      // Superdesk's client: server.url (…/api) + path, the session token as Authorization.
      const sent = {...headers, 'Content-Type': 'application/json', Authorization: 'superdesk-session-token',
        Cookie: 'session=1'};
      // Superdesk's HTTPProxy, internal_url "newsbridge": /api/newsbridge/<rest> -> NEWSBRIDGE_URL/<rest>.
      assert.ok(path.startsWith('/newsbridge/'), path);
      const proxied = Object.fromEntries(Object.entries(sent)
        .filter(([k]) => !['host', 'authorization', 'cookie'].includes(k.toLowerCase())));
      forwarded.push({method, path: path.slice('/newsbridge'.length), headers: proxied, payload});
      const res = await fetch(BASE + path.slice('/newsbridge'.length), {method, headers: proxied,
        body: JSON.stringify(payload || undefined), signal: abortSignal});
      const json = await res.json();
      return res.ok ? json : Promise.reject(json);
    },
    ui: {notify: {error: (text) => notified.push(text)}},
  };
  return {superdesk, forwarded, notified};
}

/** The output must be the input with only its text and caption pieces changed; returns what they became. */
function changedPieces(input, output) {
  const pieces = splitBodyHtml(input);
  const m = keptPattern(pieces).exec(output);
  assert.ok(m, `the kept markup is not intact in:\n${output}`);
  const free = pieces.filter((p) => p.kind !== 'kept');
  assert.equal(m.length - 1, free.length);
  return free.map((p, i) => ({...p, out: m[i + 1]}));
}

test('generateTranslations: body, caption and description translated; embeds byte for byte; X-API-Key', async () => {
  const {superdesk, forwarded, notified} = standInSuperdesk();
  const config = newsbridgeAiWidget({apiKey: KEY || 'unused-when-open'})(superdesk);
  const html = await config.translations.generateTranslations(ARTICLE, 'pl', new AbortController().signal);
  const changed = changedPieces(ARTICLE.body_html, html);
  const captions = changed.filter((p) => p.kind === 'caption');
  assert.deepEqual(captions.map((p) => p.html), [MEDIA_CLIENT_CAPTION, TWEET_DESCRIPTION]);
  for (const p of changed) {
    if (!/[A-Za-z]/.test(p.html)) assert.equal(p.out, p.html);  // the newlines between blocks
    else assert.notEqual(p.out, p.html, `translated: ${p.html}`);
  }
  for (const p of captions) assert.ok(p.out.length > 0 && !p.out.includes('<p'), p.out);
  assert.ok(html.includes('<script async src="https://platform.twitter.com/widgets.js" charset="utf-8"></script>'));
  assert.equal(notified.length, 0);
  assert.equal(forwarded.length, 1, 'one batch for the body and the captions');
  for (const f of forwarded) {
    assert.equal(f.path, '/v1/translate');
    assert.equal(f.headers['X-API-Key'], KEY || 'unused-when-open');
    assert.ok(!('Authorization' in f.headers) && !('Cookie' in f.headers));
    assert.ok(f.payload.texts.every((t) => !t.includes('EMBED') && !t.includes('twitter-tweet')), 'no embed sent');
  }
});

test('translateCaptions: false keeps captions and descriptions as they are', async () => {
  const {superdesk, forwarded} = standInSuperdesk();
  const config = newsbridgeAiWidget({apiKey: KEY, translateCaptions: false})(superdesk);
  const html = await config.translations.generateTranslations(ARTICLE, 'pl', new AbortController().signal);
  assert.ok(html.includes(MEDIA_CLIENT) && html.includes(TWEET_EMBED));
  assert.ok(!forwarded[0].payload.texts.some((t) => t.includes(MEDIA_CLIENT_CAPTION) || t.includes(TWEET_DESCRIPTION)));
});

test('the server\'s rendering of the same embeds comes back the same way', async () => {
  const {superdesk} = standInSuperdesk();
  const html = await newsbridgeAiWidget({apiKey: KEY})(superdesk).translations.generateTranslations(
    {...ARTICLE, body_html: BODY_SERVER}, 'lt');
  const changed = changedPieces(BODY_SERVER, html);
  assert.equal(changed.filter((p) => p.kind === 'caption').length, 2);
});

test('a Polish article into English: the Polish tweet embed stays as it is', async () => {
  const {superdesk} = standInSuperdesk();
  const config = newsbridgeAiWidget({apiKey: KEY, translateCaptions: false})(superdesk);
  const article = {...ARTICLE, language: 'pl', body_html: `<p>Premier zwołał posiedzenie rządu w sprawie granicy.</p>\n${TWEET_EMBED}`};
  const html = await config.translations.generateTranslations(article, 'en-GB');
  assert.ok(html.endsWith(`\n${TWEET_EMBED}`));
  assert.ok(html.startsWith('<p>') && !html.startsWith('<p>Premier zwołał'));
});

test('baseUrl: the browser calls newsbridge directly (CORS), not through Superdesk', async () => {
  const {superdesk, forwarded} = standInSuperdesk();
  const config = newsbridgeAiWidget({baseUrl: BASE, apiKey: KEY})(superdesk);
  const html = await config.translations.generateTranslations(ARTICLE, 'pl');
  changedPieces(ARTICLE.body_html, html);
  assert.equal(forwarded.length, 0);
});

test('generateSummary: a summary in the article\'s language', async () => {
  const {superdesk} = standInSuperdesk();
  const config = newsbridgeAiWidget({apiKey: KEY})(superdesk);
  const summary = await config.generateSummary(ARTICLE, new AbortController().signal);
  assert.equal(typeof summary, 'string');
  assert.ok(summary.length > 20);
  assert.ok(!summary.includes('<'), 'plain text');
});

test('generateHeadlines: the highest-ranked summary sentences, best first, shortened to fit', async () => {
  const {superdesk} = standInSuperdesk();
  const config = newsbridgeAiWidget({apiKey: KEY, headlineCount: 3, headlineMaxLength: 60})(superdesk);
  const headlines = await config.generateHeadlines(ARTICLE, new AbortController().signal);
  assert.ok(Array.isArray(headlines) && headlines.length >= 2 && headlines.length <= 3);
  assert.equal(new Set(headlines).size, headlines.length);
  for (const h of headlines) assert.ok(h.length > 0 && h.length <= 60, h);
  const {superdesk: sd2} = standInSuperdesk();
  const top = await newsbridgeAiWidget({apiKey: KEY, summarySentences: 1})(sd2).generateSummary(ARTICLE);
  assert.ok(top.startsWith(headlines[0].replace(/…$/, '')), 'the first candidate is the one-sentence summary');
});

test('errors: problem details as NewsbridgeError and a notification, cancellation as AbortError', async () => {
  const {superdesk, notified} = standInSuperdesk();
  const config = newsbridgeAiWidget({apiKey: KEY})(superdesk);
  await assert.rejects(config.generateSummary({...ARTICLE, body_html: ''}),
    (err) => err instanceof NewsbridgeError && err.status === 422 && err.type === 'empty_text');
  assert.equal(notified.length, 1);
  assert.match(notified[0], /^newsbridge: .+ \(empty_text, HTTP 422\)$/);
  const ctrl = new AbortController();
  ctrl.abort();
  await assert.rejects(config.generateSummary(ARTICLE, ctrl.signal), (err) => err.name === 'AbortError');
  assert.equal(notified.length, 1, 'a cancellation is not reported');
  const wrongKey = standInSuperdesk();
  const open = await fetch(`${BASE}/v1/languages`);
  if (open.status === 401) {
    await assert.rejects(newsbridgeAiWidget({apiKey: 'not-the-key'})(wrongKey.superdesk).generateSummary(ARTICLE),
      (err) => err instanceof NewsbridgeError && err.type === 'unauthorized');
    assert.match(wrongKey.notified[0], /unauthorized, HTTP 401/);
  }
});
