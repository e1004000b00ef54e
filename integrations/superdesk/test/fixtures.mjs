// body_html as Superdesk writes it (written here from what superdesk-client-core's editor3 HTML export,
// core/editor3/html/to-html/AtomicBlockParser.ts + editor3StateToHtml.ts, and superdesk-core's
// superdesk/editor_utils.py produce; blocks are joined with '\n' by draft-js-export-html).

/** A media (picture) embed as the client writes it: comments, <figure>, indented <img … />, <figcaption>. */
export const MEDIA_CLIENT = [
  '<!-- EMBED START Image {id: "editor_0"} -->',
  '<figure>',
  '    <img src="https://sd.example.org/api/upload-raw/6190c7e3f9a5.jpg" alt="Border guards at a crossing" />',
  '    <figcaption>Border guards at the crossing near Kuźnica on Friday.</figcaption>',
  '</figure>',
  '<!-- EMBED END Image {id: "editor_0"} -->',
].join('\n');
export const MEDIA_CLIENT_CAPTION = 'Border guards at the crossing near Kuźnica on Friday.';

/** The same picture as the server renders it (superdesk/editor_utils.py render_media): one line, <img> without '/'. */
export const MEDIA_SERVER = '<!-- EMBED START Image {id: "editor_3"} -->\n'
  + '<figure><img src="https://sd.example.org/api/upload-raw/61a.jpg" alt=""><figcaption>Soldiers put up a fence '
  + 'along the border.</figcaption></figure>\n<!-- EMBED END Image {id: "editor_3"} -->';
export const MEDIA_SERVER_CAPTION = 'Soldiers put up a fence along the border.';

/** A tweet pasted as an embed (editor3 EMBED entity): div.embed-block, the embed code as pasted, a description. */
export const TWEET_CODE = '<blockquote class="twitter-tweet"><p lang="pl" dir="ltr">Funkcjonariusze Straży '
  + 'Granicznej udaremnili kolejną próbę siłowego przekroczenia granicy. Nikt nie został ranny. '
  + '<a href="https://t.co/AbCdEf1234">pic.twitter.com/AbCdEf1234</a></p>&mdash; Straż Graniczna '
  + '(@Straz_Graniczna) <a href="https://twitter.com/Straz_Graniczna/status/1458000000000000000">November 12, '
  + '2021</a></blockquote>\n<script async src="https://platform.twitter.com/widgets.js" charset="utf-8"></script>';
export const TWEET_DESCRIPTION = 'The border guard reported the attempt on Twitter.';
export const TWEET_EMBED = `<div class="embed-block">${TWEET_CODE}`
  + `<p class="embed-block__description">${TWEET_DESCRIPTION}</p></div>`;

/** Another article dropped into the body (editor3 ARTICLE_EMBED): its own body_html, kept whole. */
export const ARTICLE_EMBED = '<div data-association-key="urn:newsml:localhost:2021-11-11T09:00:00.000000:1c2d">'
  + '<p>Yesterday the government sent more troops to the border.</p></div>';
/** The server's rendering of an article embed (render_article_embed). */
export const ARTICLE_EMBED_SERVER = '<div class="article-embed-block"><p>Yesterday the government sent more '
  + 'troops to the border.</p></div>';

export const PARAGRAPHS = [
  '<p>Polish officials said on Friday that groups of migrants had again tried to cross the border near the '
    + 'village of Kuźnica. The interior ministry published a short statement on social media.</p>',
  '<p>A spokesperson told reporters: “We are monitoring the situation around the clock.”</p>',
  '<p>Lithuania said it would keep <b>additional troops</b> at its own border.</p>',
  '<p>The European Commission will discuss the situation next week.</p>',
];

/** An English story with all three kinds of embed, as the client saves it. */
export const BODY_CLIENT = [PARAGRAPHS[0], MEDIA_CLIENT, PARAGRAPHS[1], TWEET_EMBED, PARAGRAPHS[2], ARTICLE_EMBED,
  PARAGRAPHS[3]].join('\n');
/** The same kinds as the server renders them. */
export const BODY_SERVER = [PARAGRAPHS[0], MEDIA_SERVER, PARAGRAPHS[1], TWEET_EMBED, ARTICLE_EMBED_SERVER,
  PARAGRAPHS[3]].join('\n');

export const ARTICLE = {
  _id: 'urn:newsml:localhost:2021-11-12T10:00:00.000000:4f6a', type: 'text', language: 'en', profile: 'story',
  headline: 'Border guards report new crossing attempts', body_html: BODY_CLIENT,
};

/** A regular expression matching `html` with every non-kept piece free: the kept markup must come back as is. */
export function keptPattern(pieces) {
  const escape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`^${pieces.map((p) => (p.kind === 'kept' ? escape(p.html) : '([\\s\\S]*?)')).join('')}$`);
}
