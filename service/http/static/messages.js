// Problem details (and client-side failures) as sentences an editor can act on.

const MESSAGES = {
  empty_text: ['Nothing to translate', 'The text is empty. Paste or drop some text first.'],
  text_too_large: ['The text is too large', 'The server accepts texts up to its size limit. Split the text and try again.'],
  unsupported_language: ['Unsupported language',
    'The text is not in a language this server translates (Polish, Lithuanian, English). Choose the source language if the detection was wrong.'],
  unsupported_pair: ['Unsupported language pair', 'This server has no model for that pair of languages.'],
  model_missing: ['Model missing', 'The translation model for this language pair is not installed on the server. Ask its administrator to install it (newsbridge models pull).'],
  model_load_failed: ['Model failed to load', 'The server could not load the model for this language pair; it will retry later. Its log has the details.'],
  request_too_large: ['The text is too large', 'The request is over the server\'s size limit. Split the text and try again.'],
  html_too_deep: ['HTML nested too deeply', 'The HTML has more nested elements than the server accepts. Paste it as text, or simplify it.'],
  invalid_text: ['Invalid text', 'The text holds characters that cannot be translated (e.g. broken Unicode).'],
  overloaded: ['The server is busy', 'Too many requests are waiting. Try again in a moment.'],
  shutting_down: ['The server is restarting', 'Try again in a moment.'],
  deadline_exceeded: ['No answer in time', 'The server gave up on this request. Try a shorter text, or try again.'],
  translation_failed: ['Translation failed', 'The model could not translate this text.'],
  not_ready: ['The service is not ready', 'It is starting or stopping. Try again in a moment.'],
  unauthorized: ['API key needed', 'The server did not accept the API key. Enter a valid key under “API key” and try again.'],
  forbidden: ['Not allowed', 'This API key may not use this function.'],
  rate_limited: ['Too many requests', 'The rate limit of this API key is reached. Wait a moment and try again.'],
  quota_exceeded: ['Quota used up', 'This API key has used its quota.'],
  invalid_request: ['Invalid request', 'The request was not accepted.'],
  invalid_json: ['Invalid request', 'The request was not valid JSON.'],
  network_error: ['The server cannot be reached', 'Check the connection and that newsbridge is running.'],
  timeout: ['No answer in time', 'The server took too long. Try a shorter text, or try again.'],
  internal_error: ['Server error', 'Something went wrong on the server; its log has the details.'],
};

/** {title, message, detail, type} for a NewsbridgeError (or any Error). */
export function describe(err) {
  const type = err?.type ?? 'internal_error';
  const [title, message] = MESSAGES[type] ?? [err?.title || 'Request failed', 'The server answered with an error.'];
  return {title, message, detail: err?.detail || err?.message || '', type, status: err?.status ?? 0,
    requestId: err?.problem?.request_id ?? null};
}
