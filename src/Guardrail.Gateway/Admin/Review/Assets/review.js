// Guardrail review page. Everything a decision holds came from a client or a model and is hostile: it is only ever
// put into the page as text (textContent), never as HTML. The admin key lives in sessionStorage and travels only in
// the Authorization header, never in a URL.
'use strict';
(() => {
  const base = document.querySelector('meta[name="guardrail-base"]').content;
  const api = base + '/admin/v1';
  const keyStorage = 'guardrail.adminKey';
  const reviewerStorage = 'guardrail.reviewer';
  const pageSize = 50;
  const labelNames = { false_positive: 'false positive', false_negative: 'false negative', confirmed: 'confirmed' };
  const $ = (id) => document.getElementById(id);

  const state = { rows: [], selected: -1, cursor: null, newer: [], next: null, total: 0, open: null, query: new URLSearchParams() };

  class SignedOut extends Error {}

  async function call(path, options = {}) {
    const key = sessionStorage.getItem(keyStorage);
    if (!key) throw new SignedOut();
    const headers = Object.assign({ Authorization: 'Bearer ' + key }, options.headers || {});
    const response = await fetch(api + path, Object.assign({}, options, { headers, cache: 'no-store', credentials: 'omit' }));
    if (response.status === 401 || response.status === 403) {
      const message = await errorText(response);
      signOut(message);
      throw new SignedOut(message);
    }
    if (!response.ok) throw new Error(await errorText(response));
    return response;
  }

  async function errorText(response) {
    try {
      const body = await response.json();
      return body.error.message;
    } catch {
      return 'The gateway answered HTTP ' + response.status + '.';
    }
  }

  function say(message, isError) {
    const status = $('status');
    status.textContent = message;
    status.classList.toggle('error', Boolean(isError));
    clearTimeout(say.timer);
    if (message && !isError) say.timer = setTimeout(() => { status.textContent = ''; }, 4000);
  }

  function fail(error) {
    if (!(error instanceof SignedOut)) say(error.message, true);
  }

  // ---- signing in and out

  function signedIn() { return Boolean(sessionStorage.getItem(keyStorage)); }

  function showApp(visible) {
    $('login').hidden = visible;
    $('app').hidden = !visible;
    $('who').hidden = !visible;
  }

  async function signIn(event) {
    event.preventDefault();
    const input = $('admin-key');
    sessionStorage.setItem(keyStorage, input.value.trim());
    input.value = '';
    $('login-error').textContent = '';
    try {
      await call('/stats');
      showApp(true);
      await reload();
      $('decisions').focus();
    } catch (error) {
      if (!(error instanceof SignedOut)) {
        sessionStorage.removeItem(keyStorage);
        $('login-error').textContent = error.message;
      }
    }
  }

  function signOut(message) {
    sessionStorage.removeItem(keyStorage);
    showApp(false);
    closeDetail();
    state.rows = [];
    renderRows();
    $('summary').textContent = '';
    $('login-error').textContent = message || '';
    $('admin-key').focus();
  }

  // ---- filters, listing and paging

  function readFilters() {
    const query = new URLSearchParams();
    for (const element of $('filters').elements) {
      if (!element.name) continue;
      const value = element.value.trim();
      if (!value) continue;
      if (element.name === 'label' && value === 'unlabelled') {
        query.set('unlabelled', 'true');
      } else if (element.type === 'datetime-local') {
        const time = new Date(value);
        if (!Number.isNaN(time.getTime())) query.set(element.name, time.toISOString());
      } else {
        query.set(element.name, value);
      }
    }
    return query;
  }

  async function reload() {
    state.query = readFilters();
    state.cursor = null;
    state.newer = [];
    await Promise.all([loadPage(), loadSummary()]);
  }

  async function loadPage() {
    const query = new URLSearchParams(state.query);
    query.set('limit', String(pageSize));
    if (state.cursor) query.set('after', state.cursor);
    const page = await (await call('/decisions?' + query)).json();
    state.rows = page.data;
    state.next = page.next_cursor;
    state.total = page.total;
    state.selected = state.rows.length > 0 ? 0 : -1;
    renderRows();
  }

  async function loadSummary() {
    const stats = await (await call('/stats?' + state.query)).json();
    const parts = [count(stats.total, 'decision')];
    if (stats.by_action.block) parts.push(stats.by_action.block + ' blocked');
    if (stats.by_action.flag) parts.push(stats.by_action.flag + ' flagged');
    parts.push(stats.unlabelled + ' unlabelled');
    $('summary').textContent = parts.join(' · ');
  }

  function count(n, noun) { return n + ' ' + noun + (n === 1 ? '' : 's'); }

  async function older() {
    if (!state.next) return;
    state.newer.push(state.cursor);
    state.cursor = state.next;
    await loadPage();
  }

  async function newer() {
    if (state.newer.length === 0) return;
    state.cursor = state.newer.pop();
    await loadPage();
  }

  // ---- rendering

  function cell(row, text, className) {
    const td = document.createElement('td');
    td.textContent = text;
    if (className) td.className = className;
    row.append(td);
    return td;
  }

  function badge(td, text, className) {
    td.textContent = '';
    const span = document.createElement('span');
    span.className = 'badge ' + className;
    span.textContent = text;
    td.append(span);
  }

  function localTime(iso) {
    const t = new Date(iso);
    const pad = (n) => String(n).padStart(2, '0');
    return t.getFullYear() + '-' + pad(t.getMonth() + 1) + '-' + pad(t.getDate()) + ' ' + pad(t.getHours()) + ':' + pad(t.getMinutes()) + ':' + pad(t.getSeconds());
  }

  function score(decision) { return Number(decision.unsafe_probability).toFixed(3); }

  function rowFor(decision, index) {
    const row = document.createElement('tr');
    row.dataset.index = String(index);
    row.dataset.id = decision.id;
    const time = cell(row, localTime(decision.time), 'time');
    time.title = decision.time;
    cell(row, decision.tenant);
    cell(row, decision.route);
    cell(row, decision.direction);
    badge(cell(row, ''), decision.action, 'action-' + decision.action);
    cell(row, decision.categories.join(' '));
    cell(row, score(decision), 'num');
    cell(row, decision.policy_id);
    const label = cell(row, decision.label ? labelNames[decision.label] : '—', decision.label ? 'label' : 'label label-none');
    if (decision.reviewer) label.title = 'by ' + decision.reviewer;
    row.setAttribute('aria-selected', String(index === state.selected));
    return row;
  }

  function renderRows() {
    const body = $('rows');
    body.replaceChildren(...state.rows.map(rowFor));
    $('empty').hidden = state.rows.length > 0;
    const first = state.newer.length * pageSize;
    $('range').textContent = state.rows.length === 0 ? '' : (first + 1) + '–' + (first + state.rows.length) + ' of ' + state.total;
    $('prev').disabled = state.newer.length === 0;
    $('next').disabled = !state.next;
  }

  function select(index) {
    if (state.rows.length === 0) return;
    state.selected = Math.max(0, Math.min(state.rows.length - 1, index));
    for (const row of $('rows').children) {
      row.setAttribute('aria-selected', String(Number(row.dataset.index) === state.selected));
    }
    const row = $('rows').children[state.selected];
    row.scrollIntoView({ block: 'nearest' });
  }

  function fact(list, name, value) {
    const dt = document.createElement('dt');
    dt.textContent = name;
    const dd = document.createElement('dd');
    dd.textContent = value === null || value === undefined || value === '' ? '—' : String(value);
    list.append(dt, dd);
    return dd;
  }

  function renderDetail(d) {
    $('detail-title').textContent = d.action + ' · ' + d.direction + ' · ' + (d.categories.join(' ') || 'no category');
    const facts = $('facts');
    facts.replaceChildren();
    fact(facts, 'Decision', d.id);
    fact(facts, 'Time', localTime(d.time) + ' (' + d.time + ')');
    fact(facts, 'Tenant', d.tenant + (d.key_id ? ' (key ' + d.key_id + ')' : ''));
    fact(facts, 'Route / model', d.route + ' / ' + d.model);
    fact(facts, 'Verdict', d.verdict + (d.categories.length ? ' ' + d.categories.join(' ') : ''));
    fact(facts, 'Action', d.action);
    fact(facts, 'Score / threshold', score(d) + ' / ' + d.threshold);
    // The version is a content hash: its first 12 digits tell versions apart; the whole hash is in the tooltip.
    fact(facts, 'Policy', d.policy_id + ' @ ' + d.policy_version.slice(0, 12)).title = d.policy_version;
    fact(facts, 'Shadow action', d.shadow_action);
    fact(facts, 'Classifier', (d.classifier_model || '—') + ', ' + Number(d.classification_latency_ms).toFixed(1) + ' ms'
      + (d.cache_hit ? ', cached' : '') + (d.truncated ? ', truncated' : ''));
    fact(facts, 'Request id', d.request_id);
    fact(facts, 'Content kept', d.content_retention);
    const conversation = $('conversation');
    conversation.textContent = d.content !== null ? d.content : 'Content not kept (' + (d.content_retention || 'none') + ' retention); SHA-256 ' + d.content_hash;
    conversation.classList.toggle('missing', d.content === null);
    $('current-label').textContent = d.label
      ? 'Labelled ' + labelNames[d.label] + ' by ' + d.reviewer + (d.labelled_at ? ' at ' + localTime(d.labelled_at) : '')
        + (d.label_categories.length ? ' (' + d.label_categories.join(' ') + ')' : '') + (d.label_note ? ': ' + d.label_note : '')
      : 'Not labelled yet.';
    $('note').value = d.label_note || '';
    $('label-categories').value = d.label_categories.join(' ');
  }

  async function openSelected() {
    const decision = state.rows[state.selected];
    if (!decision) return;
    const fresh = await (await call('/decisions/' + encodeURIComponent(decision.id))).json();
    state.open = fresh.id;
    renderDetail(fresh);
    const detail = $('detail');
    const wasHidden = detail.hidden;
    detail.hidden = false;
    if (wasHidden) detail.focus();
  }

  function closeDetail() {
    state.open = null;
    $('detail').hidden = true;
  }

  // ---- labelling and export

  async function label(kind) {
    const decision = state.rows[state.selected];
    if (!decision) return;
    const reviewer = $('reviewer').value.trim();
    if (!reviewer) {
      say('Enter your name as reviewer first.', true);
      $('reviewer').focus();
      return;
    }
    localStorage.setItem(reviewerStorage, reviewer);
    const open = state.open === decision.id;
    const body = { label: kind, reviewer };
    if (open) {
      const note = $('note').value.trim();
      if (note) body.note = note;
      const categories = $('label-categories').value.split(/[\s,]+/).filter(Boolean);
      if (kind === 'false_negative' && categories.length) body.categories = categories;
    }
    const response = await call('/decisions/' + encodeURIComponent(decision.id) + '/label', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    });
    const updated = await response.json();
    state.rows[state.selected] = updated;
    $('rows').children[state.selected].replaceWith(rowFor(updated, state.selected));
    if (open) renderDetail(updated);
    say('Labelled ' + labelNames[kind] + '.');
    loadSummary().catch(fail);
  }

  async function exportAs(format) {
    const query = new URLSearchParams(state.query);
    query.set('format', format);
    const response = await call('/decisions/export?' + query);
    const blob = await response.blob();
    const disposition = response.headers.get('Content-Disposition') || '';
    const match = /filename="([^"]+)"/.exec(disposition);
    const link = document.createElement('a');
    link.href = URL.createObjectURL(blob);
    link.download = match ? match[1] : 'guardrail-decisions.' + format;
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(link.href), 60000);
    say('Exported ' + link.download + '.');
  }

  // ---- keyboard

  function onKey(event) {
    if (!signedIn() || $('app').hidden || event.ctrlKey || event.metaKey || event.altKey) return;
    const target = event.target;
    const typing = target.closest && target.closest('input, textarea, select');
    if (event.key === 'Escape') {
      if (typing) target.blur();
      else if (state.open) {
        closeDetail();
      }
      return;
    }
    if (typing || (event.key === 'Enter' && target.closest && target.closest('button, a'))) return;
    // With the detail open, moving shows the next decision at once: reviewers walk a queue.
    const move = (step) => {
      select(state.selected + step);
      return state.open ? openSelected() : undefined;
    };
    const actions = {
      j: () => move(1),
      ArrowDown: () => move(1),
      k: () => move(-1),
      ArrowUp: () => move(-1),
      Enter: openSelected,
      1: () => label('false_positive'),
      2: () => label('false_negative'),
      3: () => label('confirmed'),
      n: older,
      p: newer,
      '/': () => $('f-search').focus(),
    };
    const action = actions[event.key];
    if (!action) return;
    event.preventDefault();
    Promise.resolve(action()).catch(fail);
  }

  // ---- wiring

  function start() {
    $('login-form').addEventListener('submit', (e) => { signIn(e).catch(fail); });
    $('sign-out').addEventListener('click', () => signOut('Signed out.'));
    // After applying filters the table takes the focus, so j/k and Enter work at once.
    $('filters').addEventListener('submit', (e) => { e.preventDefault(); reload().then(() => $('decisions').focus()).catch(fail); });
    $('filters').addEventListener('reset', () => { setTimeout(() => reload().catch(fail), 0); });
    $('prev').addEventListener('click', () => newer().catch(fail));
    $('next').addEventListener('click', () => older().catch(fail));
    $('close').addEventListener('click', closeDetail);
    $('rows').addEventListener('click', (e) => {
      const row = e.target.closest('tr');
      if (!row) return;
      select(Number(row.dataset.index));
      openSelected().catch(fail);
    });
    for (const button of document.querySelectorAll('[data-label]')) {
      button.addEventListener('click', () => label(button.dataset.label).catch(fail));
    }
    for (const button of document.querySelectorAll('[data-format]')) {
      button.addEventListener('click', () => exportAs(button.dataset.format).catch(fail));
    }
    document.addEventListener('keydown', onKey);
    $('reviewer').value = localStorage.getItem(reviewerStorage) || '';
    $('reviewer').addEventListener('change', () => localStorage.setItem(reviewerStorage, $('reviewer').value.trim()));

    if (signedIn()) {
      showApp(true);
      reload().catch(fail);
    } else {
      showApp(false);
      $('admin-key').focus();
    }
  }

  start();
})();
