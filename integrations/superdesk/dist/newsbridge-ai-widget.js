/**
 * newsbridge for Superdesk's AI widget (superdesk-client-core >= 2.8, `scripts/extensions/ai-widget`).
 *
 *   import {newsbridgeAiWidget} from 'newsbridge-superdesk';
 *   widget.configure(newsbridgeAiWidget({proxyPath: '/newsbridge'}));
 *
 * Requests go through Superdesk's own server (`superdesk.httpRequestJsonLocal`) to the HTTPProxy registered
 * by server/newsbridge_proxy.py, which forwards /api/newsbridge/* to NEWSBRIDGE_URL. That proxy drops the
 * Authorization header (it carries the Superdesk session), so a newsbridge API key travels as X-API-Key: set
 * it on the proxy (NEWSBRIDGE_API_KEY, kept on the server) or here.
 *
 * Source: src/*.ts; the package ships the ES2017 build (dist/), which Superdesk's webpack 3 parses as it is.
 */
import { Newsbridge, NewsbridgeError } from 'newsbridge-client';
import { hasText, splitBodyHtml } from './body-html.js';
export { NewsbridgeError };
export { hasText, splitBodyHtml } from './body-html.js';
const SUPPORTED = ['pl', 'lt', 'en'];
const HTML_SPACE_START = /^[ \t\n\r\f]*/;
const HTML_SPACE_END = /[ \t\n\r\f]*$/;
/** 'en-GB', 'pl_PL', 'LT' -> 'en', 'pl', 'lt'; anything else -> null. */
export function languageCode(language) {
    const code = String(language == null ? '' : language).toLowerCase().split(/[-_]/)[0];
    return SUPPORTED.indexOf(code) >= 0 ? code : null;
}
/**
 * An error body from Superdesk itself, not from newsbridge: superdesk-core's SuperdeskApiError
 * (`{_status: 'ERR', _message, _issues, internal_error: <status>}`, e.g. the proxy's 401 without a session, or a
 * 500 when newsbridge cannot be reached behind it) or Eve's (`{_status: 'ERR', _error: {code, message}}`).
 */
function superdeskError(body) {
    if (body === null || typeof body !== 'object' || body._status !== 'ERR')
        return null;
    const eve = body._error && typeof body._error === 'object' ? body._error : {};
    const status = Number(eve.code || body.internal_error || 0) || 0;
    const said = eve.message || body._message;
    const detail = said ? String(said) : status === 401
        ? 'Superdesk refused the request: the session is missing or has expired (sign in again)'
        : `Superdesk's server could not pass the request on to newsbridge${status ? ` (HTTP ${status})` : ''}`;
    return new NewsbridgeError({ type: status === 401 ? 'superdesk_unauthorized' : 'superdesk_error',
        title: 'Superdesk error', status, detail, problem: body });
}
/**
 * A client transport through Superdesk's server: its session, its proxy. Superdesk's own errors (session expired,
 * the proxy not installed or newsbridge unreachable behind it) become NewsbridgeErrors that say so.
 */
export function superdeskTransport(superdesk, proxyPath = '/newsbridge') {
    const prefix = proxyPath.replace(/\/+$/, '');
    return ({ method, path, payload, headers, signal }) => superdesk.httpRequestJsonLocal({
        method: method, path: prefix + path, payload: payload,
        headers, abortSignal: signal,
    }).catch((err) => {
        const fromSuperdesk = superdeskError(err);
        if (fromSuperdesk)
            throw fromSuperdesk;
        if (err instanceof SyntaxError) { // httpRequestJsonLocal could not parse the answer as JSON
            throw new NewsbridgeError({ type: 'proxy_error', title: 'Proxy error', status: 0,
                detail: `Superdesk's server did not answer ${prefix}${path} with JSON: is the newsbridge proxy `
                    + 'installed (server/newsbridge_proxy.py, NEWSBRIDGE_URL)?' });
        }
        throw err;
    });
}
function unsupported(language) {
    return new NewsbridgeError({ type: 'unsupported_language', status: 422, title: 'Unsupported language',
        detail: `newsbridge translates into pl, lt and en, not ${JSON.stringify(language)}` });
}
/**
 * Translate body_html: the body text as HTML, and (unless `captions` is false) the content of media captions and
 * embed descriptions in place; embed markup, scripts and comments come back byte for byte. A caption newsbridge
 * cannot translate (a language it does not have) is left as it is; a body that fails fails the whole call.
 */
