// The editor page: paste or drop a text, translate / summarize / detect, see both sides linked.
// User content only ever reaches the DOM as text (textContent, text nodes); translated HTML is
// previewed in a sandboxed iframe without scripts.
import {Newsbridge, NewsbridgeError} from './newsbridge.js';
import {loadGlossaries, markTerms} from './glossary.js';
import {describe} from './messages.js';
import {el, focusSentence, langName, linkPanes, percent, renderPane, tweetLabel} from './render.js';
import {initMemory} from './memory.js';
import {initWords, translateWithLinks} from './words.js';

const KEY_STORE = 'newsbridge.apiKey';
const $ = (id) => document.getElementById(id);
const ui = Object.fromEntries(['text', 'format', 'source_lang', 'target_lang', 'max_sentences', 'file', 'translate',
  'summarize', 'detect', 'cancel', 'status', 'problem', 'problem-title', 'problem-message', 'problem-detail',
  'problem-type', 'summary', 'summary-text', 'quotes', 'quote-list', 'meta', 'meta-list', 'panes', 'pane-tools',
  'show-langs', 'info', 'source', 'target', 'source-lang', 'target-lang', 'target-box', 'html-box', 'preview',
  'html-source', 'keybox', 'keyform', 'apikey', 'forgetkey', 'results', 'glossary'].map((id) => [id, $(id)]));

function storedKey() {
  try {
    return localStorage.getItem(KEY_STORE) || '';
  } catch {
    return '';
  }
}

const client = new Newsbridge({baseUrl: '', apiKey: storedKey(), timeout: 180000});
let running = null;
let lastMode = 'translate';

// ---------- key ----------
function showKeybox(open) {
  ui.keybox.hidden = false;
  if (open) ui.keybox.open = true;
  ui.apikey.value = client.apiKey;
}
ui.keyform.addEventListener('submit', (e) => {
  e.preventDefault();
  client.apiKey = ui.apikey.value.trim();
  try {
    localStorage.setItem(KEY_STORE, client.apiKey);
  } catch { /* private mode: the key lives for this page only */ }
  setStatus(client.apiKey ? 'API key saved in this browser.' : 'No API key set.');
  memory.refresh();
  loadGlossaries(client, ui.glossary);
});
ui.forgetkey.addEventListener('click', () => {
  client.apiKey = '';
  ui.apikey.value = '';
  try {
    localStorage.removeItem(KEY_STORE);
  } catch { /* nothing stored */ }
  setStatus('API key forgotten.');
  memory.refresh();
});
if (client.apiKey) showKeybox(false);
loadGlossaries(client, ui.glossary);

// ---------- status and problems ----------
function setStatus(text) {
  ui.status.textContent = text;
}

function showProblem(err) {
  const d = describe(err);
  ui['problem-title'].textContent = d.title;
  ui['problem-message'].textContent = d.message;
  ui['problem-detail'].textContent = d.detail || '—';
  ui['problem-type'].textContent = [d.type, d.status ? `HTTP ${d.status}` : null, d.requestId ? `request ${d.requestId}` : null]
    .filter(Boolean).join(' · ');
  ui.problem.hidden = false;
  if (d.type === 'unauthorized') showKeybox(true);
}

function clearProblem() {
  ui.problem.hidden = true;
}

// ---------- input: paste, drop, file ----------
async function loadFile(file) {
  if (!file) return;
  ui.text.value = await file.text();
  if (/\.html?$/i.test(file.name) || file.type === 'text/html') ui.format.value = 'html';
  else if (/\.txt$/i.test(file.name) || file.type === 'text/plain') ui.format.value = 'text';
  setStatus(`Loaded ${file.name} (${ui.text.value.length} characters).`);
}
ui.file.addEventListener('change', () => loadFile(ui.file.files[0]));
ui.text.addEventListener('dragover', (e) => {
  e.preventDefault();
  ui.text.classList.add('drop');
});
ui.text.addEventListener('dragleave', () => ui.text.classList.remove('drop'));
ui.text.addEventListener('drop', (e) => {
  ui.text.classList.remove('drop');
  const file = e.dataTransfer?.files?.[0];
  if (file) {
    e.preventDefault();
    loadFile(file);
  }
});

function chosenFormat(text) {
  if (ui.format.value !== 'auto') return ui.format.value;
  return /^\s*</.test(text) && /<\/?[a-z][\w-]*[\s>/]/i.test(text) ? 'html' : 'text';
}

