// The official deepl-node client against a live newsbridge server (started by
// tests/test_compat_clients.py, which passes the URL, keys and sample through the environment).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import * as deepl from 'deepl-node';

const env = process.env;
const serverUrl = env.NEWSBRIDGE_URL;
const html = readFileSync(env.NEWSBRIDGE_HTML_SAMPLE, 'utf8');
const translator = () => new deepl.Translator(env.NEWSBRIDGE_KEY, { serverUrl, maxRetries: 0 });

test('translateText: plain Polish text, detected and translated', async () => {
  const text = 'Funkcjonariusze Straży Granicznej udaremnili kolejną próbę. Nikt nie został ranny.';
  const result = await translator().translateText(text, null, 'en-GB');
  assert.equal(result.detectedSourceLang, 'pl');
  assert.equal(result.billedCharacters, text.length);
  assert.ok(result.text.length > 0 && result.text !== text);
});

test('translateText with tagHandling html: markup kept, the tweet translated', async () => {
  const result = await translator().translateText(html, null, 'en-US', { tagHandling: 'html' });
  for (const tag of ['<blockquote class="twitter-tweet">', '<p lang="pl" dir="ltr">',
    '<a href="https://t.co/AbCdEf1234">pic.twitter.com/AbCdEf1234</a>',
    '<h1>Border guards report new crossing attempts</h1>']) {
    assert.ok(result.text.includes(tag), `missing ${tag}`);
  }
  assert.ok(!result.text.includes('udaremnili kolejną próbę'), 'the tweet is still Polish');
  assert.equal(result.detectedSourceLang, 'en');
});

test('getUsage grows by the characters sent', async () => {
  const t = translator();
  const before = await t.getUsage();
  const text = 'Nikt nie został ranny.';
  await t.translateText([text, text], 'pl', 'en-GB');
  const after = await t.getUsage();
  assert.equal(after.character.count - before.character.count, 2 * text.length);
  assert.ok(after.character.limit > 0);
});

test('getSourceLanguages and getTargetLanguages', async () => {
  const t = translator();
  const source = (await t.getSourceLanguages()).map((l) => l.code).sort();
  assert.deepEqual(source, ['en', 'lt', 'pl']);
  const target = (await t.getTargetLanguages()).map((l) => l.code).sort();
  assert.deepEqual(target, ['en-GB', 'en-US', 'lt', 'pl']);
});

test('a wrong key gets AuthorizationError', async () => {
  const bad = new deepl.Translator('not-a-key', { serverUrl, maxRetries: 0 });
  await assert.rejects(bad.translateText('Nikt nie został ranny.', null, 'en-GB'), deepl.AuthorizationError);
});

test('an exhausted quota gets QuotaExceededError', async () => {
  const small = new deepl.Translator(env.NEWSBRIDGE_SMALL_KEY, { serverUrl, maxRetries: 0 });
  const long = 'Nikt nie został ranny. '.repeat(20);
  await assert.rejects(small.translateText(long, null, 'en-GB'), deepl.QuotaExceededError);
});
