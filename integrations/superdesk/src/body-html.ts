/**
 * Superdesk's body_html cut into pieces: what newsbridge translates, and what must come back byte for byte.
 *
 * Superdesk writes three kinds of embed into body_html (editor3's HTML export, superdesk-client-core
 * `core/editor3/html/to-html/AtomicBlockParser.ts`; the server's `superdesk/editor_utils.py` writes the same):
 *
 * - media (picture, video, audio): `<!-- EMBED START Image {id: "editor_0"} -->`, a `<figure>` holding the
 *   `<img>` / `<video>` / `<audio>` and, when the media has a description, a `<figcaption>`, then
 *   `<!-- EMBED END Image {id: "editor_0"} -->`;
 * - other embeds (tweets, videos, iframes, any pasted embed code): `<div class="embed-block">` holding the
 *   embed code as pasted, scripts included, and, when the editor wrote one, `<p class="embed-block__description">`;
 * - another article embedded: `<div data-association-key="…">` (the server writes `<div class="article-embed-block">`).
 *
 * Embeds at the top level of the body are kept byte for byte except the content of their captions (a media
 * `<figcaption>`, an embed's `p.embed-block__description`), which readers see and which is translated in place.
 * Top-level comments and `<script>` / `<style>` elements are kept too. Everything else between them is body
 * text, translated as HTML. Classes match as whole class names (`article-embed-block` is not `embed-block`).
 */

/** `text`: body text between embeds; `caption`: a caption's content; `kept`: never sent anywhere. */
export type PieceKind = 'text' | 'caption' | 'kept';

export interface Piece {
    kind: PieceKind;
    html: string;
}

interface Token {
    kind: 'open' | 'close' | 'comment' | 'raw' | 'other';
    start: number;
    end: number;
    /** Lower-case tag name (open, close, raw). */
    name: string;
    /** The attribute text of an open tag. */
    attrs: string;
    selfClosing: boolean;
}

