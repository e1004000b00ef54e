// Word links between the two panes and confidence shading, from what the model itself said:
// the word alignment of each translated sentence (`alignment: true`: every target word linked to
// the source word its cross-attention weighs most) and its `translation_confidence`.
// Hovering a word lights it and its aligned word(s) in the other pane; clicking pins that (again,
// or Escape, unpins). Translated sentences are shaded by confidence, and those with quality flags
// or low confidence are listed under "Check first", least sure first.
// Text only ever reaches the DOM as text nodes.
import {el, focusSentence, percent} from './render.js';

const LOW = 0.4; // the server's default NEWSBRIDGE_LOW_CONFIDENCE; a flagged sentence is low whatever its number
const MID = 0.7;
const QUALITY_FLAGS = new Set(['low_confidence', 'untranslated', 'length_ratio', 'number_missing', 'capped',
  'markup_placement_uncertain', 'glossary_term_missing']);

/** `POST /v1/translate` asking for word links (the translation is the same either way). */
export function translateWithLinks(client, text, opts) {
  return client.request('POST', '/v1/translate', {...client._body(text, opts), alignment: true}, opts);
}

const key = (s) => `${s.start}:${s.end}`;

/**
 * Wrap the characters [start, end) of each word of `words` (UTF-16 offsets into the pane's text,
 * which is the concatenation of its text nodes) in `<span class="w" data-w="start:end">`. A word
 * cut by a sentence or quote boundary gets one span per piece, all with the same key.
 */
export function markWords(pane, words) {
  const spans = [...new Map(words.map((w) => [key(w), w])).values()].sort((a, b) => a.start - b.start);
  if (!spans.length) return 0;
  const walker = document.createTreeWalker(pane, NodeFilter.SHOW_TEXT);
  const nodes = [];
  for (let n = walker.nextNode(); n; n = walker.nextNode()) nodes.push(n);
  let at = 0;
  let first = 0;
  let marked = 0;
  for (const node of nodes) {
    const text = node.data;
    const [lo, hi] = [at, at + text.length];
    at = hi;
    while (first < spans.length && spans[first].end <= lo) first++;
    const here = [];
    for (let k = first; k < spans.length && spans[k].start < hi; k++) if (spans[k].end > lo) here.push(spans[k]);
    if (!here.length) continue;
    const frag = document.createDocumentFragment();
    let cursor = lo;
    for (const w of here) {
      const a = Math.max(w.start, lo);
      const b = Math.min(w.end, hi);
      if (a < cursor) continue; // overlapping words: the first one keeps the characters
      if (a > cursor) frag.append(text.slice(cursor - lo, a - lo));
      frag.append(el('span', {class: 'w', 'data-w': key(w)}, text.slice(a - lo, b - lo)));
      cursor = b;
      marked++;
    }
    if (cursor < hi) frag.append(text.slice(cursor - lo));
    node.replaceWith(frag);
  }
  return marked;
}

/** source word key -> target word keys, and back, from the sentences' word links. */
export function linkMaps(sentences) {
  const forward = new Map();
  const backward = new Map();
  const add = (map, a, b) => (map.get(a) ?? map.set(a, new Set()).get(a)).add(b);
  for (const s of sentences) {
    for (const link of s.alignment ?? []) {
      add(forward, key(link.source), key(link.target));
      add(backward, key(link.target), key(link.source));
    }
  }
  return {forward, backward};
}

function confidenceClass(s) {
  if (!s.translated || s.translation_confidence == null) return null;
  if (s.translation_confidence < LOW || (s.flags ?? []).includes('low_confidence')) return 'conf-low';
  return s.translation_confidence < MID ? 'conf-mid' : 'conf-high';
}

function flagged(s) {
  return s.translated && ((s.flags ?? []).some((f) => QUALITY_FLAGS.has(f))
    || (s.translation_confidence != null && s.translation_confidence < LOW));
}

/**
 * Wire word highlighting and confidence shading into the page: `show(r)` after both panes are
 * rendered from the translation `r`.
 */
export function initWords({source, target, checkBox, checkList}) {
  let maps = {forward: new Map(), backward: new Map()};
  let pinned = null;
  const panes = [source, target];

  const clear = () => {
    for (const p of panes) for (const n of p.querySelectorAll('.w.lit-w, .w.lit-w-self')) n.classList.remove('lit-w', 'lit-w-self');
  };
  const light = (word) => {
    clear();
    if (!word) return;
    const fromSource = source.contains(word);
    const [here, there] = fromSource ? [source, target] : [target, source];
    const k = word.dataset.w;
    const twins = (fromSource ? maps.forward : maps.backward).get(k) ?? new Set();
    for (const n of here.querySelectorAll(`.w[data-w="${k}"]`)) n.classList.add('lit-w-self');
    for (const t of twins) for (const n of there.querySelectorAll(`.w[data-w="${t}"]`)) n.classList.add('lit-w');
  };
  for (const pane of panes) {
    pane.addEventListener('mouseover', (e) => {
      if (!pinned) light(e.target.closest?.('.w'));
    });
    pane.addEventListener('mouseleave', () => {
      if (!pinned) clear();
    });
    pane.addEventListener('click', (e) => {
      const word = e.target.closest?.('.w');
      if (!word || pane.querySelector('.editing')) return;
      pinned = pinned === word ? null : word;
      light(pinned ?? word);
    });
  }
  document.addEventListener('keydown', (e) => {
    if (e.key === 'Escape' && pinned) {
      pinned = null;
      clear();
    }
  });

  function shade(r) {
    r.sentences.forEach((s, i) => {
      const cls = confidenceClass(s);
      for (const node of target.querySelectorAll(`.sent[data-s="${i}"]`)) {
        node.classList.remove('conf-low', 'conf-mid', 'conf-high');
        if (!cls) continue;
        node.classList.add(cls);
        const flags = (s.flags ?? []).length ? ` · flags: ${s.flags.join(', ')}` : '';
        node.title = `${node.title} · model confidence ${percent(s.translation_confidence)}${flags}`;
      }
    });
  }

  function listFlagged(r) {
    checkList.replaceChildren();
    const rows = r.sentences.map((s, i) => [s, i]).filter(([s]) => flagged(s))
      .sort(([a], [b]) => (a.translation_confidence ?? 1) - (b.translation_confidence ?? 1));
    for (const [s, i] of rows) {
      const li = el('li', {class: 'check-item'});
      const btn = el('button', {type: 'button', class: 'linklike', 'data-s': i},
        `Sentence ${i + 1}${s.translation_confidence != null ? ` (${percent(s.translation_confidence)})` : ''}`);
      btn.addEventListener('click', () => {
        const node = target.querySelector(`.sent[data-s="${i}"]`);
        if (node) focusSentence(node);
      });
      li.append(btn, ' ', el('span', {class: 'check-flags'}, (s.flags ?? []).join(', ') || 'low confidence'),
        ' ', el('q', {class: 'check-text'}, s.target.text));
      checkList.append(li);
    }
    checkBox.hidden = rows.length === 0;
  }

  return {
    show(r) {
      pinned = null;
      maps = linkMaps(r.sentences);
      markWords(source, r.sentences.flatMap((s) => (s.alignment ?? []).map((l) => l.source)));
      markWords(target, r.sentences.flatMap((s) => (s.alignment ?? []).map((l) => l.target)));
      shade(r);
      listFlagged(r);
    },
    hide() {
      pinned = null;
      checkBox.hidden = true;
    },
  };
}
