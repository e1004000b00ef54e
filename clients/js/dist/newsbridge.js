/**
 * newsbridge JavaScript client (ES module, no dependencies; browsers and Node >= 18).
 *
 * The one source of this file is service/http/static/newsbridge.js (served at
 * /static/newsbridge.js); clients/js/newsbridge.js is a byte-for-byte copy that
 * tests/test_js_client.py keeps identical.
 *
 *   import {Newsbridge} from './newsbridge.js';
 *   const nb = new Newsbridge({baseUrl: 'http://localhost:8000', apiKey: '...'});
 *   const r = await nb.translate('Rzecznik SG: „Sytuacja jest pod kontrolą”.', {targetLang: 'en'});
 *   r.translation_text.slice(r.quotes[0].target.start, r.quotes[0].target.end);  // UTF-16 spans
 */
export const VERSION = '0.1.0';
const PROBLEM_BASE = 'https://newsbridge.dev/problems/';
/** A problem details answer (RFC 9457) or a failure to get one (network_error, timeout). */
export class NewsbridgeError extends Error {
    constructor({ type = 'http_error', title = '', status = 0, detail = '', instance = null, problem = null } = {}) {
        super(detail || title || type);
        this.name = 'NewsbridgeError';
        /** The short, stable problem type: `empty_text`, `unauthorized`, `unsupported_language`, ... */
        this.type = type;
        this.title = title;
        this.status = status;
        this.detail = detail;
        this.instance = instance;
        /** The whole problem details body as the server sent it (or null). */
        this.problem = problem;
    }
    /** Build from a problem details body (full type URIs are shortened to their last segment). */
    static fromProblem(body, status = 0) {
        var _a, _b, _c, _d, _e;
        const uri = typeof (body === null || body === void 0 ? void 0 : body.type) === 'string' ? body.type : '';
        const type = uri.startsWith(PROBLEM_BASE) ? uri.slice(PROBLEM_BASE.length)
            : (uri && uri !== 'about:blank' ? uri.split('/').pop() : 'http_error');
        return new NewsbridgeError({
            type, title: String((_a = body === null || body === void 0 ? void 0 : body.title) !== null && _a !== void 0 ? _a : ''), status: Number((_b = body === null || body === void 0 ? void 0 : body.status) !== null && _b !== void 0 ? _b : status) || status,
            detail: String((_d = (_c = body === null || body === void 0 ? void 0 : body.detail) !== null && _c !== void 0 ? _c : body === null || body === void 0 ? void 0 : body.message) !== null && _d !== void 0 ? _d : ''), instance: (_e = body === null || body === void 0 ? void 0 : body.instance) !== null && _e !== void 0 ? _e : null, problem: body !== null && body !== void 0 ? body : null,
        });
    }
}
function isProblem(x) {
    return x !== null && typeof x === 'object' && typeof x.type === 'string' && 'status' in x;
}
function joinUrl(base, path) {
    return base ? base.replace(/\/+$/, '') + path : path;
}
/** The default transport: fetch. Resolves with the JSON body; rejects with the body of a non-2xx answer. */
function fetchTransport(baseUrl, fetchImpl) {
    return async ({ method, path, payload, headers, signal }) => {
        const init = { method, headers: Object.assign({ Accept: 'application/json, application/problem+json' }, headers), signal };
        if (payload !== undefined) {
            init.headers['Content-Type'] = 'application/json';
            init.body = JSON.stringify(payload);
        }
        const res = await fetchImpl(joinUrl(baseUrl, path), init);
        const text = await res.text();
        let body = null;
        try {
            body = text ? JSON.parse(text) : null;
        }
        catch (_a) {
            body = null;
        }
        if (res.ok)
            return body;
        if (isProblem(body))
            throw NewsbridgeError.fromProblem(body, res.status);
        throw new NewsbridgeError({ type: 'http_error', status: res.status, title: res.statusText,
            detail: text.slice(0, 500) || `HTTP ${res.status}` });
    };
}
/** One signal that aborts when the caller's signal does, or after `ms` (then with a TimeoutError). */
function combine(signal, ms) {
    const signals = [];
    if (signal)
        signals.push(signal);
    if (ms && ms > 0)
        signals.push(AbortSignal.timeout(ms));
    if (signals.length < 2)
        return signals[0];
    if (typeof AbortSignal.any === 'function')
        return AbortSignal.any(signals);
    const ctrl = new AbortController();
    for (const s of signals) {
        if (s.aborted)
            ctrl.abort(s.reason);
        else
            s.addEventListener('abort', () => ctrl.abort(s.reason), { once: true });
    }
    return ctrl.signal;
}
export class Newsbridge {
    /**
     * @param {object} [options]
     * @param {string} [options.baseUrl] server root, e.g. 'http://localhost:8000' ('' = same origin)
     * @param {string} [options.apiKey] sent as the X-API-Key header
     * @param {number} [options.timeout] milliseconds per request (default 120000; 0 = none)
     * @param {string} [options.offsets] 'utf16' (default: what JavaScript strings index) or 'codepoint'
     * @param {Function} [options.fetch] a fetch implementation (default globalThis.fetch)
     * @param {Function} [options.transport] ({method, path, payload, headers, signal}) => Promise<json>,
     *   rejecting with a problem details body or an Error; replaces fetch (e.g. Superdesk's proxy)
     */
    constructor({ baseUrl = '', apiKey = '', timeout = 120000, offsets = 'utf16', fetch: fetchImpl, transport } = {}) {
        this.baseUrl = baseUrl;
        this.apiKey = apiKey;
        this.timeout = timeout;
        this.offsets = offsets;
        this.transport = transport || fetchTransport(baseUrl, fetchImpl || globalThis.fetch.bind(globalThis));
    }
    /** Low-level call: resolves with the JSON answer, rejects with a NewsbridgeError (or the caller's abort). */
    async request(method, path, payload, { signal, timeout } = {}) {
        var _a, _b;
        const headers = {};
        if (this.apiKey)
            headers['X-API-Key'] = this.apiKey;
        const combined = combine(signal, timeout !== null && timeout !== void 0 ? timeout : this.timeout);
        try {
            return await this.transport({ method, path, payload, headers, signal: combined });
        }
        catch (err) {
            if (err instanceof NewsbridgeError)
                throw err;
            if (signal === null || signal === void 0 ? void 0 : signal.aborted)
                throw (_a = signal.reason) !== null && _a !== void 0 ? _a : err; // the caller cancelled: give back their reason
            if ((combined === null || combined === void 0 ? void 0 : combined.aborted) || (err === null || err === void 0 ? void 0 : err.name) === 'TimeoutError') {
                throw new NewsbridgeError({ type: 'timeout', title: 'Timeout', status: 0,
                    detail: `no answer from the server within ${timeout !== null && timeout !== void 0 ? timeout : this.timeout} ms` });
            }
            if (isProblem(err))
                throw NewsbridgeError.fromProblem(err);
            throw new NewsbridgeError({ type: 'network_error', title: 'Network error', status: 0,
                detail: `could not reach the server: ${(_b = err === null || err === void 0 ? void 0 : err.message) !== null && _b !== void 0 ? _b : err}` });
        }
    }
    _body(text, opts) {
        var _a, _b, _c, _d;
        const body = {
            source_lang: (_a = opts.sourceLang) !== null && _a !== void 0 ? _a : 'auto', target_lang: (_b = opts.targetLang) !== null && _b !== void 0 ? _b : 'en',
            format: (_c = opts.format) !== null && _c !== void 0 ? _c : 'text', offsets: (_d = opts.offsets) !== null && _d !== void 0 ? _d : this.offsets,
        };
        if (Array.isArray(text))
            body.texts = text;
        else
            body.text = text;
        if (opts.glossary)
            body.glossary = opts.glossary;
        return body;
    }
    /**
     * Translate one text (or an array: a batch). Options: sourceLang ('auto'), targetLang ('en'),
     * format ('text' | 'html'), offsets, glossary (an id from /v1/glossaries), signal, timeout.
     * Resolves with the server's answer as is.
     */
    translate(text, opts = {}) {
        return this.request('POST', '/v1/translate', this._body(text, opts), opts);
    }
    /** Summarize (in the target language) with the translation and the quotes it uses. Extra: maxSentences, ratio. */
    summarize(text, opts = {}) {
        const body = this._body(text, opts);
        if (opts.maxSentences != null)
            body.max_sentences = opts.maxSentences;
        if (opts.ratio != null)
            body.ratio = opts.ratio;
        return this.request('POST', '/v1/summarize', body, opts);
    }
    /** Language and confidence per segment. Options: format, offsets, signal, timeout. */
    detect(text, opts = {}) {
        var _a, _b;
        return this.request('POST', '/v1/detect', { text, format: (_a = opts.format) !== null && _a !== void 0 ? _a : 'text', offsets: (_b = opts.offsets) !== null && _b !== void 0 ? _b : this.offsets }, opts);
    }
    /** Supported languages and pairs. */
    languages(opts = {}) {
        return this.request('GET', '/v1/languages', undefined, opts);
    }
}
/**
 * A DOM Range over `element`'s text for a returned span (UTF-16 offsets into element.textContent,
 * which is what the editor renders: the response's `source_text` or `translation_text`).
 * Throws a RangeError if the span does not fit the element's text.
 */
export function spanToRange(element, span, doc = element.ownerDocument) {
    const { start, end } = span;
    if (!(Number.isInteger(start) && Number.isInteger(end) && start >= 0 && start <= end)) {
        throw new RangeError(`not a span: ${JSON.stringify(span)}`);
    }
    const walker = doc.createTreeWalker(element, 4 /* NodeFilter.SHOW_TEXT */);
    const range = doc.createRange();
    let pos = 0;
    let node;
    let started = false;
    let last = null;
    while ((node = walker.nextNode())) {
        const len = node.data.length;
        if (!started && start <= pos + len) {
            range.setStart(node, start - pos);
            started = true;
        }
        if (started && end <= pos + len) {
            range.setEnd(node, end - pos);
            return range;
        }
        pos += len;
        last = node;
    }
    if (!started && start === pos && end === pos && last) {
        range.setStart(last, last.data.length);
        range.setEnd(last, last.data.length);
        return range;
    }
    throw new RangeError(`span ${start}-${end} is outside the element's text (${pos} UTF-16 units)`);
}
export default Newsbridge;