// ---------- run ----------
async function run(mode) {
  running?.abort();
  if (mode !== 'detect') lastMode = mode;
  const ctrl = new AbortController();
  running = ctrl;
  const text = ui.text.value;
  const opts = {sourceLang: ui.source_lang.value, targetLang: ui.target_lang.value, format: chosenFormat(text),
    glossary: ui.glossary.value || undefined, signal: ctrl.signal};
  clearProblem();
  ui.cancel.hidden = false;
  document.body.classList.add('busy');
  setStatus(mode === 'summarize' ? 'Summarizing…' : mode === 'detect' ? 'Detecting languages…' : 'Translating…');
  try {
    if (mode === 'detect') {
      showDetection(await client.detect(text, opts), text);
    } else if (mode === 'summarize') {
      const n = Number.parseInt(ui.max_sentences.value, 10);
      const r = await client.summarize(text, {...opts, maxSentences: Number.isFinite(n) && n > 0 ? n : undefined});
      showTranslation(r.translation, r);
    } else {
      showTranslation(await translateWithLinks(client, text, opts), null);
    }
    setStatus('Done.');
  } catch (err) {
    if (ctrl.signal.aborted) {
      setStatus('Cancelled.');
    } else {
      setStatus('');
      showProblem(err instanceof NewsbridgeError ? err : new NewsbridgeError({detail: String(err)}));
    }
  } finally {
    if (running === ctrl) {
      running = null;
      ui.cancel.hidden = true;
      document.body.classList.remove('busy');
    }
  }
}
ui.translate.addEventListener('click', () => run('translate'));
ui.summarize.addEventListener('click', () => run('summarize'));
ui.detect.addEventListener('click', () => run('detect'));
ui.cancel.addEventListener('click', () => running?.abort());
ui.text.addEventListener('keydown', (e) => {
  if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
    e.preventDefault();
    run(e.shiftKey ? 'summarize' : 'translate');
  }
});

// ---------- results ----------
function sentenceLabel(s, i, n) {
  const parts = [`Sentence ${i + 1} of ${n}`, `${langName(s.lang)} (${s.lang}), confidence ${percent(s.confidence)}`];
  if (s.translated !== undefined) parts.push(s.translated ? 'translated' : 'kept as is');
  if (s.cached) parts.push('from the cache');
  if (s.split) parts.push('split into pieces for the model');
  if (s.terms?.length) parts.push(`${s.terms.length} glossary term(s)`);
  if (s.flags?.length) parts.push(`check: ${s.flags.join(', ')}`);
  return parts.join(' · ');
}

function showTranslation(r, summary) {
  const n = r.sentences.length;
  const sents = (side) => r.sentences.map((s, i) => ({span: s[side], lang: s.lang, confidence: s.confidence,
    label: sentenceLabel(s, i, n)}));
  const quotes = (side) => r.quotes.map((q) => ({span: q[side], kind: q.kind, title: tweetLabel(q)}));
  renderPane(ui.source, r.source_text, sents('source'), quotes('source'));
  renderPane(ui.target, r.translation_text, sents('target'), quotes('target'));
  markTerms(ui.source, r.sentences, 'source');
  markTerms(ui.target, r.sentences, 'target');
  ui.source.lang = r.source_lang === 'und' ? '' : r.source_lang;
  ui.target.lang = r.target_lang;
  ui['source-lang'].textContent = langName(r.source_lang);
  ui['target-lang'].textContent = langName(r.target_lang);
  ui['target-box'].hidden = false;
  ui.panes.hidden = false;
  ui['pane-tools'].hidden = false;
  showHtml(r);
  showSummary(summary);
  showQuotes(r, summary);
  showMeta(r);
  words.show(r);
  memory.show(r);
}

function showHtml(r) {
  const html = r.format === 'html';
  ui['html-box'].hidden = !html;
  ui.preview.srcdoc = html ? r.translation : '';
  ui['html-source'].textContent = html ? r.translation : '';
  if (html && !r.translation_text.trim()) ui['html-box'].open = true;
}

function showDetection(d, input) {
  const segs = d.segments.map((s, i) => ({span: s.span, lang: s.lang, confidence: s.confidence,
    label: `Segment ${i + 1} of ${d.segments.length} · ${langName(s.lang)} (${s.lang}), confidence ${percent(s.confidence)}`}));
  // Spans index the analysed text: the input itself for plain text, the visible text of HTML.
  const same = d.segments.every((s) => input.slice(s.span.start, s.span.end) === s.span.text);
  renderPane(ui.source, same ? input : rebuild(d), segs, []);
  ui['source-lang'].textContent = `${langName(d.lang)}, ${percent(d.confidence)}`;
  ui['target-box'].hidden = true;
  words.hide();
  ui.panes.hidden = false;
  ui['pane-tools'].hidden = false;
  ui['show-langs'].checked = true;
  ui.panes.classList.add('show-langs');
  ui.summary.hidden = true;
  ui.quotes.hidden = true;
  ui.meta.hidden = true;
}

function rebuild(d) {
  let out = '';
  for (const s of d.segments) out = out.padEnd(s.span.start, ' ') + s.span.text;
  return out;
}

function jumpTo(sentenceIndex, quoteIndex) {
  const node = quoteIndex != null ? ui.source.querySelector(`#source-q${quoteIndex}`)?.closest('.sent')
    ?? ui.source.querySelector(`#source-q${quoteIndex}`) : ui.source.querySelector(`.sent[data-s="${sentenceIndex}"]`);
  if (!node) return;
  if (node.classList.contains('sent')) focusSentence(node);
  else node.scrollIntoView({block: 'center'});
  links.light(quoteIndex != null ? ui.source.querySelector(`#source-q${quoteIndex}`) : node);
}

