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
/** The attributes of an open tag's attribute text, names in lower case (the first of a repeated name wins). */
export declare function attributes(attrs: string): Map<string, string>;
/**
 * Cut `html` into pieces; joining their `html` gives `html` back exactly. Only embeds, comments and scripts at
 * the top level are cut out (cutting inside an element would leave its start and end tags in different pieces).
 */
export declare function splitBodyHtml(html: string): Piece[];
/** Whether a piece of HTML has any letter or digit outside its markup (else there is nothing to translate). */
export declare function hasText(html: string): boolean;
