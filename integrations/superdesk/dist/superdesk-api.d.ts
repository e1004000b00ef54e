/**
 * The part of Superdesk's client API this extension meets, declared here from Superdesk's documented
 * interface (superdesk-client-core >= 2.8: the `ai-widget` extension's `configure()` and the
 * `superdesk` object it hands to the configuration function). Only what newsbridge uses or returns is
 * declared; Superdesk's own objects have more members, which is compatible.
 */
/** An article as the widget passes it (Superdesk's IArticle has many more fields). */
export interface IArticle {
    _id: string;
    /** The article's language code from the `languages` vocabulary, e.g. 'en', 'pl', 'en-GB'. */
    language?: any;
    headline?: string;
    /** The body as HTML, embeds included (see body-html.ts). */
    body_html?: string;
}
/** What `superdesk.httpRequestJsonLocal` takes: a path relative to the Superdesk server's API root. */
export interface IHttpRequestJsonOptionsLocal {
    method: 'GET' | 'POST' | 'PATCH' | 'PUT';
    path: string;
    payload?: {};
    headers?: {
        [key: string]: any;
    };
    urlParams?: {
        [key: string]: any;
    };
    abortSignal?: AbortSignal;
}
/** The members of Superdesk's extension API (ISuperdesk) that newsbridge calls. */
export interface ISuperdesk {
    /**
     * A JSON request to Superdesk's own server with the user's session (`Authorization`): resolves with
     * the parsed body of a 2xx answer, rejects with the parsed body of any other.
     */
    httpRequestJsonLocal<T>(options: IHttpRequestJsonOptionsLocal): Promise<T>;
    ui: {
        notify: {
            error(text: string, displayDuration?: number): void;
        };
    };
}
/** What the ai-widget's `configure(fn)` expects `fn` to return: each member is optional. */
export interface IConfigurationOptions {
    /** Headline candidates for the article, best first. */
    generateHeadlines?: (article: IArticle, abortSignal: AbortSignal) => Promise<Array<string>>;
    /** A summary of the article as plain text. */
    generateSummary?: (article: IArticle, abortSignal: AbortSignal) => Promise<string>;
    translations?: {
        /** The article's body translated into `language` (a `languages` vocabulary code), as HTML. */
        generateTranslations: (article: IArticle, language: string, abortSignal: AbortSignal) => Promise<string>;
        /** When true, Superdesk's own Translate action opens the new translation with the widget translating it. */
        translateActionIntegration?: boolean;
    };
}
/** The ai-widget's `configure`: `fn` is called once with the `superdesk` API. */
export type Configure = (fn: (superdesk: ISuperdesk) => IConfigurationOptions) => void;
