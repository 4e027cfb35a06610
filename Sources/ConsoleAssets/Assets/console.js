// The operator console (docs/console.md). The admin key lives only in this closure and goes out
// as `Authorization: Bearer` on every /console/v1 request; nothing is stored or put in a URL.
// Everything shown is set with textContent (no HTML from the host or from callers is parsed).
'use strict';
(() => {
  const $ = (id) => document.getElementById(id);
  let adminKey = null, watching = null, watchNext = 0, liveTimer = null, watchTimer = null, chartTimer = null;
  // Read by the browser test (Tests/ServerTests/BrowserConsoleTests.swift).
  const state = window.consoleState = { signedIn: false, live: [], watched: [] };

  function el(tag, props, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(props || {})) {
      if (k === 'class') node.className = v; else if (k.startsWith('data-')) node.setAttribute(k, v); else node[k] = v;
    }
    for (const child of children) node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    return node;
  }

  async function api(method, path) {
    const reply = await fetch('/console/v1/' + path, { method, headers: { Authorization: 'Bearer ' + adminKey } });
    const body = await reply.json().catch(() => ({}));
    if (!reply.ok) throw new Error(body.error || ('HTTP ' + reply.status));
    return body;
  }

  function duration(seconds) {
    const m = Math.floor(seconds / 60), s = seconds % 60;
    return m + ':' + String(s).padStart(2, '0');
  }

  // ---- sign in and tabs ----
  $('signin').addEventListener('submit', async (event) => {
    event.preventDefault();
    adminKey = $('admin-key').value;
    $('admin-key').value = '';
    try {
      await api('GET', 'sessions');
      state.signedIn = true;
      $('signin').hidden = true;
      $('tabs').hidden = false;
      show('live');
    } catch (error) {
      adminKey = null;
      $('signin-status').textContent = 'Refused: ' + error.message;
    }
  });

  function show(tab) {
    for (const button of document.querySelectorAll('#tabs button')) button.classList.toggle('active', button.dataset.tab === tab);
    for (const section of document.querySelectorAll('.tab')) section.hidden = section.id !== 'tab-' + tab;
    clearInterval(liveTimer); clearInterval(chartTimer);
    if (tab === 'live') { refreshLive(); liveTimer = setInterval(refreshLive, 1500); }
    if (tab === 'plugins') refreshPlugins();
    if (tab === 'charts') { refreshCharts(); chartTimer = setInterval(refreshCharts, 10000); }
  }
  for (const button of document.querySelectorAll('#tabs button')) button.addEventListener('click', () => show(button.dataset.tab));

  // ---- live calls ----
  async function refreshLive() {
    let body;
    try { body = await api('GET', 'sessions'); } catch (error) { $('drain-status').textContent = error.message; return; }
    state.live = body.sessions;
    $('live-count').textContent = String(body.sessions.length);
    $('drain-status').textContent = body.draining ? 'The host is draining: new sessions are refused.' : '';
    const rows = body.sessions.map((s) => {
      const open = el('button', { type: 'button', onclick: () => watch(s.session_id) }, 'watch');
      return el('tr', { 'data-session': s.session_id }, el('td', {}, s.caller), el('td', {}, s.tenant), el('td', {}, s.agent),
        el('td', {}, s.channel), el('td', {}, duration(s.duration_seconds)), el('td', {}, open));
    });
    if (rows.length === 0) rows.push(el('tr', {}, el('td', { colSpan: 6, class: 'muted' }, 'No live session.')));
    $('live').tBodies[0].replaceChildren(...rows);
  }

  function watch(id) {
    watching = id; watchNext = 0;
    $('watch').hidden = false;
    $('watch-id').textContent = id;
    $('watch-transcript').replaceChildren();
    $('watch-events').replaceChildren();
    state.watched = [];
    clearInterval(watchTimer);
    pollWatch();
    watchTimer = setInterval(pollWatch, 1000);
  }

  async function pollWatch() {
    if (!watching) return;
    const id = watching;
    let body;
    try { body = await api('GET', 'sessions/' + encodeURIComponent(id) + '?after=' + watchNext); } catch (error) {
      $('watch-status').textContent = error.message; clearInterval(watchTimer); return;
    }
    if (id !== watching) return;
    watchNext = body.next;
    for (const event of body.events) showWatched(event);
    $('watch-status').textContent = body.live ? 'live' : 'ended (' + (body.ended || 'unknown') + ')';
    if (!body.live && body.ended) clearInterval(watchTimer);
  }

  function showWatched(event) {
    state.watched.push(event);
    const detail = Object.keys(event).filter((k) => k !== 'type').map((k) => k + '=' + JSON.stringify(event[k])).join('  ');
    $('watch-events').append(el('li', { 'data-type': event.type }, el('b', {}, event.type), ' ' + detail));
    const transcript = $('watch-transcript');
    const add = (cls, label, text) => transcript.append(el('li', { class: cls, 'data-type': event.type }, el('b', {}, label), ' ' + text));
    if (event.type === 'user' && event.final) add('user', 'caller', event.text);
    if (event.type === 'agent') add('agent', event.agent, event.text);
    if (event.type === 'handoff') add('handoff', 'handoff', event.from + ' → ' + event.to);
    if (event.type === 'tool_call') add('tool', 'tool', event.tool + ' ' + JSON.stringify(event.arguments));
    if (event.type === 'tool_result') add('tool', event.ok ? 'result' : 'failed', event.output);
    if (event.type === 'escalated') add('handoff', 'escalated', event.department);
    if (event.type === 'error') add('error', 'error', event.code + ': ' + event.message);
    if (event.type === 'end') add('handoff', 'end', event.reason);
  }

  $('end-session').addEventListener('click', async () => {
    if (!watching || !confirm('End session ' + watching + '?')) return;
    try { await api('POST', 'sessions/' + encodeURIComponent(watching) + '/end'); } catch (error) { $('watch-status').textContent = error.message; }
  });
  $('drain').addEventListener('click', async () => {
    if (!confirm('Stop taking new sessions on this host? Live sessions go on.')) return;
    try { await api('POST', 'drain'); refreshLive(); } catch (error) { $('drain-status').textContent = error.message; }
  });

  // ---- history ----
  // A recording is fetched with the admin key (an <audio src> cannot send it) and played from a blob.
  function recordingPlayer(tenant, session) {
    const box = el('div', { class: 'recording', 'data-session': session });
    const button = el('button', { type: 'button' }, 'Play recording');
    button.addEventListener('click', async () => {
      button.disabled = true;
      try {
        const reply = await fetch('/console/v1/sessions/' + encodeURIComponent(session) + '/recording?tenant=' + encodeURIComponent(tenant),
          { headers: { Authorization: 'Bearer ' + adminKey } });
        if (!reply.ok) { const body = await reply.json().catch(() => ({})); throw new Error(body.error || ('HTTP ' + reply.status)); }
        const audio = el('audio', { controls: true, src: URL.createObjectURL(await reply.blob()) });
        box.replaceChildren(audio);
        audio.play().catch(() => {});
      } catch (error) {
        box.replaceChildren(el('p', { class: 'status' }, 'recording: ' + error.message));
      }
    });
    box.append(button);
    return box;
  }

  $('history-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    const tenant = $('history-tenant').value.trim(), caller = $('history-caller').value.trim();
    const out = $('history');
    out.replaceChildren(el('p', { class: 'status' }, 'Looking up…'));
    let body;
    try { body = await api('GET', 'history?tenant=' + encodeURIComponent(tenant) + '&caller=' + encodeURIComponent(caller)); } catch (error) {
      out.replaceChildren(el('p', { class: 'status' }, error.message)); return;
    }
    if (body.interactions.length === 0) { out.replaceChildren(el('p', { class: 'status' }, 'No stored interaction for ' + caller + ' at ' + tenant + '.')); return; }
    out.replaceChildren(...body.interactions.map((i) => el('div', { class: 'interaction', 'data-session': i.session_id },
      el('h2', {}, new Date(i.started_at).toLocaleString() + ' — ' + i.outcome),
      el('p', { class: 'muted' }, 'agents: ' + i.agents.join(' → ') + (i.tools.length ? '   tools: ' + i.tools.join(', ') : '')),
      i.recording ? recordingPlayer(tenant, i.session_id) : '',
      el('ol', { class: 'transcript' }, ...i.transcript.map((l) => el('li', { class: l.role === 'user' ? 'user' : 'agent' },
        el('b', {}, l.role === 'user' ? 'caller' : (l.agent || l.role)), ' ' + l.text))))));
  });

  // ---- plugins and tenants ----
  async function refreshPlugins() {
    let body;
    try { body = await api('GET', 'plugins'); } catch (error) { $('plugins').textContent = error.message; return; }
    const table = (head, rows) => el('table', {}, el('thead', {}, el('tr', {}, ...head.map((h) => el('th', {}, h)))),
      el('tbody', {}, ...rows.map((r) => el('tr', {}, ...r.map((c) => el('td', {}, c))))));
    $('tenants').replaceChildren(table(['tenant', 'entry agent', 'key', 'plugins'], body.tenants.map((t) => [
      t.id + (t.default ? ' (default)' : ''), t.entry_agent, t.requires_key ? 'required' : 'none',
      t.plugins.map((p) => p.id + ' ' + p.version).join(', ')])));
    const files = body.plugins.files || [];
    $('plugins').replaceChildren(table(['file', 'components', 'isolation', 'tenants', 'runners (restarts)', 'live', 'serving'], files.map((f) => [
      f.file, Object.entries(f.versions || {}).map(([id, v]) => id + ' ' + v).join(', '), f.isolation, (f.tenants || []).join(', '),
      (f.runners || []).map((r) => r.tenant + ': pid ' + (r.pid ?? '—') + ', ' + r.restarts + (r.failed ? ' FAILED ' + r.failed : '')).join('; ') || '—',
      String(f.live_sessions), f.serving_new_sessions ? 'yes' : 'no'])));
    const refused = body.plugins.refused || [];
    $('refused').replaceChildren(refused.length ? table(['file', 'reason'], refused.map((r) => [r.path || r.file || '', r.reason || '']))
      : el('p', { class: 'muted' }, 'No plugin file was refused.'));
  }

  // ---- charts (plain SVG) ----
  const NS = 'http://www.w3.org/2000/svg';
  function svgEl(tag, attrs, text) {
    const node = document.createElementNS(NS, tag);
    for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
    if (text !== undefined) node.textContent = text;
    return node;
  }
  function frame(svg, max) {
    svg.replaceChildren(svgEl('line', { class: 'axis', x1: 30, y1: 120, x2: 395, y2: 120 }), svgEl('line', { class: 'axis', x1: 30, y1: 10, x2: 30, y2: 120 }),
      svgEl('text', { x: 2, y: 14 }, String(max)), svgEl('text', { x: 2, y: 122 }, '0'),
      svgEl('text', { x: 30, y: 136 }, '−60 min'), svgEl('text', { x: 370, y: 136 }, 'now'));
  }
  function lines(svg, series, names) {
    const max = Math.max(1, ...series.flat().filter((v) => v !== null));
    frame(svg, Math.round(max));
    series.forEach((values, s) => {
      let d = '';
      values.forEach((v, i) => { if (v === null) return; const x = 30 + i * 365 / Math.max(1, values.length - 1), y = 120 - v / max * 110; d += (d ? ' L' : 'M') + x.toFixed(1) + ' ' + y.toFixed(1); });
      if (d) svg.append(svgEl('path', { class: 's' + s, d }));
      if (names) svg.append(svgEl('text', { class: 'legend s' + s, x: 150 + s * 40, y: 136 }, names[s]));
      // A minute with no neighbour has no line to draw: mark it with a dot.
      values.forEach((v, i) => {
        const lone = v !== null && (i === 0 || values[i - 1] === null) && (i === values.length - 1 || values[i + 1] === null);
        if (lone) svg.append(svgEl('circle', { class: 's' + s, r: 2.2, cx: 30 + i * 365 / Math.max(1, values.length - 1), cy: 120 - v / max * 110 }));
      });
    });
  }
  function bars(svg, series) {
    const totals = series[0].map((_, i) => series.reduce((sum, values) => sum + values[i], 0));
    const max = Math.max(1, ...totals);
    frame(svg, max);
    const width = 365 / series[0].length;
    series[0].forEach((_, i) => {
      let base = 120;
      series.forEach((values, s) => {
        const h = values[i] / max * 110;
        if (h > 0) svg.append(svgEl('rect', { class: 'b' + s, x: 30 + i * width, y: base - h, width: Math.max(1, width - 1), height: h }));
        base -= h;
      });
    });
  }
  function horizontal(svg, counts) {
    svg.replaceChildren();
    const entries = Object.entries(counts).sort((a, b) => b[1] - a[1]).slice(0, 6);
    if (entries.length === 0) { svg.append(svgEl('text', { x: 10, y: 70 }, 'No handoff in the last hour.')); return; }
    const max = Math.max(...entries.map((e) => e[1]));
    entries.forEach(([name, n], i) => {
      const y = 8 + i * 21;
      svg.append(svgEl('text', { x: 2, y: y + 12 }, name), svgEl('rect', { class: 'b0', x: 110, y, width: Math.max(1, n / max * 250), height: 15 }),
        svgEl('text', { x: 115 + n / max * 250, y: y + 12 }, String(n)));
    });
  }
  async function refreshCharts() {
    let stats;
    try { stats = await api('GET', 'stats'); } catch (_) { return; }
    state.stats = stats;
    const m = stats.minutes;
    lines($('chart-active'), [m.map((r) => r.active_sessions)]);
    bars($('chart-turns'), [m.map((r) => r.turns)]);
    lines($('chart-latency'), ['p50', 'p90', 'p99'].map((p) => m.map((r) => (r.latency_ms ? r.latency_ms[p] : null))), ['p50', 'p90', 'p99']);
    bars($('chart-errors'), [m.map((r) => r.fallbacks), m.map((r) => r.errors)]);
    horizontal($('chart-handoffs'), stats.handoffs_by_department);
  }
})();
