// Renders a text with its sentence and quote spans as DOM nodes (text only: never innerHTML),
// and links the two panes: hovering or focusing one sentence or quote lights its twin.

const LANG_NAMES = {pl: 'Polish', lt: 'Lithuanian', en: 'English', other: 'other', und: 'undetermined'};

export function langName(code) {
  return LANG_NAMES[code] ?? code;
}

export function percent(x) {
  return `${(Number(x) * 100).toFixed(x >= 0.9995 || x === 0 ? 0 : 1)}%`;
}

function el(tag, attrs = {}, text) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k === 'class') node.className = v;
    else node.setAttribute(k, v === true ? '' : String(v));
  }
  if (text !== undefined) node.textContent = text;
  return node;
}
export {el};

export function tweetLabel(q) {
  const who = [q.author, q.handle ? `(${q.handle})` : null].filter(Boolean).join(' ');
  return q.kind === 'tweet' ? `Tweet${who ? ` by ${who}` : ''}${q.date ? `, ${q.date}` : ''}`
    : `Quote${q.speaker ? ` (${q.speaker})` : ''}`;
}

/**
 * Fill `pane` with `text`, wrapping sentences (`sentences[i].span`) in focusable spans and quotes
 * (`quotes[j].span`) in <mark>s. Spans are UTF-16 offsets, the unit JavaScript strings index.
 * sentences: [{span, lang, confidence, label}], quotes: [{span, kind, title}]
 */
export function renderPane(pane, text, sentences, quotes) {
  pane.replaceChildren();
  const cuts = new Set([0, text.length]);
  const valid = (s) => s && s.start >= 0 && s.end <= text.length && s.start < s.end;
  for (const s of sentences) if (valid(s.span)) cuts.add(s.span.start).add(s.span.end);
  for (const q of quotes) if (valid(q.span)) cuts.add(q.span.start).add(q.span.end);
  const points = [...cuts].sort((a, b) => a - b);
  let sentEl = null;
  let sentIdx = -1;
  const seenQuote = new Set();
  for (let k = 0; k + 1 < points.length; k++) {
    const [a, b] = [points[k], points[k + 1]];
    const si = sentences.findIndex((s) => valid(s.span) && s.span.start <= a && b <= s.span.end);
    // innermost quote first
    const qs = quotes.map((q, j) => [q, j]).filter(([q]) => valid(q.span) && q.span.start <= a && b <= q.span.end)
      .sort(([x], [y]) => (x.span.end - x.span.start) - (y.span.end - y.span.start));
    if (si !== sentIdx) {
      sentIdx = si;
      if (si >= 0) {
        const s = sentences[si];
        sentEl = el('span', {class: 'sent', 'data-s': si, tabindex: -1, 'data-lang': s.lang,
          'data-badge': `${s.lang} ${percent(s.confidence)}`, title: s.label});
        pane.append(sentEl);
      } else {
        sentEl = null;
      }
    }
    const piece = text.slice(a, b);
    let node = document.createTextNode(piece);
    if (qs.length) {
      const [q, j] = qs[0];
      node = el('mark', {class: `q ${q.kind}`, 'data-q': qs.map(([, i]) => i).join(' '), title: q.title,
        id: seenQuote.has(j) ? null : `${pane.id}-q${j}`}, piece);
      seenQuote.add(j);
    }
    (sentEl ?? pane).append(node);
  }
  const first = pane.querySelector('.sent');
  if (first) first.tabIndex = 0;
}

/** Light every element of both panes that belongs to the same sentence or quote as `target`. */
export function linkPanes(panes, onInfo) {
  const clear = () => {
    for (const p of panes) for (const n of p.querySelectorAll('.lit, .lit-q')) n.classList.remove('lit', 'lit-q');
  };
  const light = (node) => {
    clear();
    if (!node) return;
    const mark = node.closest('mark.q');
    const sent = node.closest('.sent');
    if (sent) {
      for (const p of panes) for (const n of p.querySelectorAll(`.sent[data-s="${sent.dataset.s}"]`)) n.classList.add('lit');
    }
    if (mark) {
      const j = mark.dataset.q.split(' ')[0];
      for (const p of panes) {
        for (const n of p.querySelectorAll('mark.q')) {
          if (n.dataset.q.split(' ').includes(j)) n.classList.add('lit-q');
        }
      }
    }
    onInfo?.(sent, mark);
  };
  for (const pane of panes) {
    pane.addEventListener('mouseover', (e) => light(e.target.closest?.('.sent, mark.q')));
    pane.addEventListener('focusin', (e) => light(e.target));
    pane.addEventListener('mouseleave', () => {
      if (!pane.contains(document.activeElement)) clear();
    });
    pane.addEventListener('keydown', (e) => {
      const sent = e.target.closest?.('.sent');
      if (!sent) return;
      const all = [...pane.querySelectorAll('.sent')];
      const i = all.indexOf(sent);
      let next = null;
      if (e.key === 'ArrowDown' || e.key === 'ArrowRight') next = all[i + 1];
      else if (e.key === 'ArrowUp' || e.key === 'ArrowLeft') next = all[i - 1];
      else if (e.key === 'Home') next = all[0];
      else if (e.key === 'End') next = all[all.length - 1];
      else if (e.key === 'Enter') {
        const other = panes.find((p) => p !== pane);
        next = other?.querySelector(`.sent[data-s="${sent.dataset.s}"]`);
      }
      if (next) {
        e.preventDefault();
        focusSentence(next);
      }
    });
  }
  return {light, clear};
}

/** Move the roving tab stop of a pane to `node` and focus it. */
export function focusSentence(node) {
  const pane = node.closest('.pane');
  for (const n of pane.querySelectorAll('.sent[tabindex="0"]')) n.tabIndex = -1;
  node.tabIndex = 0;
  node.focus({preventScroll: true});
  node.scrollIntoView({block: 'center', behavior: 'smooth'});
}
