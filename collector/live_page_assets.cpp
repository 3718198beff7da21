// The live page (GET /, /live.js, /live.css), served by the collector itself: no CDN, no web
// fonts, so it works offline. Event fields are user data: the script puts them in the page
// with textContent only, never as markup.

#include "live_page.h"

namespace seglog::loopback {

const char *const live_page_html = R"html(<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>seglog collector: live events</title>
<link rel="stylesheet" href="/live.css">
</head>
<body>
<header>
  <h1>seglog collector</h1>
  <span id="connection" class="conn">connecting</span>
  <span id="plan" class="plan" hidden></span>
  <span class="endpoint">POST <code id="endpoint"></code></span>
</header>
<section id="counters" aria-label="counters">
  <div class="counter"><b id="c-requests">0</b><span>requests</span></div>
  <div class="counter"><b id="c-events">0</b><span>events</span></div>
  <div class="counter"><b id="c-duplicates">0</b><span>duplicates</span></div>
  <div class="counter"><b id="c-failures">0</b><span>failures injected</span></div>
  <div class="counter"><b id="c-dropped">0</b><span id="c-dropped-label">dropped</span></div>
</section>
<section id="toolbar" aria-label="filters">
  <select id="f-type" aria-label="type">
    <option value="">all types</option>
    <option>track</option><option>identify</option><option>page</option>
    <option>screen</option><option>group</option><option>alias</option>
  </select>
  <input id="f-name" type="search" placeholder="event or name" aria-label="event or name">
  <input id="f-user" type="search" placeholder="userId or anonymousId" aria-label="user">
  <button id="pause" type="button">Pause</button>
  <span id="shown"></span>
</section>
<main>
  <div class="list">
    <table id="events">
      <thead><tr><th>time</th><th>type</th><th>event / name</th><th>user</th><th>plan</th><th>answer</th></tr></thead>
      <tbody id="rows"></tbody>
    </table>
    <p id="empty">No events yet.</p>
  </div>
  <aside id="detail" hidden>
    <div class="detail-head"><span id="detail-title"></span><button id="detail-close" type="button" aria-label="close">&times;</button></div>
    <div id="detail-check"></div>
    <pre id="json"></pre>
  </aside>
</main>
<script src="/live.js"></script>
</body>
</html>
)html";

