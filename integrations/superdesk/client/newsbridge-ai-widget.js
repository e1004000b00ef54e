/**
 * newsbridge for Superdesk's AI widget (superdesk-client-core scripts/extensions/ai-widget).
 *
 *   import {newsbridgeAiWidget} from 'newsbridge-superdesk';
 *   widget.configure(newsbridgeAiWidget({proxyPath: '/newsbridge'}));
 *
 * Requests go through Superdesk's own server (`superdesk.httpRequestJsonLocal`) to the HTTPProxy
 * registered by server/newsbridge_proxy.py, which forwards /api/newsbridge/* to NEWSBRIDGE_URL.
 * That proxy drops the Authorization header (it carries the Superdesk session), so a newsbridge API
 * key travels as X-API-Key: set it on the proxy (NEWSBRIDGE_API_KEY, kept on the server) or here.
 */
import {Newsbridge, NewsbridgeError} from 'newsbridge-client';

export {NewsbridgeError};

const SUPPORTED = new Set(['pl', 'lt', 'en']);

/** 'en-GB', 'pl_PL', 'LT' -> 'en', 'pl', 'lt'; anything else -> null. */
export function languageCode(language) {
  const code = String(language ?? '').toLowerCase().split(/[-_]/)[0];
  return SUPPORTED.has(code) ? code : null;
}

/** A client transport through Superdesk's server: its session, its proxy. */
export function superdeskTransport(superdesk, proxyPath = '/newsbridge') {
  const prefix = proxyPath.replace(/\/+$/, '');
  return ({method, path, payload, headers, signal}) => superdesk.httpRequestJsonLocal({
    method, path: prefix + path, payload, headers, abortSignal: signal,
  });
}

const EMBED_COMMENT = /<!--\s*EMBED START[\s\S]*?-->[\s\S]*?<!--\s*EMBED END[\s\S]*?-->/gi;
const EMBED_DIV = /<div\b[^>]*\bclass\s*=\s*(["'])(?:(?!\1).)*\bembed-block\b(?:(?!\1).)*\1[^>]*>/gi;

/** The end of the element whose start tag ends at `from` (nested divs counted). */
function divEnd(html, from) {
  const tag = /<(\/?)div\b[^>]*>/gi;
  tag.lastIndex = from;
  let depth = 1;
  let m;
  while ((m = tag.exec(html))) {
    depth += m[1] ? -1 : 1;
    if (depth === 0) return tag.lastIndex;
  }
  return html.length;
}

/**
 * Split body_html into [{embed, html}] parts: Superdesk's embed blocks (`<!-- EMBED START ... -->` to
 * `<!-- EMBED END ... -->`, or a bare `div.embed-block`) are kept whole, the rest is text to translate.
 * Joining the parts' html gives back the input exactly.
 */
export function splitEmbeds(html) {
  const blocks = [];
  for (const m of html.matchAll(EMBED_COMMENT)) blocks.push([m.index, m.index + m[0].length]);
  for (const m of html.matchAll(EMBED_DIV)) {
    if (blocks.some(([a, b]) => a <= m.index && m.index < b)) continue;
    blocks.push([m.index, divEnd(html, m.index + m[0].length)]);
  }
  blocks.sort((x, y) => x[0] - y[0]);
  const parts = [];
  let pos = 0;
  for (const [a, b] of blocks) {
    if (a < pos) continue;
    if (a > pos) parts.push({embed: false, html: html.slice(pos, a)});
    parts.push({embed: true, html: html.slice(a, b)});
    pos = b;
  }
  if (pos < html.length) parts.push({embed: false, html: html.slice(pos)});
  return parts;
}

function hasText(html) {
  return /[\p{L}\p{N}]/u.test(html.replace(/<!--[\s\S]*?-->/g, '').replace(/<[^>]*>/g, '').replace(/&[#\w]+;/g, ' '));
}

/** Translate body_html, its embed blocks left exactly as they are. */
export async function translateBodyHtml(client, html, language, signal) {
  const target = languageCode(language);
  if (!target) throw new NewsbridgeError({type: 'unsupported_language', status: 422, title: 'Unsupported language',
    detail: `newsbridge translates into pl, lt and en, not ${JSON.stringify(language)}`});
  const parts = splitEmbeds(html ?? '');
  const todo = parts.filter((p) => !p.embed && hasText(p.html));
  if (!todo.length) return html ?? '';
  const answer = await client.translate(todo.map((p) => p.html.trim()), {format: 'html', targetLang: target, signal});
  answer.results.forEach((r, i) => {
    if (r.error) throw NewsbridgeError.fromProblem(r.error);
    const [lead] = todo[i].html.match(/^\s*/);
    const [tail] = todo[i].html.match(/\s*$/);
    todo[i].out = lead + r.translation.trim() + tail;
  });
  return parts.map((p) => p.out ?? p.html).join('');
}

function shorten(text, max) {
  if (!max || text.length <= max) return text;
  const cut = text.slice(0, max - 1);
  const space = cut.lastIndexOf(' ');
  return `${(space > max / 2 ? cut.slice(0, space) : cut).replace(/[\s,;:–—-]+$/, '')}…`;
}

/**
 * Headline candidates: the summary sentences in rank order (the best first). The extractive summary
 * of k sentences holds the k highest-ranked ones, so the k-th candidate is what k adds to k-1.
 */
export async function headlineCandidates(client, html, {targetLang, count = 3, maxLength = 0, signal} = {}) {
  const answers = await Promise.all(Array.from({length: count}, (_, k) => client.summarize(html,
    {format: 'html', targetLang, maxSentences: k + 1, signal})));
  const seen = new Set();
  const out = [];
  for (const a of answers) {
    for (const s of a.summary_sentences) {
      const key = s.sources.join(',');
      if (seen.has(key)) continue;
      seen.add(key);
      out.push(shorten(s.summary.text.trim(), maxLength));
    }
  }
  return out.filter(Boolean).slice(0, count);
}

/**
 * The ai-widget configuration: pass the result to `configure()`. Options: proxyPath ('/newsbridge'),
 * apiKey (sent as X-API-Key; better set on the server proxy), timeout (ms), summaryLanguage (default:
 * the article's language when newsbridge has it, else 'en'), summarySentences (3), headlineCount (3),
 * headlineMaxLength (0: no limit).
 */
export function newsbridgeAiWidget(options = {}) {
  const {proxyPath = '/newsbridge', apiKey = '', timeout = 120000, summaryLanguage, summarySentences = 3,
    headlineCount = 3, headlineMaxLength = 0} = options;
  return (superdesk) => {
    const client = new Newsbridge({transport: superdeskTransport(superdesk, proxyPath), apiKey, timeout});
    const summaryTarget = (article) => languageCode(summaryLanguage) ?? languageCode(article.language) ?? 'en';
    return {
      translations: {
        generateTranslations: (article, language, abortSignal) =>
          translateBodyHtml(client, article.body_html, language, abortSignal),
      },
      generateSummary: async (article, abortSignal) => {
        const r = await client.summarize(article.body_html ?? '', {format: 'html', targetLang: summaryTarget(article),
          maxSentences: summarySentences, signal: abortSignal});
        return r.summary;
      },
      generateHeadlines: (article, abortSignal) => headlineCandidates(client, article.body_html ?? '', {
        targetLang: summaryTarget(article), count: headlineCount, maxLength: headlineMaxLength, signal: abortSignal}),
    };
  };
}

export default newsbridgeAiWidget;