export async function translateBodyHtml(client, html, language, { signal, captions = true } = {}) {
    const target = languageCode(language);
    if (!target)
        throw unsupported(language);
    const source = html == null ? '' : html;
    const pieces = splitBodyHtml(source);
    const todo = pieces.filter((p) => (p.kind === 'text' || (captions && p.kind === 'caption')) && hasText(p.html));
    if (!todo.length)
        return source;
    const answer = await client.translate(todo.map((p) => p.html.slice(lead(p.html).length, p.html.length - tail(p.html).length)), { format: 'html', targetLang: target, signal });
    const out = new Map();
    answer.results.forEach((r, i) => {
        const piece = todo[i];
        if (r.error) {
            const err = NewsbridgeError.fromProblem(r.error);
            if (piece.kind === 'caption' && (err.type === 'unsupported_language' || err.type === 'empty_text'))
                return;
            throw err;
        }
        out.set(piece, lead(piece.html) + String(r.translation).trim() + tail(piece.html));
    });
    return pieces.map((p) => out.has(p) ? out.get(p) : p.html).join('');
}
function lead(html) {
    return HTML_SPACE_START.exec(html)[0];
}
function tail(html) {
    return html.slice(lead(html).length).match(HTML_SPACE_END)[0];
}
function shorten(text, max) {
    if (!max || text.length <= max)
        return text;
    const cut = text.slice(0, max - 1);
    const space = cut.lastIndexOf(' ');
    return `${(space > max / 2 ? cut.slice(0, space) : cut).replace(/[\s,;:–—-]+$/, '')}…`;
}
/**
 * Headline candidates: the summary sentences in rank order (the best first). The extractive summary of k sentences
 * holds the k highest-ranked ones, so the k-th candidate is what k adds to k-1.
 */
export async function headlineCandidates(client, html, { targetLang, count = 3, maxLength = 0, signal } = {}) {
    const ks = Array.from({ length: count }, (_, k) => k + 1);
    const answers = await Promise.all(ks.map((k) => client.summarize(html, { format: 'html', targetLang, maxSentences: k, signal })));
    const seen = new Set();
    const out = [];
    for (const a of answers) {
        for (const s of a.summary_sentences) {
            const key = s.sources.join(',');
            if (seen.has(key))
                continue;
            seen.add(key);
            out.push(shorten(String(s.summary.text).trim(), maxLength));
        }
    }
    return out.filter(Boolean).slice(0, count);
}
/** The sentence an editor sees for a failure. */
export function describeError(err) {
    if (err instanceof NewsbridgeError) {
        const where = err.status ? `${err.type}, HTTP ${err.status}` : err.type;
        return `newsbridge: ${err.detail || err.title || err.type} (${where})`;
    }
    return `newsbridge: ${err && err.message ? err.message : String(err)}`;
}
/** The caller cancelled (Superdesk aborts when the widget closes): nothing to tell the editor. */
function isAbort(err) {
    return err != null && err.name === 'AbortError';
}
/**
 * The ai-widget configuration: pass the result to the widget's `configure()`; Superdesk calls it with its
 * `superdesk` API object.
 */
export function newsbridgeAiWidget(options = {}) {
    const { proxyPath = '/newsbridge', baseUrl, apiKey = '', timeout = 120000, summaryLanguage, summarySentences = 3, headlineCount = 3, headlineMaxLength = 0, translateCaptions = true, notifyErrors = true, translateActionIntegration } = options;
    return (superdesk) => {
        const client = baseUrl ? new Newsbridge({ baseUrl, apiKey, timeout })
            : new Newsbridge({ transport: superdeskTransport(superdesk, proxyPath), apiKey, timeout });
        const summaryTarget = (article) => languageCode(summaryLanguage) || languageCode(article.language) || 'en';
        const reported = (work) => work.catch((err) => {
            if (notifyErrors && !isAbort(err) && superdesk.ui && superdesk.ui.notify) {
                superdesk.ui.notify.error(describeError(err));
            }
            throw err;
        });
        const translations = {
            generateTranslations: (article, language, abortSignal) => reported(translateBodyHtml(client, article.body_html, language, { signal: abortSignal, captions: translateCaptions })),
        };
        if (translateActionIntegration !== undefined)
            translations.translateActionIntegration = translateActionIntegration;
        return {
            translations,
            generateSummary: (article, abortSignal) => reported(client.summarize(article.body_html || '', {
                format: 'html', targetLang: summaryTarget(article), maxSentences: summarySentences, signal: abortSignal,
            }).then((r) => String(r.summary))),
            generateHeadlines: (article, abortSignal) => reported(headlineCandidates(client, article.body_html || '', {
                targetLang: summaryTarget(article), count: headlineCount, maxLength: headlineMaxLength,
                signal: abortSignal,
            })),
        };
    };
}
export default newsbridgeAiWidget;
