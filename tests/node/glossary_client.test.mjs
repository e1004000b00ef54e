// deepl-node's glossary calls (v2 and the v3 multilingual ones) against a live newsbridge server,
// started by tests/test_glossary_clients.py (URL and key in the environment).
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import * as deepl from 'deepl-node';

const env = process.env;
const serverUrl = env.NEWSBRIDGE_URL;
const translator = () => new deepl.Translator(env.NEWSBRIDGE_KEY, { serverUrl, maxRetries: 0, minTimeout: 120000 });
const client = () => new deepl.DeepLClient(env.NEWSBRIDGE_KEY, { serverUrl, maxRetries: 0, minTimeout: 120000 });
const SENTENCE = 'W nocy funkcjonariusze Straży Granicznej zatrzymali 23 osoby.';

test('v2: create, list, entries, translate with it, delete', async () => {
  const t = translator();
  const pairs = await t.getGlossaryLanguagePairs();
  assert.ok(pairs.some((p) => p.sourceLang === 'pl' && p.targetLang === 'en'));
  const entries = new deepl.GlossaryEntries({ entries: { 'Straż Graniczna': 'Border Guard', MSWiA: 'MSWiA' } });
  const g = await t.createGlossary('node desk', 'pl', 'en', entries);
  assert.equal(g.entryCount, 2);
  assert.equal(g.ready, true);
  assert.ok((await t.listGlossaries()).some((x) => x.glossaryId === g.glossaryId));
  assert.deepEqual((await t.getGlossaryEntries(g)).entries(), entries.entries());
  const result = await t.translateText(SENTENCE, 'pl', 'en-GB', { glossary: g });
  assert.ok(result.text.includes('Border Guard'), result.text);
  await t.deleteGlossary(g);
  await assert.rejects(t.getGlossary(g.glossaryId), deepl.GlossaryNotFoundError);
});

test('v2: createGlossaryWithCsv', async () => {
  const t = translator();
  const csv = join(mkdtempSync(join(tmpdir(), 'nb-glossary-')), 'desk.csv');
  writeFileSync(csv, 'Straż Graniczna,Border Guard\nSejm,Sejm\n');
  const g = await t.createGlossaryWithCsv('node csv', 'pl', 'en', csv);
  assert.equal(g.entryCount, 2);
  await t.deleteGlossary(g);
});

test('v3: multilingual glossary, dictionaries updated and replaced, translate, delete', async () => {
  const c = client();
  const plEn = { sourceLangCode: 'pl', targetLangCode: 'en',
    entries: new deepl.GlossaryEntries({ entries: { 'Straż Graniczna': 'Border Guard' } }) };
  const ltEn = { sourceLangCode: 'lt', targetLangCode: 'en',
    entries: new deepl.GlossaryEntries({ entries: { Seimas: 'Seimas' } }) };
  const g = await c.createMultilingualGlossary('node multi', [plEn, ltEn]);
  assert.equal(g.dictionaries.length, 2);
  const listed = await c.listMultilingualGlossaries();
  assert.ok(listed.some((x) => x.glossaryId === g.glossaryId));
  const updated = await c.updateMultilingualGlossaryDictionary(g, { sourceLangCode: 'pl', targetLangCode: 'en',
    entries: new deepl.GlossaryEntries({ entries: { MSWiA: 'the Interior Ministry' } }) });
  assert.equal(updated.dictionaries.find((d) => d.sourceLangCode === 'pl').entryCount, 2);
  const got = await c.getMultilingualGlossaryDictionaryEntries(g, 'pl', 'en');
  assert.deepEqual(got.entries.entries(), { 'Straż Graniczna': 'Border Guard', MSWiA: 'the Interior Ministry' });
  const seimas = await c.translateText('Seimo nariai susirinko.', 'lt', 'en-GB', { glossary: g.glossaryId });
  assert.ok(seimas.text.includes('Seimas'), seimas.text);
  const replaced = await c.replaceMultilingualGlossaryDictionary(g, { sourceLangCode: 'lt', targetLangCode: 'en',
    entries: new deepl.GlossaryEntries({ entries: { Vyriausybė: 'Government' } }) });
  assert.equal(replaced.entryCount, 1);
  await c.deleteMultilingualGlossaryDictionary(g, 'lt', 'en');
  assert.equal((await c.getMultilingualGlossary(g.glossaryId)).dictionaries.length, 1);
  await c.deleteMultilingualGlossary(g);
  await assert.rejects(c.getMultilingualGlossary(g.glossaryId), deepl.GlossaryNotFoundError);
});