const MARKUP = /<!--[\s\S]*?(?:-->|$)|<(\/?)([A-Za-z][^\s/>]*)((?:[^>"']|"[^"]*"|'[^']*')*)>|<![^>]*>|<\?[^>]*>/g;
const ATTRIBUTE = /([^\s"'>/=]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+)))?/g;
// Elements whose content is text to the HTML parser: their content is never markup.
const RAW_TEXT = new Set(['script', 'style', 'textarea', 'title', 'iframe', 'noembed', 'noframes', 'xmp', 'noscript']);
const VOID = new Set(['area', 'base', 'br', 'col', 'embed', 'hr', 'img', 'input', 'link', 'meta', 'param', 'source',
    'track', 'wbr']);
// Opening one of these closes an open <p> (HTML's implied end tag), which keeps the depth right for sloppy input.
const CLOSES_P = new Set(['address', 'article', 'aside', 'blockquote', 'details', 'div', 'dl', 'fieldset',
    'figcaption', 'figure', 'footer', 'form', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'header', 'hr', 'main', 'menu',
    'nav', 'ol', 'p', 'pre', 'section', 'table', 'ul']);
const EMBED_START = /^<!--\s*EMBED START\b\s*([\s\S]*?)\s*-->$/;
const EMBED_END = /^<!--\s*EMBED END\b\s*([\s\S]*?)\s*-->$/;

/** The markup tokens of `html` from `from` on; a raw-text element (script, style, …) is one token. */
function* tokens(html: string, from = 0): Generator<Token> {
    const markup = new RegExp(MARKUP.source, 'g');
    markup.lastIndex = from;
    let m: RegExpExecArray | null;
    while ((m = markup.exec(html)) !== null) {
        const start = m.index;
        let end = markup.lastIndex;
        if (end === start) {  // `<!--` at the very end: an empty match cannot advance
            markup.lastIndex += 1;
            continue;
        }
        const text = m[0];
        if (text.startsWith('<!--')) {
            yield {kind: 'comment', start, end, name: '', attrs: '', selfClosing: false};
        } else if (m[2] !== undefined) {
            const name = m[2].toLowerCase();
            const attrs = m[3];
            const selfClosing = /\/\s*$/.test(attrs);
            if (m[1]) {
                yield {kind: 'close', start, end, name, attrs: '', selfClosing: false};
            } else if (RAW_TEXT.has(name) && !selfClosing) {
                const close = new RegExp(`</${name}(?=[\\s/>])[^>]*>`, 'ig');
                close.lastIndex = end;
                const c = close.exec(html);
                end = c ? close.lastIndex : html.length;
                markup.lastIndex = end;
                yield {kind: 'raw', start, end, name, attrs, selfClosing: false};
            } else {
                yield {kind: 'open', start, end, name, attrs, selfClosing};
            }
        } else {
            yield {kind: 'other', start, end, name: '', attrs: '', selfClosing: false};
        }
    }
}

/** The attributes of an open tag's attribute text, names in lower case (the first of a repeated name wins). */
export function attributes(attrs: string): Map<string, string> {
    const out = new Map<string, string>();
    const re = new RegExp(ATTRIBUTE.source, 'g');
    let m: RegExpExecArray | null;
    while ((m = re.exec(attrs)) !== null) {
        const name = m[1].toLowerCase();
        if (!out.has(name)) out.set(name, m[2] ?? m[3] ?? m[4] ?? '');
    }
    return out;
}

function hasClass(attrs: string, name: string): boolean {
    return (attributes(attrs).get('class') ?? '').split(/[ \t\n\r\f]+/).indexOf(name) >= 0;
}

/** A Superdesk embed element: `div.embed-block`, `div.article-embed-block`, `div[data-association-key]`. */
function isEmbedElement(attrs: string): boolean {
    const attr = attributes(attrs);
    const classes = (attr.get('class') ?? '').split(/[ \t\n\r\f]+/);
    return attr.has('data-association-key') || classes.indexOf('embed-block') >= 0
        || classes.indexOf('article-embed-block') >= 0;
}

/** The end of the element whose start tag is `open` (same-name tags counted; the input's end if unclosed). */
function elementEnd(html: string, open: Token): number {
    if (open.selfClosing || VOID.has(open.name)) return open.end;
    let depth = 1;
    for (const t of tokens(html, open.end)) {
        if (t.name !== open.name || (t.kind !== 'open' && t.kind !== 'close')) continue;
        if (t.kind === 'open' && !t.selfClosing) depth += 1;
        if (t.kind === 'close') depth -= 1;
        if (depth === 0) return t.end;
    }
    return html.length;
}

/** The end of the `<!-- EMBED END … -->` closing `start` (the one with the same label, else the next one). */
function embedEnd(html: string, start: Token): number | null {
    const label = (EMBED_START.exec(html.slice(start.start, start.end)) ?? [])[1];
    let first: number | null = null;
    for (const t of tokens(html, start.end)) {
        if (t.kind !== 'comment') continue;
        const end = EMBED_END.exec(html.slice(t.start, t.end));
        if (!end) continue;
        if (end[1] === label) return t.end;
        if (first === null) first = t.end;
    }
    return first;
}

/** The captions inside html[a, b): the content of each `<figcaption>` and `p.embed-block__description`. */
function captions(html: string, a: number, b: number): Array<[number, number]> {
    const out: Array<[number, number]> = [];
    let open: Token | null = null;
    for (const t of tokens(html, a)) {
        if (t.start >= b) break;
        if (open === null) {
            if (t.kind === 'open' && !t.selfClosing && (t.name === 'figcaption'
                || (t.name === 'p' && hasClass(t.attrs, 'embed-block__description')))) open = t;
        } else if (t.kind === 'close' && t.name === open.name) {
            out.push([open.end, Math.min(t.start, b)]);
            open = null;
        }
    }
    if (open !== null) out.push([open.end, b]);
    return out;
}

/**
 * Cut `html` into pieces; joining their `html` gives `html` back exactly. Only embeds, comments and scripts at
 * the top level are cut out (cutting inside an element would leave its start and end tags in different pieces).
 */
export function splitBodyHtml(html: string): Piece[] {
    const pieces: Piece[] = [];
    const push = (kind: PieceKind, a: number, b: number) => {
        if (b <= a) return;
        const last = pieces[pieces.length - 1];
        if (last && last.kind === kind && kind !== 'caption') last.html += html.slice(a, b);
        else pieces.push({kind, html: html.slice(a, b)});
    };
    const keep = (a: number, b: number, withCaptions: boolean) => {
        let pos = a;
        if (withCaptions) {
            for (const [ca, cb] of captions(html, a, b)) {
                push('kept', pos, ca);
                push('caption', ca, cb);
                pos = cb;
            }
        }
        push('kept', pos, b);
    };

    const stack: string[] = [];
    let text = 0;  // where the current stretch of body text began
    let from = 0;
    scan: while (true) {
        for (const t of tokens(html, from)) {
            if (t.kind === 'open' && CLOSES_P.has(t.name) && stack[stack.length - 1] === 'p') stack.pop();
            if (stack.length === 0) {
                let end: number | null = null;
                let withCaptions = true;
                if (t.kind === 'comment') {
                    end = EMBED_START.test(html.slice(t.start, t.end)) ? embedEnd(html, t) ?? t.end : t.end;
                } else if (t.kind === 'raw' && (t.name === 'script' || t.name === 'style')) {
                    end = t.end;
                    withCaptions = false;
                } else if (t.kind === 'open' && isEmbedElement(t.attrs)) {
                    end = elementEnd(html, t);
                    withCaptions = !isArticleEmbed(t.attrs);
                }
                if (end !== null) {
                    push('text', text, t.start);
                    keep(t.start, end, withCaptions);
                    text = from = end;
                    continue scan;  // tokens resume after the block
                }
            }
            if (t.kind === 'open' && !t.selfClosing && !VOID.has(t.name)) {
                stack.push(t.name);
            } else if (t.kind === 'close') {
                const i = stack.lastIndexOf(t.name);
                if (i >= 0) stack.length = i;
            }
        }
        break;
    }
    push('text', text, html.length);
    return pieces;
}

/** Another article embedded whole: nothing in it is a caption of this article. */
function isArticleEmbed(attrs: string): boolean {
    const attr = attributes(attrs);
    return attr.has('data-association-key') || hasClass(attrs, 'article-embed-block');
}

const LETTER_OR_DIGIT = new RegExp('[\\p{L}\\p{N}]', 'u');  // built at run time: ES2017 parsers reject \p{…} literals

/** Whether a piece of HTML has any letter or digit outside its markup (else there is nothing to translate). */
export function hasText(html: string): boolean {
    const text = html.replace(/<!--[\s\S]*?(?:-->|$)/g, '').replace(/<(script|style)\b[\s\S]*?(?:<\/\1\s*>|$)/gi, '')
        .replace(/<[^>]*>/g, '').replace(/&[#\w]+;/g, ' ');
    return LETTER_OR_DIGIT.test(text);
}
