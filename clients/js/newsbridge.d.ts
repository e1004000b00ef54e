// Types of newsbridge.js (hand-written; the module itself is plain JavaScript).

export declare const VERSION: string;

export interface Span { start: number; end: number; text: string; }

export interface Problem { type: string; title?: string; status: number; detail?: string; instance?: string; [k: string]: unknown; }

export interface NewsbridgeErrorFields {
  type?: string; title?: string; status?: number; detail?: string; instance?: string | null; problem?: Problem | null;
}

export declare class NewsbridgeError extends Error {
  constructor(fields?: NewsbridgeErrorFields);
  /** Short problem type: empty_text, text_too_large, unsupported_language, model_missing, unauthorized,
   * timeout, network_error, ... */
  type: string;
  title: string;
  status: number;
  detail: string;
  instance: string | null;
  problem: Problem | null;
  static fromProblem(body: Problem, status?: number): NewsbridgeError;
}

export interface RequestOptions { signal?: AbortSignal; timeout?: number; }

export interface TextOptions extends RequestOptions {
  sourceLang?: 'auto' | 'pl' | 'lt' | 'en';
  targetLang?: 'pl' | 'lt' | 'en';
  format?: 'text' | 'html';
  offsets?: 'utf16' | 'codepoint';
  /** Id of a glossary (`/v1/glossaries`) whose terms are enforced; sentences list them in `terms`. */
  glossary?: string;
}

export interface SummaryOptions extends TextOptions { maxSentences?: number; ratio?: number; }

export type Transport = (req: {method: string; path: string; payload?: unknown; headers: Record<string, string>;
  signal?: AbortSignal}) => Promise<any>;

export interface ClientOptions {
  baseUrl?: string; apiKey?: string; timeout?: number; offsets?: 'utf16' | 'codepoint';
  fetch?: typeof fetch; transport?: Transport;
}

export declare class Newsbridge {
  constructor(options?: ClientOptions);
  baseUrl: string;
  apiKey: string;
  timeout: number;
  offsets: 'utf16' | 'codepoint';
  request(method: string, path: string, payload?: unknown, options?: RequestOptions): Promise<any>;
  translate(text: string | string[], options?: TextOptions): Promise<any>;
  summarize(text: string | string[], options?: SummaryOptions): Promise<any>;
  detect(text: string, options?: Omit<TextOptions, 'sourceLang' | 'targetLang'>): Promise<any>;
  languages(options?: RequestOptions): Promise<any>;
}

export declare function spanToRange(element: Node, span: {start: number; end: number}, doc?: Document): Range;

export default Newsbridge;