const char *const live_page_js = R"js('use strict';
(() => {
  const $ = (id) => document.getElementById(id);
  const rows = $('rows');
  let max = 1000;
  let validating = false;
  let paused = false;
  let pending = []; // entries that arrived while paused, oldest first
  let selected = null;

  const isObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);
  const field = (e, k) => (isObject(e) ? e[k] : undefined);
  const text = (v) => (v === undefined || v === null ? '' : typeof v === 'string' ? v : JSON.stringify(v));
  const pad = (n, w) => String(n).padStart(w, '0');

  function clock(iso) {
    const d = new Date(iso);
    if (isNaN(d.getTime())) return text(iso);
    return pad(d.getHours(), 2) + ':' + pad(d.getMinutes(), 2) + ':' + pad(d.getSeconds(), 2) + '.' +
      pad(d.getMilliseconds(), 3);
  }

  function nameOf(e) {
    const v = field(e, 'event');
    return text(v !== undefined ? v : field(e, 'name'));
  }

  function userOf(e) {
    const id = field(e, 'userId');
    if (id !== undefined && id !== null && id !== '') return text(id);
    const anon = field(e, 'anonymousId');
    return anon !== undefined && anon !== null ? text(anon) : '';
  }

  function cell(tr, value, cls) {
    const td = document.createElement('td');
    td.textContent = value;
    if (cls) td.className = cls;
    tr.appendChild(td);
    return td;
  }

  function badge(parent, label, cls, title) {
    const span = document.createElement('span');
    span.className = 'badge ' + cls;
    span.textContent = label;
    if (title) span.title = title;
    parent.appendChild(span);
  }

  function makeRow(entry) {
    const e = entry.event;
    const tr = document.createElement('tr');
    tr.dataset.seq = String(entry.seq);
    cell(tr, clock(entry.received), 'time');
    cell(tr, text(field(e, 'type')), 'type');
    cell(tr, nameOf(e), 'name');
    const user = cell(tr, userOf(e), 'user');
    if (userOf(e) !== '' && (field(e, 'userId') === undefined || field(e, 'userId') === null || field(e, 'userId') === ''))
      user.classList.add('anonymous');
    const plan = cell(tr, '', 'check');
    if (validating && entry.check) {
      if (entry.check.valid) badge(plan, 'valid', 'valid');
      else badge(plan, 'invalid', 'invalid', text(entry.check.errors));
    }
    const answer = cell(tr, '', 'answer');
    const ok = entry.status >= 200 && entry.status < 300;
    badge(answer, entry.status === 0 ? 'reset' : String(entry.status), ok ? 'ok' : 'failed');
    tr.entry = entry;
    tr.addEventListener('click', () => openDetail(tr));
    return tr;
  }

  function matches(entry) {
    const e = entry.event;
    const type = $('f-type').value;
    if (type && text(field(e, 'type')) !== type) return false;
    const name = $('f-name').value.trim().toLowerCase();
    if (name && !nameOf(e).toLowerCase().includes(name)) return false;
    const user = $('f-user').value.trim().toLowerCase();
    if (user) {
      const ids = [field(e, 'userId'), field(e, 'anonymousId')].map((v) => text(v).toLowerCase());
      if (!ids.some((v) => v.includes(user))) return false;
    }
    return true;
  }

  function refreshShown() {
    let shown = 0;
    for (const tr of rows.children) if (!tr.hidden) ++shown;
    const total = rows.children.length;
    $('shown').textContent = shown === total ? total + ' shown' : shown + ' of ' + total + ' shown';
    $('empty').hidden = total > 0;
  }

  function applyFilters() {
    for (const tr of rows.children) tr.hidden = !matches(tr.entry);
    refreshShown();
  }

  // Newest first: each entry goes on top; beyond `max` the oldest rows go.
  function add(entries) {
    for (const entry of entries) {
      const tr = makeRow(entry);
      tr.hidden = !matches(entry);
      rows.insertBefore(tr, rows.firstChild);
    }
    while (rows.children.length > max) rows.removeChild(rows.lastChild);
    refreshShown();
  }

  function setCounters(c) {
    for (const k of ['requests', 'events', 'duplicates', 'failures', 'dropped'])
      $('c-' + k).textContent = String(c[k] ?? 0);
    $('c-dropped-label').textContent = 'dropped (keeping the last ' + max + ')';
  }

  function pauseLabel() {
    $('pause').textContent = paused ? 'Resume' + (pending.length ? ' (' + pending.length + ' new)' : '') : 'Pause';
    $('pause').classList.toggle('paused', paused);
  }

  function openDetail(tr) {
    if (selected) selected.classList.remove('selected');
    selected = tr;
    tr.classList.add('selected');
    const entry = tr.entry;
    const e = entry.event;
    $('detail-title').textContent = [text(field(e, 'type')), nameOf(e)].filter((s) => s).join(' ') || 'event';
    const check = $('detail-check');
    check.replaceChildren();
    if (validating && entry.check) {
      badge(check, entry.check.valid ? 'valid' : 'invalid', entry.check.valid ? 'valid' : 'invalid');
      if (!entry.check.valid) {
        const why = document.createElement('span');
        why.className = 'why';
        why.textContent = text(entry.check.errors);
        check.appendChild(why);
      }
    }
    $('json').textContent = JSON.stringify(e, null, 2);
    $('detail').hidden = false;
  }

  function closeDetail() {
    if (selected) selected.classList.remove('selected');
    selected = null;
    $('detail').hidden = true;
  }

  function onSnapshot(s) {
    max = s.max;
    validating = s.validating;
    $('plan').hidden = !s.plan;
    $('plan').textContent = s.plan ? 'plan: ' + s.plan : '';
    closeDetail();
    rows.replaceChildren();
    pending = [];
    pauseLabel();
    add(s.entries);
    setCounters(s.counters);
  }

  function onUpdate(u) {
    setCounters(u.counters);
    if (paused) {
      pending.push(...u.entries);
      if (pending.length > max) pending.splice(0, pending.length - max);
      pauseLabel();
    } else {
      add(u.entries);
    }
  }

  $('endpoint').textContent = location.origin + '/v1/batch';
  for (const id of ['f-type', 'f-name', 'f-user']) $(id).addEventListener('input', applyFilters);
  $('pause').addEventListener('click', () => {
    paused = !paused;
    if (!paused) {
      const list = pending;
      pending = [];
      add(list);
    }
    pauseLabel();
  });
  $('detail-close').addEventListener('click', closeDetail);
  document.addEventListener('keydown', (ev) => { if (ev.key === 'Escape') closeDetail(); });

  const source = new EventSource('/events');
  const conn = $('connection');
  source.addEventListener('open', () => { conn.textContent = 'live'; conn.className = 'conn live'; });
  source.addEventListener('error', () => { conn.textContent = 'reconnecting'; conn.className = 'conn down'; });
  source.addEventListener('snapshot', (ev) => onSnapshot(JSON.parse(ev.data)));
  source.addEventListener('update', (ev) => onUpdate(JSON.parse(ev.data)));
  refreshShown();
})();
)js";