function showSummary(s) {
  ui.summary.hidden = !s;
  ui['summary-text'].replaceChildren();
  if (!s) return;
  s.summary_sentences.forEach((x, i) => {
    if (i) ui['summary-text'].append(' ');
    const btn = el('span', {class: 'sum-sent', role: 'link', tabindex: 0,
      title: `From sentence ${x.sources.map((k) => k + 1).join(', ')} of the original`}, x.summary.text);
    const go = () => jumpTo(x.sources[0], null);
    btn.addEventListener('click', go);
    btn.addEventListener('keydown', (e) => (e.key === 'Enter' || e.key === ' ') && (e.preventDefault(), go()));
    ui['summary-text'].append(btn);
  });
  if (!s.summary_sentences.length) ui['summary-text'].textContent = s.summary;
}

function showQuotes(r, s) {
  const list = ui['quote-list'];
  list.replaceChildren();
  const inSummary = new Set((s?.quotes ?? []).map((q) => `${q.source.start}:${q.source.end}`));
  r.quotes.forEach((q, j) => {
    const li = el('li', {class: `quote-item ${q.kind}`, 'data-q': j});
    const head = el('p', {class: 'quote-head'});
    head.append(el('span', {class: `tag ${q.kind}`}, q.kind === 'tweet' ? 'Tweet' : 'Quote'));
    if (q.kind === 'tweet') {
      if (q.author) head.append(' ', el('strong', {class: 'author'}, q.author));
      if (q.handle) head.append(' ', el('span', {class: 'handle'}, q.handle));
      if (q.date) head.append(' · ', el('time', {class: 'date'}, q.date));
      if (q.url && /^https?:\/\//i.test(q.url)) {
        head.append(' · ', el('a', {href: q.url, rel: 'noopener noreferrer', target: '_blank', class: 'tweet-link'}, 'link'));
      }
    } else if (q.speaker) {
      head.append(' ', el('strong', {class: 'speaker'}, q.speaker));
    }
    if (inSummary.has(`${q.source.start}:${q.source.end}`)) head.append(' ', el('span', {class: 'tag in-summary'}, 'in the summary'));
    li.append(head);
    if (q.target) li.append(el('blockquote', {class: 'quote-target', lang: r.target_lang}, q.target.text));
    const orig = el('p', {class: 'quote-original'});
    orig.append(el('span', {class: 'small'}, `Original (${langName(q.lang)}): `),
      el('q', {lang: q.lang === 'other' ? '' : q.lang, class: 'original-text'}, q.source.text));
    li.append(orig);
    const btn = el('button', {type: 'button', class: 'linklike'}, 'Show in the original');
    btn.addEventListener('click', () => jumpTo(null, j));
    li.append(btn);
    list.append(li);
  });
  ui.quotes.hidden = r.quotes.length === 0;
  // With a summary, its quotes and their originals sit in the summary box.
  if (s) ui.summary.append(ui.quotes);
  else ui.summary.after(ui.quotes);
}

function showMeta(r) {
  const dl = ui['meta-list'];
  dl.replaceChildren();
  const row = (k, v) => dl.append(el('dt', {}, k), el('dd', {}, v));
  row('Languages', `${langName(r.source_lang)} → ${langName(r.target_lang)}`);
  const models = Object.entries(r.model).flatMap(([pair, ms]) => ms.map((m) => `${pair}: ${m.id} (revision ${m.revision}, ${m.checksum})`));
  row('Model', models.length ? models.join('; ') : 'none needed (already in the target language)');
  row('Cache', `${r.cached.hits} hit${r.cached.hits === 1 ? '' : 's'}, ${r.cached.misses} miss${r.cached.misses === 1 ? '' : 'es'}`);
  if (r.memory_hits) row('Memory', `${r.memory_hits} sentence${r.memory_hits === 1 ? '' : 's'} or quote${r.memory_hits === 1 ? '' : 's'} from the translation memory`);
  row('Sentences', `${r.sentences.length} (${r.sentences.filter((s) => s.translated).length} translated)`);
  if (r.warnings.length) row('Warnings', r.warnings.join(' · '));
  ui.meta.hidden = false;
}

const links = linkPanes([ui.source, ui.target], (sent) => {
  if (!sent) return;
  ui.info.textContent = sent.title || '';
});
ui['show-langs'].addEventListener('change', () => ui.panes.classList.toggle('show-langs', ui['show-langs'].checked));
const words = initWords({source: ui.source, target: ui.target, checkBox: $('check'), checkList: $('check-list')});
const memory = initMemory({client, target: ui.target, rerun: () => run(lastMode), setStatus, showProblem});

// ---------- start ----------
memory.refresh();
client.languages().then((l) => {
  const targets = new Set(l.pairs.map((p) => p.target));
  for (const opt of ui.target_lang.options) opt.disabled = !targets.has(opt.value);
}).catch((err) => {
  if (err?.type === 'unauthorized') {
    showKeybox(true);
    setStatus('This server requires an API key: enter it under “API key”.');
  }
});
