// The editor's translation memory loop: correct a translated sentence in place, save it as an
// approved entry (an editor's key) or a suggestion (a translator's key), see it served from memory
// from then on; close entries of the focused sentence, with the words that differ marked; the
// suggestions waiting for approval, approved or rejected from here. Keyboard: F2 (or double-click)
// edits the focused sentence of the translation, Enter saves, Escape cancels.
// User content reaches the DOM as text only.
import {el} from './render.js';

const $ = (id) => document.getElementById(id);

/** Word-level diff: the indices of `words` that are not in a longest common subsequence with `other`. */
export function differing(words, other) {
  const n = words.length;
  const m = other.length;
  const lcs = Array.from({length: n + 1}, () => new Array(m + 1).fill(0));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      lcs[i][j] = words[i] === other[j] ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
    }
  }
  const out = new Set();
  let i = 0;
  let j = 0;
  while (i < n) {
    if (j < m && words[i] === other[j]) {
      i++;
      j++;
    } else if (j < m && lcs[i][j + 1] >= lcs[i + 1][j]) {
      j++;
    } else {
      out.add(i);
      i++;
    }
  }
  return out;
}

/** `text` as nodes, its words that are not in `against` wrapped in <mark class="diff">. */
function marked(text, against) {
  const parts = text.split(/(\s+)/);
  const words = parts.filter((_, k) => k % 2 === 0);
  const differ = differing(words, against.split(/\s+/).filter(Boolean));
  const frag = document.createDocumentFragment();
  parts.forEach((part, k) => {
    if (k % 2 === 1 || !part) frag.append(part);
    else if (differ.has(k / 2)) frag.append(el('mark', {class: 'diff'}, part));
    else frag.append(part);
  });
  return frag;
}

function when(iso) {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? '' : d.toISOString().slice(0, 16).replace('T', ' ');
}

/**
 * Wire the memory loop into the page.
 * @param {object} o
 * @param {import('./newsbridge.js').Newsbridge} o.client
 * @param {HTMLElement} o.target the translation pane
 * @param {() => Promise<void>} o.rerun translate the current text again
 * @param {(text: string) => void} o.setStatus
 * @param {(err: Error) => void} o.showProblem
 */
