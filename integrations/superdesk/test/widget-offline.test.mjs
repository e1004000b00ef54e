// The widget configuration with a stand-in `superdesk` whose answers are written here (no newsbridge needed):
// how failures reach the editor, and the options Superdesk reads.
import assert from 'node:assert/strict';
import {test} from 'node:test';

import {NewsbridgeError, describeError, languageCode, newsbridgeAiWidget} from '../dist/newsbridge-ai-widget.js';
import {ARTICLE} from './fixtures.mjs';

/** `answer(request)` plays Superdesk's server; notifications are collected. */
function standIn(answer) {
  const notified = [];
  const requests = [];
  const superdesk = {
    httpRequestJsonLocal: async (request) => {
      requests.push(request);
      return answer(request);
    },
    ui: {notify: {error: (text) => notified.push(text)}},
  };
  return {superdesk, notified, requests};
}

test('languageCode: Superdesk codes to newsbridge\'s', () => {
  assert.deepEqual(['pl', 'pl-PL', 'LT', 'en_GB', 'en-US', 'de', '', null, undefined].map(languageCode),
    ['pl', 'pl', 'lt', 'en', 'en', null, null, null, null]);
});

test('the configuration has what the ai-widget reads; translateActionIntegration passes through', () => {
  const {superdesk} = standIn(() => ({}));
  const plain = newsbridgeAiWidget()(superdesk);
  assert.equal(typeof plain.generateHeadlines, 'function');
  assert.equal(typeof plain.generateSummary, 'function');
  assert.equal(typeof plain.translations.generateTranslations, 'function');
  assert.ok(!('translateActionIntegration' in plain.translations));
  assert.equal(newsbridgeAiWidget({translateActionIntegration: true})(superdesk).translations
    .translateActionIntegration, true);
});

test('requests go to the proxy path through httpRequestJsonLocal, with the abort signal', async () => {
  const {superdesk, requests} = standIn(() => ({summary: 'S.', summary_sentences: []}));
  const ctrl = new AbortController();
  assert.equal(await newsbridgeAiWidget({proxyPath: '/nb/'})(superdesk).generateSummary(ARTICLE, ctrl.signal), 'S.');
  assert.equal(requests.length, 1);
  assert.equal(requests[0].method, 'POST');
  assert.equal(requests[0].path, '/nb/v1/summarize');
  assert.equal(requests[0].payload.format, 'html');
  assert.equal(requests[0].payload.target_lang, 'en');
  assert.ok(requests[0].abortSignal instanceof AbortSignal);
});

test('a newsbridge problem is rejected as NewsbridgeError and shown as a notification with its reason', async () => {
  const problem = {type: 'https://newsbridge.dev/problems/model_missing', title: 'Model missing', status: 503,
    detail: 'no model for en->lt on this server'};
  const {superdesk, notified} = standIn(() => Promise.reject(problem));
  const config = newsbridgeAiWidget()(superdesk);
  await assert.rejects(config.translations.generateTranslations(ARTICLE, 'lt', new AbortController().signal),
    (err) => err instanceof NewsbridgeError && err.type === 'model_missing' && err.status === 503);
  assert.deepEqual(notified, ['newsbridge: no model for en->lt on this server (model_missing, HTTP 503)']);
});

test('a language newsbridge lacks is refused before any request, and said so', async () => {
  const {superdesk, notified, requests} = standIn(() => ({}));
  await assert.rejects(newsbridgeAiWidget()(superdesk).translations.generateTranslations(ARTICLE, 'de'),
    (err) => err instanceof NewsbridgeError && err.type === 'unsupported_language');
  assert.equal(requests.length, 0);
  assert.equal(notified.length, 1);
  assert.match(notified[0], /translates into pl, lt and en, not "de" \(unsupported_language, HTTP 422\)/);
});

test('Superdesk\'s own errors: an expired session, a proxy that is not there, an unreachable newsbridge', async () => {
  // superdesk-core's SuperdeskApiError.unauthorizedError(), as HTTPProxy.authenticate raises it
  const session = {_status: 'ERR', _message: '', _issues: {auth: 1}, internal_error: 401};
  let s = standIn(() => Promise.reject(session));
  await assert.rejects(newsbridgeAiWidget()(s.superdesk).generateSummary(ARTICLE),
    (err) => err instanceof NewsbridgeError && err.type === 'superdesk_unauthorized' && err.status === 401);
  assert.match(s.notified[0], /session is missing or has expired/);
  // Eve's own error shape
  const eve = {_status: 'ERR', _error: {code: 401, message: 'Please provide proper credentials'}};
  s = standIn(() => Promise.reject(eve));
  await assert.rejects(newsbridgeAiWidget()(s.superdesk).generateSummary(ARTICLE),
    (err) => err.type === 'superdesk_unauthorized' && err.detail === 'Please provide proper credentials');
  // Superdesk's client parses every answer as JSON: an HTML error page rejects with a SyntaxError.
  s = standIn(() => Promise.reject(new SyntaxError('Unexpected token < in JSON at position 0')));
  await assert.rejects(newsbridgeAiWidget()(s.superdesk).generateHeadlines(ARTICLE),
    (err) => err instanceof NewsbridgeError && err.type === 'proxy_error' && /newsbridge_proxy\.py/.test(err.detail));
  // the proxy's requests call failed (newsbridge down): Superdesk's 500 handler
  s = standIn(() => Promise.reject({_status: 'ERR', _message: '', internal_error: 500}));
  await assert.rejects(newsbridgeAiWidget()(s.superdesk).generateSummary(ARTICLE),
    (err) => err.type === 'superdesk_error' && err.status === 500 && /could not pass the request on/.test(err.detail));
  // a newsbridge problem is never mistaken for Superdesk's
  s = standIn(() => Promise.reject({type: 'https://newsbridge.dev/problems/unauthorized', status: 401, detail: 'k'}));
  await assert.rejects(newsbridgeAiWidget()(s.superdesk).generateSummary(ARTICLE), (err) => err.type === 'unauthorized');
});

test('a cancelled request is not reported; notifyErrors: false reports nothing', async () => {
  const {superdesk, notified} = standIn(({abortSignal}) => new Promise((_, reject) => {
    abortSignal.addEventListener('abort', () => reject(abortSignal.reason), {once: true});
  }));
  const ctrl = new AbortController();
  const pending = newsbridgeAiWidget()(superdesk).generateSummary(ARTICLE, ctrl.signal);
  ctrl.abort();
  await assert.rejects(pending, (err) => err.name === 'AbortError');
  const quiet = standIn(() => Promise.reject(new Error('down')));
  await assert.rejects(newsbridgeAiWidget({notifyErrors: false})(quiet.superdesk).generateSummary(ARTICLE));
  assert.deepEqual([...notified, ...quiet.notified], []);
  assert.equal(describeError(new Error('x')), 'newsbridge: x');
});
