// The editor's glossary picker and term highlight: the glossaries this key may use are listed in
// a select; the terms a translation applied are marked in both panes (title: the entry, how it
// matched, and whether the model kept it). Text only ever reaches the DOM as text nodes.
import {el} from './render.js';

/** Fill `select` with the glossaries of this key (keeps the choice when it is still there). */
export async function loadGlossaries(client, select) {
  const chosen = select.value;
  let listed = [];
  try {
    listed = (await client.request('GET', '/v1/glossaries')).glossaries ?? [];
  } catch {
    listed = [];  // no key yet, or glossaries unavailable: the picker offers none
  }
  const options = [el('option', {value: ''}, 'none')];
  for (const g of listed) {
    const pairs = g.dictionaries.map((d) => `${d.source_lang}→${d.target_lang}`).join(', ');
    options.push(el('option', {value: g.id}, `${g.name} (${pairs}, ${g.entry_count} entries)`));
  }
  select.replaceChildren(...options);
  select.value = listed.some((g) => g.id === chosen) ? chosen : '';
  select.disabled = listed.length === 0;
}

function termTitle(t) {
  const how = t.match === 'lemma' ? 'an inflected form' : 'as written';
  const kind = t.keep ? 'do not translate' : `${t.term} → ${t.translation}`;
  const placed = t.placed === 'guessed' ? ' · the model dropped it: put back at a guessed place'
    : t.placed === 'aligned' ? ' · the model dropped it: put back where its neighbours went' : '';
  return `Glossary: ${kind} (${how})${placed}`;
}

/** Mark the terms of each sentence in a pane already rendered from `text` (side: 'source' | 'target'). */
export function markTerms(pane, sentences, side) {
  const spans = sentences.flatMap((s) => (s.terms ?? []).map((t) => ({span: t[side], title: termTitle(t),
    guessed: side === 'target' && t.placed !== 'model'})));
  for (const {span, title, guessed} of spans.sort((a, b) => b.span.start - a.span.start)) {
    wrap(pane, span.start, span.end, title, guessed);
  }
}

// Wrap [start, end) of the pane's text (UTF-16 offsets into textContent) in <mark class="term">,
// one mark per text node it crosses.
function wrap(pane, start, end, title, guessed) {
  const walker = document.createTreeWalker(pane, NodeFilter.SHOW_TEXT);
  const pieces = [];
  let pos = 0;
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const len = node.data.length;
    const a = Math.max(start, pos);
    const b = Math.min(end, pos + len);
    if (a < b) pieces.push([node, a - pos, b - pos]);
    pos += len;
    if (pos >= end) break;
  }
  for (const [node, a, b] of pieces) {
    const middle = a > 0 ? node.splitText(a) : node;
    middle.splitText(b - a);
    const mark = el('mark', {class: guessed ? 'term guessed' : 'term', title});
    middle.replaceWith(mark);
    mark.append(middle);
  }
}
