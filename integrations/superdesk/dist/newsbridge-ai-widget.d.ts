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
import type { Transport } from 'newsbridge-client';
import type { IConfigurationOptions, ISuperdesk } from './superdesk-api.js';
export { NewsbridgeError };
export { hasText, splitBodyHtml } from './body-html.js';
export type { Piece, PieceKind } from './body-html.js';
export type { Configure, IArticle, IConfigurationOptions, ISuperdesk } from './superdesk-api.js';
type Lang = 'pl' | 'lt' | 'en';
/** 'en-GB', 'pl_PL', 'LT' -> 'en', 'pl', 'lt'; anything else -> null. */
export declare function languageCode(language: unknown): Lang | null;
/**
 * A client transport through Superdesk's server: its session, its proxy. Superdesk's own errors (session expired,
 * the proxy not installed or newsbridge unreachable behind it) become NewsbridgeErrors that say so.
 */
export declare function superdeskTransport(superdesk: Pick<ISuperdesk, 'httpRequestJsonLocal'>, proxyPath?: string): Transport;
export interface TranslateBodyOptions {
    signal?: AbortSignal;
    /** Translate media captions and embed descriptions (default true); false keeps them as they are. */
    captions?: boolean;
}
/**
 * Translate body_html: the body text as HTML, and (unless `captions` is false) the content of media captions and
 * embed descriptions in place; embed markup, scripts and comments come back byte for byte. A caption newsbridge
 * cannot translate (a language it does not have) is left as it is; a body that fails fails the whole call.
 */
export declare function translateBodyHtml(client: Newsbridge, html: string | undefined, language: unknown, { signal, captions }?: TranslateBodyOptions): Promise<string>;
export interface HeadlineOptions {
    targetLang?: Lang;
    count?: number;
    maxLength?: number;
    signal?: AbortSignal;
}
/**
 * Headline candidates: the summary sentences in rank order (the best first). The extractive summary of k sentences
 * holds the k highest-ranked ones, so the k-th candidate is what k adds to k-1.
 */
export declare function headlineCandidates(client: Newsbridge, html: string, { targetLang, count, maxLength, signal }?: HeadlineOptions): Promise<string[]>;
export interface NewsbridgeAiWidgetOptions {
    /** Where server/newsbridge_proxy.py listens under Superdesk's API root (default '/newsbridge'). */
    proxyPath?: string;
    /** newsbridge's own URL, to call it from the browser directly instead of through Superdesk's proxy: newsbridge
     * must then allow Superdesk's origin (NEWSBRIDGE_CORS_ORIGINS), and a key (apiKey) is visible to every user. */
    baseUrl?: string;
    /** Sent as X-API-Key from the browser (every Superdesk user can read it): better set on the server proxy. */
    apiKey?: string;
    /** Milliseconds per request (default 120000). */
    timeout?: number;
    /** The summary's and headlines' language (default: the article's when newsbridge has it, else 'en'). */
    summaryLanguage?: string;
    /** Sentences in the summary (default 3). */
    summarySentences?: number;
    /** Headline candidates (default 3). */
    headlineCount?: number;
    /** Cut candidates longer than this at a word, with '…' (default 0: no limit). */
    headlineMaxLength?: number;
    /** Translate media captions and embed descriptions (default true). */
    translateCaptions?: boolean;
    /** Show newsbridge's reason for a failure as a Superdesk notification (default true): the widget itself only
     * says that something went wrong. */
    notifyErrors?: boolean;
    /** Superdesk's own Translate action opens the new translation with the widget translating it (default false). */
    translateActionIntegration?: boolean;
}
/** The sentence an editor sees for a failure. */
export declare function describeError(err: any): string;
/**
 * The ai-widget configuration: pass the result to the widget's `configure()`; Superdesk calls it with its
 * `superdesk` API object.
 */
export declare function newsbridgeAiWidget(options?: NewsbridgeAiWidgetOptions): (superdesk: ISuperdesk) => IConfigurationOptions;
export default newsbridgeAiWidget;