export function initMemory({client, target, rerun, setStatus, showProblem}) {
  const box = $('memory');
  const accessLine = $('memory-access');
  const closeBox = $('memory-close');
  const closeList = $('memory-close-list');
  const waitingBox = $('memory-waiting');
  const waitingList = $('memory-waiting-list');
  const saveBtn = $('memory-save');
  const cancelBtn = $('memory-cancel');
  let access = {role: 'editor', may_approve: true, name: null};
  let result = null;
  let editing = null; // {node, index, original}
  let focusAfter = null;

  async function refresh() {
    try {
      access = await client.request('GET', '/v1/memory/me');
    } catch {
      access = {role: 'translator', may_approve: false, name: null};
    }
    accessLine.textContent = access.may_approve
      ? 'Your corrections are stored as approved entries: every translation of the sentence uses them from now on.'
      : `Your key (${access.role}) stores corrections as suggestions; an editor's key approves them.`;
    await loadWaiting();
  }

  async function loadWaiting() {
    let page;
    try {
      page = await client.request('GET', '/v1/memory?status=suggested&limit=50');
    } catch {
      waitingBox.hidden = true;
      return;
    }
    waitingList.replaceChildren();
    for (const e of page.entries) {
      const li = el('li', {class: 'waiting-item', 'data-id': e.id});
      li.append(el('p', {class: 'pair'}, ''));
      li.firstChild.append(el('span', {class: 'tag'}, `${e.source_lang} → ${e.target_lang}`), ' ',
        el('q', {lang: e.source_lang}, e.source), ' → ', el('q', {lang: e.target_lang, class: 'suggested'}, e.target));
      li.append(el('p', {class: 'small'}, `suggested by ${e.created_by ?? 'anonymous'}, ${when(e.updated_at)}`));
      if (access.may_approve) {
        const approve = el('button', {type: 'button', class: 'approve'}, 'Approve');
        const reject = el('button', {type: 'button', class: 'reject'}, 'Reject');
        approve.addEventListener('click', () => decide(e, 'approve'));
        reject.addEventListener('click', () => decide(e, 'reject'));
        li.append(approve, ' ', reject);
      } else {
        li.append(el('p', {class: 'small'}, 'Waiting for an editor.'));
      }
      waitingList.append(li);
    }
    $('memory-waiting-count').textContent = String(page.total);
    waitingBox.hidden = page.total === 0;
    box.hidden = false;
  }

  async function decide(entry, action) {
    try {
      await client.request('POST', `/v1/memory/${entry.id}/${action}`);
    } catch (err) {
      showProblem(err);
      return;
    }
    await loadWaiting();
    if (action === 'approve' && result) {
      await rerun();
      setStatus(`Approved entry ${entry.id}: translated again with it.`);
    } else {
      setStatus(action === 'approve' ? `Approved entry ${entry.id}.` : `Rejected suggestion ${entry.id}.`);
    }
    (waitingList.querySelector('button') ?? $('memory-refresh')).focus();
  }

  function sentenceOf(node) {
    const i = Number(node?.dataset?.s);
    return Number.isInteger(i) && result ? [i, result.sentences[i]] : [null, null];
  }

  function decorate() {
    for (const node of target.querySelectorAll('.sent')) {
      const [, s] = sentenceOf(node);
      if (!s) continue;
      node.classList.toggle('from-memory', s.origin === 'memory');
      node.classList.toggle('has-suggestions', (s.suggestions ?? []).length > 0);
      if (s.origin === 'memory' && s.memory) {
        node.title += ` · from the translation memory (entry ${s.memory.id}${s.memory.who ? `, by ${s.memory.who}` : ''}`
          + `, ${when(s.memory.when)})`;
        node.dataset.memory = String(s.memory.id);
      }
      if (s.translated) node.dataset.editable = '';
    }
  }

  function showClose(node) {
    const [i, s] = sentenceOf(node);
    closeList.replaceChildren();
    const list = s?.suggestions ?? [];
    closeBox.hidden = list.length === 0;
    if (!list.length) return;
    $('memory-close-for').textContent = `sentence ${i + 1}`;
    for (const x of list) {
      const li = el('li', {class: 'close-item'});
      const head = el('p', {class: 'close-head'});
      head.append(el('span', {class: 'score', title: 'similarity of its source to the sentence'}, `${x.score}%`), ' ',
        el('span', {class: 'tag'}, x.status), x.who ? ` by ${x.who}` : '');
      const src = el('p', {class: 'close-source', lang: s.lang});
      src.append(marked(x.source, s.source.text));
      const use = el('button', {type: 'button', class: 'use'}, 'Use this translation');
      use.addEventListener('click', () => {
        const sent = target.querySelector(`.sent[data-s="${i}"]`);
        if (sent) startEdit(sent, x.target);
      });
      li.append(head, src, el('p', {class: 'close-target', lang: result.target_lang}, x.target), use);
      closeList.append(li);
    }
  }

  function startEdit(node, text) {
    const [i, s] = sentenceOf(node);
    if (!s || !s.translated || editing) return;
    editing = {node, index: i, original: node.textContent};
    node.contentEditable = 'plaintext-only';
    node.classList.add('editing');
    if (text !== undefined) node.textContent = text;
    node.focus();
    const range = document.createRange();
    range.selectNodeContents(node);
    const sel = window.getSelection();
    sel.removeAllRanges();
    sel.addRange(range);
    saveBtn.hidden = cancelBtn.hidden = false;
    box.hidden = false;
    setStatus(`Editing sentence ${i + 1}: Enter saves it to the translation memory, Escape cancels.`);
  }

  function stopEdit(restore) {
    if (!editing) return null;
    const {node, original} = editing;
    const text = node.textContent.replace(/\s+/g, ' ').trim();
    node.contentEditable = 'false';
    node.removeAttribute('contenteditable');
    node.classList.remove('editing');
    if (restore) node.textContent = original;
    saveBtn.hidden = cancelBtn.hidden = true;
    const done = {...editing, text};
    editing = null;
    return done;
  }

  async function save() {
    const done = stopEdit(false);
    if (!done) return;
    const s = result.sentences[done.index];
    if (!done.text || done.text === done.original.trim()) {
      done.node.textContent = done.original;
      setStatus('Nothing changed.');
      done.node.focus();
      return;
    }
    const status = access.may_approve ? 'approved' : 'suggested';
    let entry;
    try {
      entry = await client.request('POST', '/v1/memory', {source_lang: s.lang, target_lang: result.target_lang,
        source: s.source.text, target: done.text, status, origin: 'editor'});
    } catch (err) {
      done.node.textContent = done.original;
      showProblem(err);
      return;
    }
    if (status === 'suggested') {
      done.node.textContent = done.original;
      await loadWaiting();
      setStatus(`Suggestion ${entry.id} stored: an editor's key approves it.`);
      done.node.focus();
      return;
    }
    focusAfter = done.index;
    await rerun();
    setStatus(`Saved to the translation memory (entry ${entry.id}) and translated again.`);
  }

  function cancel() {
    const done = stopEdit(true);
    if (done) {
      setStatus('Edit cancelled.');
      done.node.focus();
    }
  }

  // capture phase: before the pane's own keys (arrows move, Enter jumps to the twin)
  target.addEventListener('keydown', (e) => {
    if (editing) {
      if (e.target !== editing.node) return;
      e.stopPropagation();
      if (e.key === 'Enter' && !e.shiftKey) {
        e.preventDefault();
        save();
      } else if (e.key === 'Escape') {
        e.preventDefault();
        cancel();
      }
      return;
    }
    const node = e.target.closest?.('.sent');
    if (node && e.key === 'F2') {
      e.preventDefault();
      e.stopPropagation();
      startEdit(node);
    }
  }, true);
  target.addEventListener('dblclick', (e) => {
    const node = e.target.closest?.('.sent');
    if (node && !editing) startEdit(node);
  });
  target.addEventListener('focusin', (e) => {
    if (!editing) showClose(e.target.closest?.('.sent'));
  });
  saveBtn.addEventListener('click', save);
  cancelBtn.addEventListener('click', cancel);
  $('memory-refresh').addEventListener('click', loadWaiting);

  return {
    refresh,
    /** A new translation is on screen. */
    show(r) {
      editing = null;
      saveBtn.hidden = cancelBtn.hidden = true;
      result = r;
      box.hidden = false;
      decorate();
      closeBox.hidden = true;
      if (focusAfter !== null) {
        const node = target.querySelector(`.sent[data-s="${focusAfter}"]`);
        focusAfter = null;
        if (node) {
          for (const n of target.querySelectorAll('.sent[tabindex="0"]')) n.tabIndex = -1;
          node.tabIndex = 0;
          node.focus({preventScroll: true});
        }
      }
    },
  };
}