const char *const live_page_css = R"css(:root {
  --fg: #1d2330; --muted: #667085; --line: #e4e7ec; --bg: #f8f9fb; --accent: #3b5bdb;
  --ok: #1a7f37; --ok-bg: #dafbe1; --bad: #b42318; --bad-bg: #fee4e2;
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
  font-size: 14px; color: var(--fg); background: var(--bg);
}
* { box-sizing: border-box; }
body { margin: 0; }
header { display: flex; align-items: center; gap: 12px; padding: 10px 16px; background: #fff;
  border-bottom: 1px solid var(--line); }
h1 { font-size: 16px; margin: 0; }
.conn { font-size: 12px; padding: 2px 8px; border-radius: 10px; background: var(--line); color: var(--muted); }
.conn.live { background: var(--ok-bg); color: var(--ok); }
.conn.down { background: var(--bad-bg); color: var(--bad); }
.plan { font-size: 12px; color: var(--muted); }
.endpoint { margin-left: auto; color: var(--muted); font-size: 12px; }
code, pre, td.time { font-family: ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace; }
#counters { display: flex; gap: 12px; padding: 12px 16px 4px; flex-wrap: wrap; }
.counter { background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: 6px 12px; min-width: 110px; }
.counter b { display: block; font-size: 18px; }
.counter span { color: var(--muted); font-size: 12px; }
#toolbar { display: flex; gap: 8px; padding: 8px 16px; align-items: center; }
#toolbar input, #toolbar select, #toolbar button { font: inherit; padding: 5px 8px; border: 1px solid var(--line);
  border-radius: 5px; background: #fff; }
#toolbar input { width: 200px; }
#toolbar button { cursor: pointer; min-width: 90px; }
#toolbar button.paused { background: #fff4e5; border-color: #f59f00; }
#shown { color: var(--muted); font-size: 12px; margin-left: auto; }
main { display: flex; gap: 12px; padding: 0 16px 16px; align-items: flex-start; }
.list { flex: 1 1 60%; min-width: 0; background: #fff; border: 1px solid var(--line); border-radius: 6px; overflow: auto;
  max-height: calc(100vh - 190px); }
table { border-collapse: collapse; width: 100%; }
th { position: sticky; top: 0; background: #fff; text-align: left; font-weight: 600; color: var(--muted);
  font-size: 12px; padding: 6px 10px; border-bottom: 1px solid var(--line); }
td { padding: 6px 10px; border-bottom: 1px solid var(--line); white-space: nowrap; overflow: hidden;
  text-overflow: ellipsis; max-width: 260px; }
tbody tr { cursor: pointer; }
tbody tr:hover { background: #f2f4f7; }
tbody tr.selected { background: #e7ecff; }
td.type { color: var(--accent); }
td.user.anonymous { color: var(--muted); font-style: italic; }
.badge { display: inline-block; font-size: 11px; padding: 1px 7px; border-radius: 9px; font-weight: 600; }
.badge.valid, .badge.ok { background: var(--ok-bg); color: var(--ok); }
.badge.invalid, .badge.failed { background: var(--bad-bg); color: var(--bad); }
#empty { color: var(--muted); padding: 16px; margin: 0; }
aside { flex: 1 1 40%; min-width: 0; background: #fff; border: 1px solid var(--line); border-radius: 6px;
  max-height: calc(100vh - 190px); overflow: auto; }
.detail-head { display: flex; align-items: center; padding: 8px 12px; border-bottom: 1px solid var(--line);
  font-weight: 600; }
.detail-head button { margin-left: auto; border: none; background: none; font-size: 18px; cursor: pointer; }
#detail-check { padding: 6px 12px 0; display: flex; gap: 8px; align-items: baseline; }
#detail-check .why { color: var(--bad); font-size: 12px; font-family: ui-monospace, monospace; }
pre { margin: 0; padding: 12px; font-size: 12px; white-space: pre-wrap; word-break: break-all; }
)css";

} // namespace seglog::loopback
