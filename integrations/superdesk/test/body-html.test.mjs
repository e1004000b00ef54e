// splitBodyHtml on body_html as Superdesk writes it (no server needed): what is sent, what is kept.
import assert from 'node:assert/strict';
import {test} from 'node:test';

import {hasText, splitBodyHtml} from '../dist/newsbridge-ai-widget.js';
import {
  ARTICLE_EMBED, ARTICLE_EMBED_SERVER, BODY_CLIENT, BODY_SERVER, MEDIA_CLIENT, MEDIA_CLIENT_CAPTION, MEDIA_SERVER,
  MEDIA_SERVER_CAPTION, PARAGRAPHS, TWEET_DESCRIPTION, TWEET_EMBED,
} from './fixtures.mjs';

const kinds = (pieces, kind) => pieces.filter((p) => p.kind === kind).map((p) => p.html);
const joined = (pieces) => pieces.map((p) => p.html).join('');

test('the client\'s body: paragraphs are text, embeds kept, captions and descriptions to translate', () => {
  const pieces = splitBodyHtml(BODY_CLIENT);
  assert.equal(joined(pieces), BODY_CLIENT);
  assert.deepEqual(kinds(pieces, 'caption'), [MEDIA_CLIENT_CAPTION, TWEET_DESCRIPTION]);
  const text = kinds(pieces, 'text').join('');
  for (const p of PARAGRAPHS) assert.ok(text.includes(p), p);
  const kept = kinds(pieces, 'kept').join('');
  assert.ok(kept.includes('<!-- EMBED START Image {id: "editor_0"} -->\n<figure>\n    <img src='));
  assert.ok(kept.includes('<script async src="https://platform.twitter.com/widgets.js" charset="utf-8"></script>'));
  assert.ok(kept.includes(ARTICLE_EMBED), 'the embedded article is kept whole, its paragraph included');
  assert.ok(!text.includes('Yesterday the government'));
  assert.ok(!text.includes('twitter') && !text.includes('EMBED'));
});

test('the server\'s rendering: one-line figure, div.article-embed-block', () => {
  const pieces = splitBodyHtml(BODY_SERVER);
  assert.equal(joined(pieces), BODY_SERVER);
  assert.deepEqual(kinds(pieces, 'caption'), [MEDIA_SERVER_CAPTION, TWEET_DESCRIPTION]);
  const kept = kinds(pieces, 'kept').join('');
  assert.ok(kept.includes(ARTICLE_EMBED_SERVER));
  assert.ok(kept.includes(MEDIA_SERVER.replace(MEDIA_SERVER_CAPTION, '')));
});

test('class names match whole: article-embed-block is an article, not an embed-block; lookalikes are text', () => {
  const lookalikes = '<div class="my-embed-block-note"><p>A note.</p></div>\n'
    + '<div class="embed-blocks"><p>Not an embed.</p></div>\n'
    + '<div class="embed-block-wrapper"><p>Nor this.</p></div>';
  assert.deepEqual(splitBodyHtml(lookalikes), [{kind: 'text', html: lookalikes}]);
  const desc = '<div class="embed-block"><iframe src="https://example.org/v"></iframe>'
    + '<p class="embed-block__description-old">Old.</p><p class="x embed-block__description">New.</p></div>';
  assert.deepEqual(kinds(splitBodyHtml(desc), 'caption'), ['New.']);
  const article = '<div class="article-embed-block"><figure><img src="a.jpg"><figcaption>Theirs.</figcaption></figure>'
    + '<p class="embed-block__description">Theirs too.</p></div>';
  assert.deepEqual(splitBodyHtml(article), [{kind: 'kept', html: article}], 'nothing inside another article is ours');
  const multi = '<div class="left embed-block wide"><iframe src="x"></iframe></div>';
  assert.deepEqual(splitBodyHtml(multi), [{kind: 'kept', html: multi}]);
});

test('nested divs, scripts holding tags, comments and embeds inside other elements', () => {
  const nested = '<div class="embed-block"><div><div><iframe src="x"></iframe></div></div>'
    + '<script>document.write("<div>")</script></div><p>After.</p>';
  const pieces = splitBodyHtml(nested);
  assert.deepEqual(pieces.map((p) => p.kind), ['kept', 'text']);
  assert.equal(pieces[1].html, '<p>After.</p>');
  const top = '<!-- a note for editors --><p>One.</p><script>var x = "</p><div class=\\"embed-block\\">";</script>'
    + '<p>Two.</p><style>p{}</style>';
  assert.deepEqual(splitBodyHtml(top).map((p) => [p.kind, p.html]), [
    ['kept', '<!-- a note for editors -->'], ['text', '<p>One.</p>'],
    ['kept', '<script>var x = "</p><div class=\\"embed-block\\">";</script>'], ['text', '<p>Two.</p>'],
    ['kept', '<style>p{}</style>']]);
  // Inside another element nothing is cut (its start and end tags would land in different pieces).
  const inside = `<section><p>Lead.</p>${TWEET_EMBED}</section>`;
  assert.deepEqual(splitBodyHtml(inside), [{kind: 'text', html: inside}]);
  // A paragraph left open is closed by the next block, as HTML does.
  const sloppy = `<p>Open paragraph\n${TWEET_EMBED}<p>Next.`;
  assert.deepEqual(splitBodyHtml(sloppy).map((p) => p.kind), ['text', 'kept', 'caption', 'kept', 'text']);
});

test('EMBED START pairs with the END of the same id; a START without END is a kept comment', () => {
  const two = `${MEDIA_CLIENT}\n<p>Between.</p>\n${MEDIA_SERVER}`;
  const pieces = splitBodyHtml(two);
  assert.equal(joined(pieces), two);
  assert.deepEqual(kinds(pieces, 'text'), ['\n<p>Between.</p>\n']);
  const lone = '<!-- EMBED START Image {id: "editor_9"} --><p>Text after a broken embed.</p>';
  assert.deepEqual(splitBodyHtml(lone).map((p) => p.kind), ['kept', 'text']);
  const editor2 = `<!-- EMBED START Twitter {id: "editor_1"} -->\n${TWEET_EMBED}\n<!-- EMBED END Twitter {id: "editor_1"} -->`;
  assert.deepEqual(kinds(splitBodyHtml(editor2), 'caption'), [TWEET_DESCRIPTION]);
  assert.deepEqual(splitBodyHtml(''), []);
});

test('attribute values may hold ">" and quotes; markup in captions stays in the caption', () => {
  const tricky = '<div title="a > b" class=\'embed-block\' data-x="<div>"><iframe src="x?a=1&b=2"></iframe>'
    + '<p class="embed-block__description">Photo: <a href="https://pap.pl">PAP</a> &amp; <em>Reuters</em></p></div>';
  const pieces = splitBodyHtml(tricky);
  assert.equal(joined(pieces), tricky);
  assert.deepEqual(kinds(pieces, 'caption'), ['Photo: <a href="https://pap.pl">PAP</a> &amp; <em>Reuters</em>']);
});

test('hasText: letters or digits outside markup, scripts and comments', () => {
  assert.ok(hasText('<p>Łódź</p>'));
  assert.ok(hasText('<p>2021</p>'));
  assert.ok(!hasText('\n<p>&nbsp;</p>\n'));
  assert.ok(!hasText('<!-- note --><script>var x = 1;</script><img src="a.jpg" alt="x">'));
});
