// The ai-widget configuration against a running newsbridge (NEWSBRIDGE_URL, NEWSBRIDGE_API_KEY when
// the server requires keys), through a stand-in for Superdesk: `httpRequestJsonLocal` adds the
// session's Authorization header as Superdesk does, and the proxy step drops Host, Authorization and
// Cookie as superdesk.http_proxy.HTTPProxy does, forwarding the rest to newsbridge.
import assert from 'node:assert/strict';
import {test} from 'node:test';

import {NewsbridgeError, newsbridgeAiWidget, splitEmbeds} from '../client/newsbridge-ai-widget.js';

const BASE = process.env.NEWSBRIDGE_URL;
const KEY = process.env.NEWSBRIDGE_API_KEY ?? '';
if (!BASE) throw new Error('set NEWSBRIDGE_URL to a running newsbridge server');

function standInSuperdesk() {
  const forwarded = [];
  const superdesk = {
    async httpRequestJsonLocal({method, path, payload, headers = {}, abortSignal}) {
      // Superdesk's client: server.url (…/api) + path, the session token as Authorization.
      const sent = {...headers, 'Content-Type': 'application/json', Authorization: 'superdesk-session-token',
        Cookie: 'session=1'};
      // Superdesk's HTTPProxy, internal_url "newsbridge": /api/newsbridge/<rest> -> NEWSBRIDGE_URL/<rest>.
      assert.ok(path.startsWith('/newsbridge/'), path);
      const proxied = Object.fromEntries(Object.entries(sent)
        .filter(([k]) => !['host', 'authorization', 'cookie'].includes(k.toLowerCase())));
      forwarded.push({method, path: path.slice('/newsbridge'.length), headers: proxied});
      const res = await fetch(BASE + path.slice('/newsbridge'.length), {method, headers: proxied,
        body: JSON.stringify(payload || undefined), signal: abortSignal});
      const json = await res.json();
      return res.ok ? json : Promise.reject(json);
    },
  };
  return {superdesk, forwarded};
}

const TWEET_EMBED = [
  '<!-- EMBED START Twitter {id: "editor_1"} -->',
  '<div class="embed-block"><blockquote class="twitter-tweet"><p lang="pl" dir="ltr">Funkcjonariusze Straży Granicznej '
    + 'udaremnili kolejną próbę siłowego przekroczenia granicy. Nikt nie został ranny. '
    + '<a href="https://t.co/AbCdEf1234">pic.twitter.com/AbCdEf1234</a></p>&mdash; Straż Graniczna (@Straz_Graniczna) '
    + '<a href="https://twitter.com/Straz_Graniczna/status/1458000000000000000">November 12, 2021</a></blockquote>\n'
    + '<script async src="https://platform.twitter.com/widgets.js" charset="utf-8"></script></div>',
  '<!-- EMBED END Twitter {id: "editor_1"} -->',
].join('\n');

const ARTICLE = {
  _id: 'urn:newsml:localhost:2021-11-12T10:00:00.000000:4f6a', type: 'text', language: 'en', profile: 'story',
  headline: 'Border guards report new crossing attempts',
  body_html: '<p>Polish officials said on Friday that groups of migrants had again tried to cross the border near the '
    + 'village of Kuźnica. The interior ministry published a short statement on social media.</p>\n'
    + `${TWEET_EMBED}\n`
    + '<p>A spokesperson told reporters: “We are monitoring the situation around the clock.” Lithuania said it would '
    + 'keep additional troops at its own border.</p>',
};

test('splitEmbeds keeps comment-wrapped and bare embed blocks whole and loses nothing', () => {
  const bare = '<p>a</p><div class="embed-block"><div><iframe src="x"></iframe></div></div><p>b</p>';
  for (const html of [ARTICLE.body_html, bare]) {
    const parts = splitEmbeds(html);
    assert.equal(parts.map((p) => p.html).join(''), html);
    assert.equal(parts.filter((p) => p.embed).length, 1);
  }
  assert.equal(splitEmbeds(ARTICLE.body_html).find((p) => p.embed).html, TWEET_EMBED);
  assert.equal(splitEmbeds(bare).find((p) => p.embed).html, '<div class="embed-block"><div><iframe src="x"></iframe></div></div>');
});

test('generateTranslations: body_html translated, the embed block byte for byte, the key as X-API-Key', async () => {
  const {superdesk, forwarded} = standInSuperdesk();
  const config = newsbridgeAiWidget({apiKey: KEY || 'unused-when-open'})(superdesk);
  const html = await config.translations.generateTranslations(ARTICLE, 'pl', new AbortController().signal);
  assert.ok(html.includes(TWEET_EMBED), 'the embed block is intact');
  const [before, after] = html.split(TWEET_EMBED);
  assert.match(before, /^<p>[\s\S]*<\/p>\n$/);
  assert.match(after, /^\n<p>[\s\S]*<\/p>$/);
  assert.notEqual(before, ARTICLE.body_html.split(TWEET_EMBED)[0], 'the paragraphs were translated');
  assert.ok(forwarded.length > 0);
  for (const f of forwarded) {
    assert.equal(f.path, '/v1/translate');
    assert.equal(f.headers['X-API-Key'], KEY || 'unused-when-open');
    assert.ok(!('Authorization' in f.headers) && !('Cookie' in f.headers));
  }
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

test('a Polish article into English: the Polish tweet embed stays as it is', async () => {
  const {superdesk} = standInSuperdesk();
  const config = newsbridgeAiWidget({apiKey: KEY})(superdesk);
  const article = {...ARTICLE, language: 'pl', body_html: `<p>Premier zwołał posiedzenie rządu w sprawie granicy.</p>\n${TWEET_EMBED}`};
  const html = await config.translations.generateTranslations(article, 'en-GB');
  assert.ok(html.endsWith(`\n${TWEET_EMBED}`));
  assert.ok(html.startsWith('<p>') && !html.startsWith('<p>Premier zwołał'));
});

test('errors: problem details as NewsbridgeError, cancellation as AbortError, unknown language refused', async () => {
  const {superdesk} = standInSuperdesk();
  const config = newsbridgeAiWidget({apiKey: KEY})(superdesk);
  await assert.rejects(config.generateSummary({...ARTICLE, body_html: ''}),
    (err) => err instanceof NewsbridgeError && err.status === 422 && err.type === 'empty_text');
  await assert.rejects(config.translations.generateTranslations(ARTICLE, 'de'),
    (err) => err instanceof NewsbridgeError && err.type === 'unsupported_language');
  const ctrl = new AbortController();
  ctrl.abort();
  await assert.rejects(config.generateSummary(ARTICLE, ctrl.signal), (err) => err.name === 'AbortError');
});
