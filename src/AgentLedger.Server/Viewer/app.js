// AgentLedger viewer: plain DOM, no framework, no build step. Every value from the ledger is model output
// and untrusted, so it only ever reaches the page as text (textContent, text nodes, attribute values),
// never as HTML. The page's Content-Security-Policy forbids inline script and style attributes as well.
'use strict';

(() => {
  const base = new URL('.', location.href);
  const main = document.getElementById('main');
  const liveButton = document.getElementById('live');
  const keyStore = 'agentledger.api_key';
  const state = { view: null, streams: [], cleanups: [] };

  // ---- DOM helpers: children that are strings become text nodes, never markup ----------------------
  function h(tag, attrs, ...children) {
    const el = document.createElement(tag);
    for (const [name, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (name.startsWith('on')) el.addEventListener(name.slice(2), value);
      else if (name === 'class') el.className = value;
      else el.setAttribute(name, value === true ? '' : String(value));
    }
    append(el, children);
    return el;
  }
  function append(el, children) {
    for (const child of children.flat(Infinity)) {
      if (child === null || child === undefined || child === false) continue;
      el.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return el;
  }
  const SVG = 'http://www.w3.org/2000/svg';
  function s(tag, attrs, ...children) {
    const el = document.createElementNS(SVG, tag);
    for (const [name, value] of Object.entries(attrs || {})) el.setAttribute(name, String(value));
    for (const child of children) el.append(child instanceof Node ? child : document.createTextNode(String(child)));
    return el;
  }
  const clear = el => { while (el.firstChild) el.firstChild.remove(); return el; };

  // ---- formatting ----------------------------------------------------------------------------------
  const num = n => (n ?? 0).toLocaleString('en-US');
  const pad = n => String(n).padStart(2, '0');
  function time(iso) {
    if (!iso) return '';
    const d = new Date(iso);
    return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  }
  function duration(a, b) {
    if (!a) return '';
    const ms = (b ? new Date(b) : new Date()) - new Date(a);
    if (ms < 1000) return `${ms} ms`;
    const sec = Math.round(ms / 1000);
    return sec < 120 ? `${sec} s` : `${Math.floor(sec / 60)} min ${sec % 60} s`;
  }
  const short = text => text.length > 160 ? text.slice(0, 160) + '…' : text;
  function tokensOf(e) {
    const u = e.payload && e.payload.usage;
    if (!u || typeof u !== 'object') return 0;
    const io = (Number(u.input_tokens) || 0) + (Number(u.output_tokens) || 0);
    return io > 0 ? io : (Number(u.total_tokens) || 0);
  }
  function textOf(e) {
    const p = e.payload || {};
    for (const k of ['text', 'content', 'message', 'reason']) if (typeof p[k] === 'string') return p[k];
    return null;
  }
  const colours = new Map();
  function colourOf(actor) {
    if (!colours.has(actor)) colours.set(actor, colours.size % 8);
    return `c${colours.get(actor)}`;
  }

  // ---- API: the key is asked once and kept for the tab ---------------------------------------------
  const apiKey = () => sessionStorage.getItem(keyStore);
  function headers(extra) {
    const result = Object.assign({ Accept: 'application/json' }, extra || {});
    const key = apiKey();
    if (key) result['X-Api-Key'] = key;
    return result;
  }
  let keyPrompt = null;
  function askKey(wrong) {
    if (keyPrompt) return keyPrompt;
    const dialog = document.getElementById('key-dialog');
    const input = document.getElementById('key-input');
    document.getElementById('key-error').textContent = wrong ? 'That key was refused.' : '';
    keyPrompt = new Promise(resolve => {
      const form = document.getElementById('key-form');
      const submit = ev => {
        ev.preventDefault();
        sessionStorage.setItem(keyStore, input.value);
        input.value = '';
        form.removeEventListener('submit', submit);
        dialog.close();
        keyPrompt = null;
        resolve();
      };
      form.addEventListener('submit', submit);
      if (!dialog.open) dialog.showModal();
      input.focus();
    });
    return keyPrompt;
  }
  async function api(path) {
    for (;;) {
      const response = await fetch(new URL('api/' + path, base), { headers: headers(), cache: 'no-store' });
      if (response.status === 401) { await askKey(!!apiKey()); continue; }
      if (response.status === 404) return null;
      if (!response.ok) {
        let detail = response.statusText;
        try { detail = (await response.json()).detail || detail; } catch { /* not a problem document */ }
        throw new Error(`${response.status}: ${detail}`);
      }
      return response.json();
    }
  }

  // ---- Server-Sent Events over fetch (so the key travels in a header, never in a URL). On any break it
  // reconnects with Last-Event-ID = the last offset received: the server resumes exactly after it. --------
  const liveStreams = new Set();
  function updateLive() {
    const open = [...liveStreams].filter(x => x.connected).length;
    liveButton.textContent = liveStreams.size === 0 ? 'offline' : open === liveStreams.size ? 'live' : 'reconnecting';
    liveButton.className = 'live ' + (liveStreams.size === 0 ? '' : open === liveStreams.size ? 'on' : 'wait');
  }
  function stream(path, after, onEvent) {
    const st = { lastId: after, connected: false, closed: false, controller: null, reconnects: 0 };
    liveStreams.add(st);
    const run = async () => {
      while (!st.closed) {
        st.controller = new AbortController();
        try {
          const extra = { Accept: 'text/event-stream' };
          if (st.lastId !== null && st.lastId !== undefined) extra['Last-Event-ID'] = String(st.lastId);
          const url = new URL('api/' + path, base);
          const response = await fetch(url, { headers: headers(extra), signal: st.controller.signal, cache: 'no-store' });
          if (response.status === 401) { await askKey(!!apiKey()); continue; }
          if (!response.ok || !response.body) throw new Error(String(response.status));
          st.connected = true; updateLive();
          const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
          let buffer = '';
          for (;;) {
            const { value, done } = await reader.read();
            if (done) break;
            buffer += value;
            let end;
            while ((end = buffer.indexOf('\n\n')) >= 0) {
              const block = buffer.slice(0, end);
              buffer = buffer.slice(end + 2);
              let id = null; const data = [];
              for (const line of block.split('\n')) {
                if (line.startsWith('id: ')) id = line.slice(4);
                else if (line.startsWith('data: ')) data.push(line.slice(6));
              }
              if (data.length === 0) continue; // a heartbeat or the retry hint
              const event = JSON.parse(data.join('\n'));
              if (id !== null) st.lastId = Number(id);
              onEvent(event);
            }
          }
        } catch (err) {
          if (st.closed) break;
        }
        st.connected = false; updateLive();
        if (st.closed) break;
        st.reconnects++;
        await new Promise(r => setTimeout(r, 500));
      }
    };
    run();
    const handle = {
      close() { st.closed = true; if (st.controller) st.controller.abort(); liveStreams.delete(st); updateLive(); },
      drop() { if (st.controller) st.controller.abort(); }, // a deliberate disconnect: it reconnects and resumes
      get state() { return st; },
    };
    state.streams.push(handle);
    return handle;
  }
  liveButton.addEventListener('click', () => state.streams.forEach(x => x.drop()));
  // For the browser tests and the curious: how many reconnects happened, and a way to cut the streams.
  window.agentLedger = {
    dropStreams: () => state.streams.forEach(x => x.drop()),
    reconnects: () => state.streams.reduce((n, x) => n + x.state.reconnects, 0),
    connected: () => state.streams.length > 0 && state.streams.every(x => x.state.connected),
  };

  function debounce(fn, ms) {
    let timer = null;
    return (...args) => { clearTimeout(timer); timer = setTimeout(() => fn(...args), ms); };
  }

  // ---- routing: #/runs, #/run/ID?offset=N, #/compare/A/B, #/tail -------------------------------------
  function parseHash() {
    const raw = location.hash.replace(/^#\/?/, '');
    const [path, query] = raw.split('?');
    const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
    return { parts, params: new URLSearchParams(query || '') };
  }
  function link(parts, params) {
    const q = params && [...new URLSearchParams(params)].length ? '?' + new URLSearchParams(params) : '';
    return '#/' + parts.map(encodeURIComponent).join('/') + q;
  }
  async function route() {
    state.streams.forEach(x => x.close());
    state.streams = [];
    state.cleanups.forEach(f => f());
    state.cleanups = [];
    const { parts, params } = parseHash();
    const view = parts[0] || 'runs';
    document.querySelectorAll('[data-nav]').forEach(a => a.classList.toggle('active', a.dataset.nav === view || (view === 'run' && a.dataset.nav === 'runs')));
    clear(main);
    try {
      if (view === 'run' && parts[1]) await runView(parts[1], params);
      else if (view === 'compare') await compareView(parts[1], parts[2]);
      else if (view === 'tail') await tailView(params);
      else await runsView(params);
    } catch (err) {
      main.append(h('p', { class: 'error', role: 'alert' }, 'Could not load: ', err.message));
    }
  }
  window.addEventListener('hashchange', route);

  // ---- keyboard: j/k move through the rows or events of the page, Enter opens or expands ------------
  let cursor = -1;
  function items() { return [...main.querySelectorAll('[data-nav-item]')]; }
  function focusItem(i) {
    const list = items();
    if (list.length === 0) return;
    cursor = Math.max(0, Math.min(list.length - 1, i));
    list.forEach((el, j) => el.classList.toggle('cursor', j === cursor));
    list[cursor].focus({ preventScroll: true });
    list[cursor].scrollIntoView({ block: 'nearest' });
  }
  document.addEventListener('keydown', ev => {
    if (ev.target.closest('input, select, textarea, dialog') || ev.ctrlKey || ev.metaKey || ev.altKey) return;
    const list = items();
    if (ev.key === 'j' || ev.key === 'ArrowDown') { focusItem(list.indexOf(document.activeElement) + 1 || cursor + 1); ev.preventDefault(); }
    else if (ev.key === 'k' || ev.key === 'ArrowUp') { focusItem((list.indexOf(document.activeElement) >= 0 ? list.indexOf(document.activeElement) : cursor) - 1); ev.preventDefault(); }
    else if (ev.key === 'Enter' && document.activeElement && document.activeElement.dataset.href) { location.hash = document.activeElement.dataset.href; }
    else if (ev.key === 'Enter' && document.activeElement && document.activeElement.querySelector('details')) { const d = document.activeElement.querySelector('details'); d.open = !d.open; }
    else if (ev.key === '/') { const search = main.querySelector('input[type=search]'); if (search) { search.focus(); ev.preventDefault(); } }
    else if (ev.key === 't') toggleTheme();
    else if (ev.key === 'g') location.hash = '#/runs';
    else if (ev.key === 'l') location.hash = '#/tail';
    else if (ev.key === 'c') location.hash = '#/compare';
  });

  // ---- theme ----------------------------------------------------------------------------------------
  function applyTheme(theme) {
    document.documentElement.dataset.theme = theme;
    document.getElementById('theme').textContent = theme === 'dark' ? 'light theme' : 'dark theme';
  }
  function toggleTheme() {
    const next = document.documentElement.dataset.theme === 'dark' ? 'light' : 'dark';
    localStorage.setItem('agentledger.theme', next);
    applyTheme(next);
  }
  applyTheme(localStorage.getItem('agentledger.theme') || (matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light'));
  document.getElementById('theme').addEventListener('click', toggleTheme);

  // ---- Runs -----------------------------------------------------------------------------------------
  async function runsView(params) {
    const filters = { q: params.get('q') || '', session: params.get('session') || '', model: params.get('model') || '', status: params.get('status') || '' };
    const query = new URLSearchParams({ limit: '100' });
    for (const [k, v] of Object.entries(filters)) if (v) query.set(k, v);
    const runs = new Map();
    let next = null;
    // The server looks through a bounded number of runs per request, so a filtered page can come back short,
    // even empty, with a cursor: ask again from it (at most five requests a click) until a run turns up or
    // no run is left (next_before null).
    const load = async before => {
      for (let tries = 0; tries < 5; tries++) {
        const p = await api('runs?' + new URLSearchParams({ ...Object.fromEntries(query), ...(before === null ? {} : { before: String(before) }) }));
        p.runs.forEach(r => runs.set(r.run_id, r));
        before = next = p.next_before;
        if (p.runs.length > 0 || next === null) return;
      }
    };
    const [info] = await Promise.all([api('info'), load(null)]);
    const allModels = new Set(); const allSessions = new Set();
    for (const r of runs.values()) { r.models.forEach(m => allModels.add(m)); if (r.session_id) allSessions.add(r.session_id); }
    const filtered = Object.values(filters).some(v => v);

    const go = changes => { location.hash = link(['runs'], Object.fromEntries(Object.entries({ ...filters, ...changes }).filter(([, v]) => v))); };
    const select = (name, label, values) => h('label', {}, label, ' ',
      h('select', { name, onchange: ev => go({ [name]: ev.target.value }) },
        h('option', { value: '' }, 'all'), [...values].sort().map(v => h('option', { value: v, selected: v === filters[name] }, v))));
    const search = h('input', { type: 'search', name: 'q', placeholder: 'search run id  ( / )', value: filters.q, 'aria-label': 'search by run id' });
    search.addEventListener('change', () => go({ q: search.value.trim() }));
    main.append(h('section', { class: 'toolbar' },
      h('h1', {}, 'Runs'), search,
      select('session', 'session', allSessions), select('model', 'model', allModels),
      select('status', 'status', ['running', 'finished']),
      h('span', { class: 'muted' }, `${num(info.events)} events · ${info.backend}${info.read_only ? ' · read-only' : ''}`)));

    const body = h('tbody', {});
    const table = h('table', { class: 'runs', id: 'runs-table' },
      h('thead', {}, h('tr', {}, ['run', 'scenario / goal', 'status', 'started', 'duration', 'actors', 'models', 'turns', 'tokens', 'events'].map(c => h('th', { scope: 'col' }, c)))),
      body);
    main.append(table);
    const row = r => h('tr', { 'data-run': r.run_id, 'data-nav-item': '', 'data-href': link(['run', r.run_id]), tabindex: '0', class: r.status },
      h('td', {}, h('a', { href: link(['run', r.run_id]) }, r.run_id)),
      h('td', {}, h('div', {}, r.scenario || ''), h('div', { class: 'muted small' }, r.goal || '')),
      h('td', {}, h('span', { class: `badge ${r.status}` }, r.status)),
      h('td', { class: 'nowrap' }, time(r.started_at)),
      h('td', { class: 'nowrap' }, duration(r.started_at, r.finished_at)),
      h('td', {}, r.actors.map(a => h('span', { class: `chip ${colourOf(a)}` }, a))),
      h('td', {}, r.models.map(m => h('span', { class: 'badge model' }, m))),
      h('td', { class: 'num' }, num(r.turns)),
      h('td', { class: 'num' }, num(r.tokens)),
      h('td', { class: 'num' }, num(r.events)));
    const render = () => {
      clear(body);
      if (runs.size === 0) {
        body.append(h('tr', {}, h('td', { colspan: 10, class: 'muted' }, next !== null ? 'No matching run among the newest runs looked at: load more to look further back.'
          : filtered ? 'No matching runs.' : 'No runs yet. Record one with: agentledger demo')));
      }
      for (const r of runs.values()) body.append(row(r));
    };
    render();

    const more = h('button', { type: 'button', class: 'more', hidden: next === null }, 'Load more runs');
    more.addEventListener('click', async () => {
      if (next === null || more.disabled) return;
      more.disabled = true;
      try { await load(next); } finally { more.disabled = false; }
      more.hidden = next === null; render();
    });
    main.append(more);

    // Live: every new event refreshes its run's summary (new runs come first), at most a few times a second.
    const pending = new Set();
    const refresh = debounce(async () => {
      const ids = [...pending]; pending.clear();
      for (const id of ids) {
        const summary = await api('runs/' + encodeURIComponent(id));
        if (!summary || !matches(summary, filters)) continue;
        if (runs.has(id)) runs.set(id, summary);
        else { const rest = [...runs]; runs.clear(); runs.set(id, summary); rest.forEach(([k, v]) => runs.set(k, v)); }
      }
      render();
    }, 250);
    stream('stream', info.latest_offset, e => { pending.add(e.run_id); refresh(); });
  }
  function matches(r, f) {
    return (!f.q || r.run_id.toLowerCase().includes(f.q.toLowerCase())) && (!f.session || r.session_id === f.session)
      && (!f.status || r.status === f.status) && (!f.model || r.models.includes(f.model) || Object.values(r.cast || {}).includes(f.model));
  }

  // ---- One run -----------------------------------------------------------------------------------------
  async function readRun(runId) {
    const events = [];
    let after = 0;
    for (;;) {
      const page = await api(`runs/${encodeURIComponent(runId)}/events?after=${after}&limit=5000`);
      if (!page) return null;
      events.push(...page.events);
      if (page.next === null) return events;
      after = page.next;
    }
  }
  async function runView(runId, params) {
    const [summary, events] = await Promise.all([api('runs/' + encodeURIComponent(runId)), readRun(runId)]);
    if (!summary) { main.append(h('p', { class: 'error' }, `No run ${runId}.`)); return; }
    const filters = { kind: params.get('kind') || '', actor: params.get('actor') || '', model: params.get('model') || '' };
    const focus = params.get('offset') ? Number(params.get('offset')) : null;
    let current = summary;

    const head = h('section', { class: 'run-head' });
    const charts = h('section', { class: 'charts' });
    const bar = h('section', { class: 'toolbar' });
    const timeline = h('section', { class: 'timeline', id: 'timeline' });
    main.append(head, charts, bar, timeline);

    const drawHead = () => {
      clear(head).append(
        h('h1', {}, 'Run ', h('span', { class: 'mono', id: 'run-id' }, current.run_id), ' ', h('span', { class: `badge ${current.status}`, id: 'run-status' }, current.status)),
        h('p', { class: 'goal' }, [current.scenario, current.goal].filter(Boolean).join(' — ')),
        h('dl', { class: 'facts' },
          fact('started', time(current.started_at)), fact('duration', duration(current.started_at, current.finished_at)),
          fact('turns', num(current.turns)), fact('tokens', num(current.tokens), 'run-tokens'), fact('events', num(current.events), 'run-events'),
          current.winner ? fact('winner', `${current.winner}${current.winning_model ? ' (' + current.winning_model + ')' : ''}`) : null,
          current.reason ? fact('reason', current.reason) : null),
        h('p', {}, h('a', { href: link(['compare', current.run_id]) }, 'compare with another run'), ' · ',
          h('a', { href: link(['tail'], { run: current.run_id }) }, 'tail this run')));
    };
    const drawCharts = () => {
      const byActor = new Map(); const byModel = new Map();
      for (const e of events) {
        const t = tokensOf(e);
        if (!t) continue;
        byActor.set(e.actor, (byActor.get(e.actor) || 0) + t);
        const m = e.model_id || '(none)';
        byModel.set(m, (byModel.get(m) || 0) + t);
      }
      clear(charts).append(
        h('figure', { id: 'chart-actor' }, h('figcaption', {}, 'tokens per actor'), barChart(byActor, k => colourOf(k))),
        h('figure', { id: 'chart-model' }, h('figcaption', {}, 'tokens per model'), barChart(byModel, () => 'model')));
    };
    const distinct = key => [...new Set(events.map(e => e[key]).filter(Boolean))].sort();
    const drawBar = () => {
      const go = changes => { location.hash = link(['run', runId], Object.fromEntries(Object.entries({ ...filters, ...changes }).filter(([, v]) => v))); };
      const select = (name, key) => h('label', {}, name, ' ', h('select', { name, onchange: ev => go({ [name]: ev.target.value }) },
        h('option', { value: '' }, 'all'), distinct(key).map(v => h('option', { value: v, selected: v === filters[name] }, v))));
      clear(bar).append(h('h2', {}, 'Timeline'), select('kind', 'kind'), select('actor', 'actor'), select('model', 'model_id'),
        h('span', { class: 'legend' }, actors().map(a => h('span', { class: `chip ${colourOf(a)}` }, a))));
    };
    const shown = e => (!filters.kind || e.kind === filters.kind) && (!filters.actor || e.actor === filters.actor) && (!filters.model || e.model_id === filters.model);
    // Lanes in order of each actor's first event: the run's own cast order.
    const actors = () => [...new Set(events.map(e => e.actor))];
    const turns = new Map();
    const turnSection = turn => {
      if (!turns.has(turn)) {
        const list = h('ol', { class: 'events' });
        const section = h('section', { class: 'turn', 'data-turn': turn }, h('h3', {}, `Turn ${turn}`), list);
        // Turns stay in order even when a late event opens an older one.
        const later = [...turns.keys()].filter(t => t > turn).sort((a, b) => a - b)[0];
        if (later === undefined) timeline.append(section); else timeline.insertBefore(section, turns.get(later).section);
        turns.set(turn, { section, list });
      }
      return turns.get(turn).list;
    };
    const add = (e, fresh) => {
      if (!shown(e)) return;
      const card = eventCard(e, actors().indexOf(e.actor), link(['run', runId], { offset: e.offset }));
      if (fresh) card.classList.add('fresh');
      if (focus === e.offset) card.classList.add('focus');
      turnSection(e.turn).append(card);
    };
    drawHead(); drawCharts(); drawBar();
    events.forEach(e => add(e, false));
    if (events.length === 0) timeline.append(h('p', { class: 'muted' }, 'No events.'));
    if (focus !== null) {
      const target = timeline.querySelector(`[data-offset="${focus}"]`);
      if (target) { target.scrollIntoView({ block: 'center' }); target.focus({ preventScroll: true }); }
    }

    // Live: the run's events after the last one shown slide in; summary and charts follow.
    const refresh = debounce(async () => {
      const s = await api('runs/' + encodeURIComponent(runId));
      if (s) { current = s; drawHead(); }
      drawCharts();
    }, 200);
    const lastOffset = events.length ? events[events.length - 1].offset : summary.last_offset;
    stream(`runs/${encodeURIComponent(runId)}/stream`, lastOffset, e => { events.push(e); add(e, true); refresh(); });
  }
  function fact(label, value, id) { return h('div', { id }, h('dt', {}, label), h('dd', {}, value)); }

  function eventCard(e, lane, href) {
    const text = textOf(e);
    const tokens = tokensOf(e);
    const compact = JSON.stringify(e.payload);
    return h('li', { class: `event ${colourOf(e.actor)} lane-${Math.max(0, Math.min(lane, 7))}`, 'data-offset': e.offset, 'data-kind': e.kind, 'data-actor': e.actor, 'data-nav-item': '', tabindex: '0' },
      h('div', { class: 'meta' },
        h('a', { class: 'offset mono', href, title: 'link to this event' }, `#${e.offset}`),
        h('span', { class: 'actor' }, e.actor),
        h('span', { class: 'badge kind' }, e.kind),
        e.model_id ? h('span', { class: 'badge model', title: e.model_profile ? `profile: ${e.model_profile}` : 'no profile' }, e.model_id, e.model_profile ? h('span', { class: 'profile' }, ` · ${e.model_profile}`) : null) : null,
        tokens ? h('span', { class: 'tokens' }, `${num(tokens)} tok`) : null,
        h('time', { class: 'muted small', datetime: e.created_at }, time(e.created_at))),
      text !== null ? h('p', { class: 'text' }, text) : h('p', { class: 'compact mono' }, short(compact)),
      h('details', {}, h('summary', {}, 'payload'), h('pre', { class: 'json' }, JSON.stringify(e.payload, null, 2))));
  }

  // A horizontal bar chart drawn by hand in SVG: sizes in attributes, colours from the stylesheet.
  function barChart(values, colour) {
    const rows = [...values].sort((a, b) => b[1] - a[1]);
    if (rows.length === 0) return h('p', { class: 'muted small' }, 'no token usage recorded');
    const max = Math.max(...rows.map(r => r[1]));
    const rowHeight = 22; const labelWidth = 210; const barWidth = 260;
    const svg = s('svg', { class: 'chart', viewBox: `0 0 ${labelWidth + barWidth + 80} ${rows.length * rowHeight}`, width: labelWidth + barWidth + 80, height: rows.length * rowHeight, role: 'img' });
    rows.forEach(([key, value], i) => {
      const y = i * rowHeight;
      const w = Math.max(1, Math.round(value / max * barWidth));
      const label = key.length > 30 ? key.slice(0, 29) + '…' : key;
      svg.append(
        s('text', { x: labelWidth - 6, y: y + 15, 'text-anchor': 'end', class: 'label' }, label),
        s('rect', { x: labelWidth, y: y + 4, width: w, height: rowHeight - 8, rx: 3, class: `bar ${colour(key)}`, 'data-key': key, 'data-value': value }, s('title', {}, `${key}: ${value} tokens`)),
        s('text', { x: labelWidth + w + 6, y: y + 15, class: 'value' }, num(value)));
    });
    return svg;
  }

  // ---- Compare two runs, aligned by turn and actor -------------------------------------------------------
  async function compareView(a, b) {
    const list = await api('runs?limit=500');
    const ids = list.runs.map(r => r.run_id);
    const pick = (name, value) => h('select', { name, 'aria-label': name }, h('option', { value: '' }, 'choose a run'), ids.map(id => h('option', { value: id, selected: id === value }, id)));
    const left = pick('left', a); const right = pick('right', b);
    const go = () => { if (left.value && right.value) location.hash = link(['compare', left.value, right.value]); };
    left.addEventListener('change', go); right.addEventListener('change', go);
    main.append(h('section', { class: 'toolbar' }, h('h1', {}, 'Compare'), left, h('span', {}, 'with'), right));
    if (!a || !b) { main.append(h('p', { class: 'muted' }, 'Choose two runs: their events line up by turn and actor.')); return; }
    const [ea, eb, sa, sb] = await Promise.all([readRun(a), readRun(b), api('runs/' + encodeURIComponent(a)), api('runs/' + encodeURIComponent(b))]);
    if (!ea || !eb) { main.append(h('p', { class: 'error' }, 'One of the runs does not exist.')); return; }

    // Cells keyed by (turn, actor): several events of one actor in one turn stack in their cell.
    const cells = new Map(); const order = [];
    const put = (e, side) => {
      const key = `${e.turn}\u0000${e.actor}`;
      if (!cells.has(key)) { cells.set(key, { turn: e.turn, actor: e.actor, a: [], b: [] }); order.push(key); }
      cells.get(key)[side].push(e);
    };
    ea.forEach(e => put(e, 'a')); eb.forEach(e => put(e, 'b'));
    const rows = order.map(k => cells.get(k)).sort((x, y) => x.turn - y.turn);
    const side = evs => evs.length === 0 ? h('td', { class: 'muted' }, '—') : h('td', {}, evs.map(e => h('div', { class: 'cmp-event' },
      h('span', { class: 'badge kind' }, e.kind), e.model_id ? h('span', { class: 'badge model' }, e.model_id) : null,
      h('div', { class: 'text' }, textOf(e) ?? short(JSON.stringify(e.payload))))));
    const sum = evs => evs.reduce((n, e) => n + tokensOf(e), 0);
    const delta = (x, y) => { const d = y - x; return h('td', { class: `num ${d > 0 ? 'up' : d < 0 ? 'down' : ''}` }, d === 0 ? '0' : (d > 0 ? '+' : '') + num(d)); };
    main.append(h('table', { class: 'compare', id: 'compare-table' },
      h('thead', {}, h('tr', {}, h('th', {}, 'turn'), h('th', {}, 'actor'), h('th', {}, a), h('th', {}, 'tokens'), h('th', {}, b), h('th', {}, 'tokens'), h('th', {}, 'Δ tokens'))),
      h('tbody', {}, rows.map(r => h('tr', { 'data-turn': r.turn, 'data-actor': r.actor, 'data-nav-item': '', tabindex: '0' },
        h('td', { class: 'num' }, r.turn), h('td', {}, h('span', { class: `chip ${colourOf(r.actor)}` }, r.actor)),
        side(r.a), h('td', { class: 'num' }, num(sum(r.a))), side(r.b), h('td', { class: 'num' }, num(sum(r.b))), delta(sum(r.a), sum(r.b))))),
      h('tfoot', {}, h('tr', {}, h('th', { colspan: 2 }, 'run total'), h('td', {}, sa.status), h('td', { class: 'num', id: 'total-a' }, num(sa.tokens)),
        h('td', {}, sb.status), h('td', { class: 'num', id: 'total-b' }, num(sb.tokens)), delta(sa.tokens, sb.tokens)))));
  }

  // ---- Live tail of the whole log ---------------------------------------------------------------------
  async function tailView(params) {
    const filters = {};
    for (const k of ['run', 'kind', 'actor', 'model', 'session']) if (params.get(k)) filters[k] = params.get(k);
    const q = new URLSearchParams(filters);
    const last = await api('events/last?n=100&' + q);
    let paused = false;
    const pause = h('button', { type: 'button' }, 'pause');
    pause.addEventListener('click', () => { paused = !paused; pause.textContent = paused ? 'resume scrolling' : 'pause'; });
    const inputs = ['run', 'kind', 'actor', 'model', 'session'].map(k => {
      const input = h('input', { type: 'search', name: k, placeholder: k, value: filters[k] || '', 'aria-label': `filter by ${k}` });
      input.addEventListener('change', () => {
        const next = { ...filters, [k]: input.value.trim() };
        location.hash = link(['tail'], Object.fromEntries(Object.entries(next).filter(([, v]) => v)));
      });
      return input;
    });
    main.append(h('section', { class: 'toolbar' }, h('h1', {}, 'Live tail'), inputs, pause));
    const list = h('ol', { class: 'events tail', id: 'tail' });
    main.append(list);
    const add = (e, fresh) => {
      const card = eventCard(e, 0, link(['run', e.run_id], { offset: e.offset }));
      card.querySelector('.meta').prepend(h('a', { class: 'run mono', href: link(['run', e.run_id]) }, e.run_id));
      if (fresh) card.classList.add('fresh');
      list.append(card);
      while (list.children.length > 1000) list.firstChild.remove();
      if (!paused) card.scrollIntoView({ block: 'end' });
    };
    last.events.forEach(e => add(e, false));
    stream('stream?' + q, last.latest_offset, e => add(e, true));
  }

  route();
})();
