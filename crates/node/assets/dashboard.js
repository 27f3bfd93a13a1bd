/* slotforge dashboard: shared helpers (window.SF, also used by devnet.js) and the logic of the
 * single-node page (index.html, body[data-page="node"]). Vanilla JS, no dependencies.
 * Everything that comes from the API is written with textContent / attributes, never innerHTML. */
(() => {
  'use strict';

  const STATUSES = ['scheduled', 'woke', 'forged', 'adopted', 'immutable', 'orphaned', 'rejected', 'missed', 'superseded'];
  const $ = (id) => document.getElementById(id);
  const isNum = (v) => typeof v === 'number' && Number.isFinite(v);

  /** Creates an element; attrs: text, class, style, anything else as an attribute. */
  function el(tag, attrs, ...kids) {
    const e = document.createElement(tag);
    for (const k in attrs || {}) {
      const v = attrs[k];
      if (v == null || v === false) continue;
      if (k === 'text') e.textContent = String(v);
      else if (k === 'class') e.className = v;
      else if (k === 'style') e.style.cssText = v;
      else e.setAttribute(k, String(v));
    }
    for (const c of kids.flat()) if (c != null && c !== false) e.append(c instanceof Node ? c : String(c));
    return e;
  }

  const fmtInt = (v) => (isNum(v) ? String(v) : '—');
  const fmtNum = (v) => (isNum(v) ? v.toLocaleString('en-US') : '—');
  function shortHash(h, head = 8, tail = 6) {
    if (h == null || h === '') return '—';
    h = String(h);
    return h.length <= head + tail + 1 ? h : h.slice(0, head) + '…' + h.slice(-tail);
  }
  const shortId = (s) => shortHash(s, 12, 6);
  const fmtBytes = (b) => (!isNum(b) ? '—' : b < 1024 ? b + ' B' : b < 1048576 ? (b / 1024).toFixed(1) + ' KiB' : (b / 1048576).toFixed(2) + ' MiB');
  function fmtDur(ms) {
    if (!isNum(ms)) return '—';
    if (ms <= 0) return '0 s';
    const s = ms / 1000;
    if (s < 60) return s.toFixed(s < 10 ? 1 : 0) + ' s';
    const m = Math.floor(s / 60);
    if (m < 60) return m + 'm ' + String(Math.floor(s % 60)).padStart(2, '0') + 's';
    return Math.floor(m / 60) + 'h ' + String(m % 60).padStart(2, '0') + 'm';
  }
  const fmtTime = (ms) => (isNum(ms) ? new Date(ms).toLocaleTimeString([], { hour12: false }) : '—');
  /** Sets textContent if it changed; returns whether it did. */
  function setText(node, v) {
    if (typeof node === 'string') node = $(node);
    if (!node) return false;
    const s = v == null ? '—' : String(v);
    if (node.textContent === s) return false;
    node.textContent = s;
    return true;
  }
  function flash(node) { // (re)starts the highlight animation
    if (!node) return;
    node.classList.remove('flash');
    void node.offsetWidth;
    node.classList.add('flash');
  }
  const statusClass = (s) => 'status-' + (STATUSES.includes(s) ? s : 'unknown');
  const entryKey = (e) => (e.id != null ? 'i' + e.id : e.leader + ':' + e.slot);

  /** GET JSON with a timeout; errors carry .status for HTTP errors (none when unreachable). */
  async function getJSON(url, timeoutMs = 4000) {
    const ctl = new AbortController();
    const timer = setTimeout(() => ctl.abort(), timeoutMs);
    try {
      let r;
      try { r = await fetch(url, { signal: ctl.signal, cache: 'no-store' }); } catch (e) {
        throw new Error(e && e.name === 'AbortError' ? 'timed out after ' + timeoutMs + ' ms' : 'unreachable');
      }
      let body = null;
      try { body = await r.json(); } catch (e) { /* not JSON */ }
      if (!r.ok || body == null) {
        const err = new Error(body && body.error ? String(body.error) : 'HTTP ' + r.status + (r.ok ? ' (invalid JSON)' : ''));
        err.status = r.status;
        throw err;
      }
      return body;
    } finally { clearTimeout(timer); }
  }

  /** One EventSource that reconnects with backoff after errors; close() releases it for good. */
  function sse(url, handlers, onState) {
    let es = null, timer = null, closed = false, delay = 1000;
    function open() {
      timer = null;
      if (closed) return;
      es = new EventSource(url);
      es.onopen = () => { delay = 1000; if (onState) onState(true); };
      for (const name in handlers) {
        es.addEventListener(name, (ev) => {
          let d;
          try { d = JSON.parse(ev.data); } catch (e) { return; }
          handlers[name](d);
        });
      }
      es.onerror = () => {
        if (es) es.close(); // we reconnect ourselves, so the browser's retry never stacks up
        es = null;
        if (onState) onState(false);
        if (!closed && !timer) {
          timer = setTimeout(open, delay);
          delay = Math.min(delay * 2, 15000);
        }
      };
    }
    open();
    return {
      isOpen: () => !!es && es.readyState === 1,
      close() {
        closed = true;
        clearTimeout(timer);
        if (es) es.close();
        es = timer = null;
      },
    };
  }

  /** The node's wall clock, extrapolated from its last /api/v1/node answer (at most 10 s). */
  function clockOf(node, at, firstHint) {
    const sy = node && node.sync;
    if (!sy || !isNum(sy.current_slot)) return null;
    const L = sy.epoch_length > 0 ? sy.epoch_length : 1;
    const ms = sy.slot_length_ms > 0 ? sy.slot_length_ms : 1000;
    const slot = sy.current_slot + Math.floor(Math.min(Math.max(Date.now() - at, 0), 10000) / ms);
    let epoch = isNum(sy.current_epoch) ? sy.current_epoch : Math.floor(sy.current_slot / L);
    let first = isNum(firstHint) && firstHint <= sy.current_slot ? firstHint : epoch * L;
    while (slot >= first + L) { epoch++; first += L; }
    return { slot, epoch, first, L, ms, inEpoch: Math.max(0, slot - first) };
  }

  function buildLegend(box) {
    if (!box || box.childElementCount) return;
    for (const s of STATUSES) box.append(el('span', { class: statusClass(s), 'data-legend': s }, el('i', { class: 'swatch' }), s));
  }

  /** One element per status; the one with data-status-count="<status>" holds just the number. */
  function renderCounts(box, entries) {
    if (!box) return;
    if (!box.childElementCount) {
      for (const s of STATUSES) {
        box.append(el('div', { class: 'count zero ' + statusClass(s) },
          el('span', { class: 'count-label', text: s }), el('b', { 'data-status-count': s, text: '0' })));
      }
    }
    const n = Object.fromEntries(STATUSES.map((s) => [s, 0]));
    for (const e of entries) if (e.status in n) n[e.status]++;
    for (const s of STATUSES) {
      const b = box.querySelector('[data-status-count="' + s + '"]');
      if (b) { setText(b, n[s]); b.parentNode.classList.toggle('zero', !n[s]); }
    }
  }

  function cellTitle(e) {
    return [
      'slot ' + e.slot + ' (epoch ' + e.epoch + ', slot ' + e.slot_in_epoch + ')',
      'leader: ' + e.leader,
      'status: ' + e.status,
      e.reason ? 'reason: ' + e.reason : null,
      e.block_hash ? 'block: ' + e.block_hash : null,
      isNum(e.scheduled_at_ms) ? 'at ' + fmtTime(e.scheduled_at_ms) : null,
    ].filter(Boolean).join('\n');
  }

  /** A strip of o.L slots per leader; leader slots are absolutely placed .slot-cell divs, updated
   * in place. o: {epoch, first, L, entries, leaders, now, compact} */
  function renderTimeline(box, o) {
    if (!box || !(o.L > 0)) return;
    const names = (o.leaders || []).concat(o.entries.map((e) => e.leader)).filter((x) => x != null).map(String);
    const leaders = [...new Set(names)].sort();
    const key = o.epoch + '|' + o.L + '|' + leaders.join('\u0000');
    let st = box._tl;
    if (!st || st.key !== key) {
      st = box._tl = { key, rows: new Map(), cells: new Map() };
      box.replaceChildren();
      if (!leaders.length) box.append(el('div', { class: 'empty-note', text: 'no leader slots in epoch ' + o.epoch }));
      for (const l of leaders) {
        const strip = el('div', { class: 'tl-strip' + (o.L > 500 ? ' dense' : ''), style: '--cells:' + o.L });
        const past = el('div', { class: 'past' });
        const marker = el('div', { class: 'now-marker' });
        strip.append(past, marker);
        box.append(el('div', { class: 'tl-row', 'data-leader': l }, el('div', { class: 'tl-label', title: l, text: l }), strip));
        st.rows.set(l, { strip, marker, past });
      }
      if (!o.compact && leaders.length) {
        box.append(el('div', { class: 'tl-axis' },
          [0, 0.25, 0.5, 0.75, 1].map((f) => el('span', { style: 'left:' + f * 100 + '%', text: Math.round(f * o.L) }))));
      }
    }
    const seen = new Set();
    for (const e of o.entries) {
      const row = st.rows.get(String(e.leader));
      if (!row) continue;
      const k = entryKey(e);
      seen.add(k);
      let c = st.cells.get(k);
      if (!c) st.cells.set(k, (c = row.strip.appendChild(el('div'))));
      const pos = isNum(e.slot_in_epoch) ? e.slot_in_epoch : e.slot - o.first;
      const cls = 'slot-cell ' + statusClass(e.status);
      if (c.className !== cls) c.className = cls;
      c.style.left = (pos / o.L) * 100 + '%';
      c.style.width = 100 / o.L + '%';
      if (c.dataset.slot !== String(e.slot)) c.dataset.slot = e.slot;
      if (c.dataset.status !== String(e.status)) c.dataset.status = e.status;
      if (c.dataset.leader !== String(e.leader)) c.dataset.leader = e.leader;
      const t = cellTitle(e);
      if (c.title !== t) c.title = t;
    }
    for (const [k, c] of st.cells) if (!seen.has(k)) { c.remove(); st.cells.delete(k); }
    const inE = o.now - o.first;
    const show = isNum(o.now) && inE >= 0 && inE < o.L;
    for (const r of st.rows.values()) {
      r.marker.hidden = !show;
      if (show) r.marker.style.left = ((inE + 0.5) / o.L) * 100 + '%';
      r.past.style.width = (show ? (inE / o.L) * 100 : inE >= o.L ? 100 : 0) + '%';
    }
  }

  function updateCountdowns(root) {
    const now = Date.now();
    for (const c of (root || document).querySelectorAll('.countdown[data-deadline]')) {
      const left = Number(c.dataset.deadline) - now;
      setText(c, left > 0 ? 'in ' + fmtDur(left) : 'now');
      c.classList.toggle('due', left <= 0);
      c.classList.toggle('soon', left > 0 && left < 5000);
    }
  }

  window.SF = {
    STATUSES, $, el, isNum, fmtInt, fmtNum, shortHash, shortId, fmtBytes, fmtDur, fmtTime, setText, flash,
    statusClass, entryKey, getJSON, sse, clockOf, buildLegend, renderCounts, renderTimeline, updateCountdowns,
  };

  /* ------------------------------------------------------------------------------------------ */
  /* The single-node page.                                                                      */
  /* ------------------------------------------------------------------------------------------ */
  function bootNode() {
    const S = {
      node: null, nodeAt: 0, tip: null, tipAt: 0, epochInfo: null,
      entries: new Map(), pending: null, schedAt: 0, next: [], blocks: [],
      leadership: null, // null: unknown, true: producer with leadership routes, false: relay
      ldLive: false, probeAt: 0, no404At: -1e9, epoch: null, online: null, sig: {},
    };
    let tipES = null, ldES = null, schedBusy = false, nextBusy = false, blocksBusy = false, blocksAgain = false;
    let blocksTimer = null, dirtyTimer = null;

    const setErr = (k, e) => {
      const n = $('err-' + k);
      if (n) { n.hidden = !e; n.textContent = e ? String(e.message || e) : ''; }
    };
    /** Whether v differs from what was last rendered under k. */
    const changed = (k, v) => {
      const s = JSON.stringify(v);
      if (S.sig[k] === s) return false;
      S.sig[k] = s;
      return true;
    };
    const clock = () => {
      const sy = S.node && S.node.sync, ei = S.epochInfo;
      return clockOf(S.node, S.nodeAt, ei && sy && ei.epoch === sy.current_epoch ? ei.first_slot : null);
    };
    const epochLen = () => (S.node && S.node.sync && S.node.sync.epoch_length) || (S.epochInfo && S.epochInfo.length) || 0;
    const td = (v, cls, extra) => el('td', Object.assign({ class: cls, text: v == null || v === '' ? '—' : isNum(v) ? String(v) : v }, extra));
    function fillTable(id, rows, cols, emptyText) {
      const t = $(id);
      if (t && t.tBodies[0]) t.tBodies[0].replaceChildren(...(rows.length ? rows : [el('tr', { class: 'empty' }, el('td', { colspan: cols, text: emptyText }))]));
    }

    function setOnline(ok) {
      if (S.online === ok) return;
      S.online = ok;
      const c = $('conn-status');
      c.dataset.state = ok ? 'ok' : 'lost';
      c.className = 'badge conn ' + (ok ? 'ok' : 'lost');
      c.title = ok ? 'the API answers' : 'the API does not answer';
      setText('conn-text', ok ? 'live' : 'connection lost');
      document.body.classList.toggle('offline', !ok);
    }

    function setLeadership(on) {
      if (S.leadership === on) return;
      S.leadership = on;
      for (const n of document.querySelectorAll('[data-leadership]')) n.hidden = !on;
      $('relay-note').hidden = on;
      document.body.classList.toggle('relay', !on);
      if (!on) {
        S.ldLive = false;
        if (ldES) { ldES.close(); ldES = null; }
      }
    }

    /** The leadership routes answered 404: this node does not forge (checked again in 30 s). */
    const noLeadership = () => { S.no404At = Date.now(); setLeadership(false); };

    /* ---- header, peers ---- */
    async function pollNode() {
      try {
        const n = await getJSON('/api/v1/node');
        S.node = n; S.nodeAt = Date.now();
        setOnline(true);
        setErr('node', null);
        renderHeader();
        renderPeers();
      } catch (e) {
        setOnline(!!e.status); // an HTTP error still is an answer
        setErr('node', e);
      }
    }

    function renderHeader() {
      const n = S.node, sy = n.sync || {};
      setText('node-name', n.node_name || '(unnamed node)');
      document.title = (n.node_name || 'node') + ' · slotforge';
      setText('node-version', n.version ? 'v' + n.version : '');
      setText('network-magic', 'magic ' + fmtInt(n.network_magic));
      const role = $('node-role');
      role.dataset.role = n.producer ? 'producer' : 'relay';
      setText(role, n.producer ? 'producer' : 'relay');
      role.title = Array.isArray(n.leaders) && n.leaders.length ? 'leaders: ' + n.leaders.join(', ') : '';
      const b = $('sync-state'), st = sy.state || 'unknown';
      b.dataset.state = st;
      b.className = 'badge state-' + st.replace(/[^a-z_]/gi, '');
      setText(b, st === 'caught_up' ? 'caught up' : st);
      b.title = 'tip slot ' + fmtInt(sy.tip_slot) + ' · wall-clock slot ' + fmtInt(sy.current_slot);
      setText('slot-length', isNum(sy.slot_length_ms) ? sy.slot_length_ms + ' ms' : '—');
      renderKesWarning(n.kes || []);
      if (n.producer === false) setLeadership(false);
      else if (n.producer === true && Date.now() - S.no404At > 30000) setLeadership(true);
      if (S.leadership && !S.ldLive && Date.now() - S.probeAt > 5000) {
        S.probeAt = Date.now();
        loadSchedule();
      }
    }

    /** A badge for the leaders whose operational certificate (KES key) expires soon or has. */
    function renderKesWarning(kes) {
      const b = $('kes-warning'), soon = kes.filter(k => k.warning);
      b.hidden = soon.length === 0;
      if (!soon.length) return;
      const first = soon.reduce((a, k) => (k.seconds_left < a.seconds_left ? k : a));
      const left = first.seconds_left;
      const when = left <= 0 ? 'expired' : left >= 86400 ? Math.floor(left / 86400) + ' d left'
        : Math.floor(left / 3600) + ' h left';
      b.className = 'badge ' + (left <= 0 ? 'bad' : 'warn');
      b.dataset.leaders = soon.map(k => k.leader).join(',');
      setText(b, 'KES key ' + when + (soon.length > 1 ? ' (' + soon.length + ' leaders)' : ''));
      b.title = soon.map(k => k.leader + ': KES period ' + k.kes_period + ' of ' + k.end_kes_period +
        ', expires ' + (k.expires_at || '?')).join('\n') + '\nIssue a new KES key and operational certificate.';
    }

    function renderPeers() {
      const peers = (S.node && Array.isArray(S.node.peers) && S.node.peers) || [];
      setText('peers-count', peers.filter((p) => p.connected).length + ' / ' + peers.length + ' connected');
      if (!changed('peers', peers)) return;
      fillTable('peers-table', peers.map((p) => el('tr', { class: 'peer-row' + (p.connected ? '' : ' disconnected'), 'data-peer': p.address, 'data-direction': p.direction },
        el('td', {}, el('code', { text: p.address || '—' })),
        td(p.direction),
        el('td', {}, el('span', { class: 'badge ' + (p.connected ? 'ok' : 'bad'), text: p.connected ? 'yes' : 'no' })),
        td(p.headers_received, 'n'), td(p.blocks_received, 'n'), td(p.blocks_served, 'n'),
        el('td', { class: 'err-cell' + (p.last_error ? '' : ' none'), text: p.last_error || '—', title: p.last_error || '' }))), 7, 'no peers');
    }

    /* ---- tip (SSE, polling while the stream is down) ---- */
    function onTip(t) {
      if (!t || typeof t !== 'object') return;
      const prev = S.tip;
      S.tip = t; S.tipAt = Date.now();
      setErr('tip', null);
      const bn = $('tip-block-number');
      if (setText(bn, fmtInt(t.block_number)) && prev) flash(bn);
      if (setText('tip-slot', fmtInt(t.slot)) && prev) flash($('tip-slot'));
      setText('tip-epoch', fmtInt(t.epoch));
      setText('tip-slot-in-epoch', fmtInt(t.slot_in_epoch));
      const h = $('tip-hash');
      setText(h, t.hash ? shortHash(t.hash, 16, 8) : '—');
      h.title = t.hash || '';
      h.dataset.hash = t.hash || '';
      const im = t.immutable || {};
      setText('immutable-block-number', fmtInt(im.block_number));
      setText('immutable-slot', fmtInt(im.slot));
      $('immutable-block-number').title = im.hash || '';
      const mp = t.mempool || {};
      setText('mempool-txs', fmtInt(mp.txs));
      setText('mempool-bytes', fmtBytes(mp.bytes));
      if (!prev || prev.hash !== t.hash) refreshBlocksSoon();
    }

    function onRollback(r) {
      const n = $('last-rollback');
      n.hidden = false;
      const depth = r && isNum(r.depth) ? ', depth ' + r.depth : '';
      setText(n, '↶ rollback to slot ' + fmtInt(r && r.to_slot) + depth + ' at ' + fmtTime(Date.now()));
      n.title = (r && r.to_hash) || '';
      flash(n);
      refreshBlocksSoon();
    }

    const pollTip = () => getJSON('/api/v1/tip').then(onTip, (e) => setErr('tip', e));

    /* ---- leadership: schedule (SSE + periodic reload), next slots, per-epoch table ---- */
    async function fetchSchedule(ep, into) {
      let cursor = null, pages = 0;
      do {
        const r = await getJSON('/api/v1/leadership/schedule?epoch=' + ep + '&limit=1000' + (cursor ? '&cursor=' + encodeURIComponent(cursor) : ''), 8000);
        for (const e of (r && Array.isArray(r.entries) && r.entries) || []) if (e) into.set(entryKey(e), e);
        cursor = r && r.next_cursor;
      } while (cursor && ++pages < 20);
    }

    async function loadSchedule() {
      const c = clock();
      if (!c || schedBusy) return;
      schedBusy = true;
      S.pending = new Map(); // slot events that arrive while we load win over the loaded page
      try {
        const fresh = new Map();
        await fetchSchedule(c.epoch, fresh); // a 404 here means: relay
        if (c.epoch > 0) {
          try { await fetchSchedule(c.epoch - 1, fresh); } catch (e) { /* the previous epoch is optional */ }
        }
        for (const [k, e] of S.entries) if (e.epoch > c.epoch && !fresh.has(k)) fresh.set(k, e);
        for (const [k, e] of S.pending) fresh.set(k, e);
        S.entries = fresh; S.schedAt = Date.now();
        setLeadership(true);
        setErr('schedule', null);
        if (!S.ldLive) {
          S.ldLive = true;
          if (!ldES) {
            ldES = sse('/api/v1/leadership/events', { slot: onSlot }, (open) => {
              if (open && Date.now() - S.schedAt > 3000) loadSchedule(); // catch up on what we missed
            });
          }
        }
        markDirty();
      } catch (e) {
        if (e.status === 404) noLeadership();
        else setErr('schedule', e);
      } finally { schedBusy = false; S.pending = null; }
    }

    function onSlot(e) {
      if (!e || typeof e !== 'object' || e.slot == null) return;
      S.entries.set(entryKey(e), e);
      if (S.pending) S.pending.set(entryKey(e), e);
      markDirty();
      if (e.status === 'adopted' || e.status === 'orphaned' || e.status === 'forged') refreshBlocksSoon();
      if (e.status !== 'scheduled') pollNext();
    }

    function markDirty() {
      if (!dirtyTimer) dirtyTimer = setTimeout(() => { dirtyTimer = null; renderLeadership(); }, 100);
    }

    function renderLeadership() {
      const c = clock();
      if (!c || !S.leadership) return;
      const all = [...S.entries.values()];
      const cur = all.filter((e) => e.epoch === c.epoch);
      setText('timeline-epoch', 'epoch ' + c.epoch);
      renderTimeline($('timeline'), { epoch: c.epoch, first: c.first, L: c.L, entries: cur, leaders: S.node && S.node.leaders, now: c.slot });
      renderCounts($('status-counts'), cur);
      const missed = all.filter((e) => e.status === 'missed' && (e.epoch === c.epoch || e.epoch === c.epoch - 1))
        .sort((a, b) => b.slot - a.slot || String(a.leader).localeCompare(String(b.leader)));
      if (!changed('missed', [c.epoch, missed.map((e) => [e.id, e.slot, e.reason])])) return;
      fillTable('missed-slots', missed.map((e) => el('tr', { class: 'missed-row', 'data-slot': e.slot, 'data-leader': e.leader, 'data-epoch': e.epoch },
        td(e.epoch), td(e.slot, 'n'), td(e.slot_in_epoch, 'n'), td(e.leader),
        td(e.reason || 'no reason recorded', 'reason', { title: e.reason || '' }),
        td(fmtTime(isNum(e.finished_at_ms) ? e.finished_at_ms : e.scheduled_at_ms)))),
      6, 'no missed slots in epochs ' + Math.max(0, c.epoch - 1) + '–' + c.epoch);
    }

    async function pollNext() {
      if (nextBusy) return;
      nextBusy = true;
      try {
        const r = await getJSON('/api/v1/leadership/next?limit=10');
        const now = Date.now();
        S.next = ((r && Array.isArray(r.slots) && r.slots) || []).map((s) => Object.assign({}, s, { deadline: now + (isNum(s.in_ms) ? s.in_ms : 0) }));
        setErr('next', null);
        renderNext();
      } catch (e) {
        if (e.status === 404) noLeadership();
        else setErr('next', e);
      } finally { nextBusy = false; }
    }

    function renderNext() {
      const box = $('next-slots');
      setText('next-count', S.next.length ? S.next.length + ' upcoming' : '');
      if (changed('next', S.next.map((s) => [s.leader, s.slot]))) {
        box.replaceChildren(...(S.next.length
          ? S.next.map((s) => el('li', { class: 'next-slot', 'data-slot': s.slot, 'data-leader': s.leader },
            el('span', { class: 'ns-leader', text: s.leader }),
            el('span', { class: 'ns-slot', text: 'slot ' + fmtInt(s.slot) + ' · e' + fmtInt(s.epoch) + '/' + fmtInt(s.slot_in_epoch), title: s.scheduled_at || '' }),
            el('span', { class: 'countdown', 'data-deadline': s.deadline })))
          : [el('li', { class: 'empty-note', text: 'no upcoming leader slots scheduled' })]));
      } else {
        S.next.forEach((s, i) => {
          const c = box.children[i] && box.children[i].querySelector('.countdown');
          if (c) c.dataset.deadline = s.deadline;
        });
      }
      updateCountdowns(box);
    }

    async function pollEpochStats() {
      try {
        const r = await getJSON('/api/v1/leadership/epochs');
        setErr('epochs', null);
        const rows = ((r && Array.isArray(r.epochs) && r.epochs) || []).slice()
          .sort((a, b) => b.epoch - a.epoch || String(a.leader).localeCompare(String(b.leader)));
        const c = clock(), cur = c ? c.epoch : null;
        if (!changed('epochs', [cur, rows])) return;
        fillTable('epoch-table', rows.map((x) => {
          const perf = isNum(x.performance) ? x.performance : null;
          const pc = perf == null ? '' : perf >= 90 ? 'perf-good' : perf >= 70 ? 'perf-ok' : 'perf-bad';
          return el('tr', { class: 'epoch-row' + (x.epoch === cur ? ' current' : ''), 'data-epoch': x.epoch, 'data-leader': x.leader },
            td(x.epoch), td(x.leader), td(x.assigned, 'n', { 'data-col': 'assigned' }),
            td(isNum(x.ideal) ? x.ideal.toFixed(1) : null, 'n', { 'data-col': 'ideal' }),
            ['forged', 'adopted', 'orphaned', 'rejected', 'missed'].map((s) => td(x[s], 'n st ' + statusClass(s) + (x[s] ? '' : ' zero'), { 'data-col': s })),
            td(perf == null ? null : perf.toFixed(1) + ' %', 'n ' + pc, { 'data-col': 'performance' }));
        }), 10, 'no epochs yet');
      } catch (e) {
        if (e.status === 404) noLeadership();
        else setErr('epochs', e);
      }
    }

    /* ---- stake distribution of the current epoch ---- */
    async function pollEpochInfo() {
      const c = clock();
      if (!c) return;
      try {
        S.epochInfo = await getJSON('/api/v1/epochs/' + c.epoch);
        setErr('stake', null);
        renderStake();
      } catch (e) {
        setErr('stake', e.status === 404 ? 'epoch ' + c.epoch + ': ' + e.message : e);
      }
    }

    function renderStake() {
      const r = S.epochInfo;
      if (!r || !changed('stake', r)) return;
      setText('stake-epoch', 'epoch ' + fmtInt(r.epoch) + (r.consensus && r.consensus !== 'praos' ? ' (' + r.consensus + ')' : ''));
      const n = $('epoch-nonce');
      setText(n, r.nonce ? shortHash(r.nonce, 16, 8) : '—');
      n.title = r.nonce || '';
      n.dataset.nonce = r.nonce || '';
      setText('epoch-asc', r.active_slot_coeff == null ? '—' : String(r.active_slot_coeff));
      setText('epoch-total-stake', fmtNum(r.total_stake));
      const rows = (Array.isArray(r.stake) ? r.stake : []).slice().sort((a, b) => (b.stake || 0) - (a.stake || 0));
      fillTable('stake-table', rows.map((p) => {
        const pct = isNum(p.share) ? p.share * 100 : null;
        return el('tr', { class: 'stake-row', 'data-pool': p.pool_id },
          el('td', {}, el('code', { text: shortId(p.pool_id), title: (p.pool_id || '') + (p.pool_id_hex ? '\n' + p.pool_id_hex : '') })),
          td(fmtNum(p.stake), 'n'),
          el('td', { class: 'n share' }, pct == null ? '—' : pct.toFixed(2) + ' %',
            el('span', { class: 'sharebar', style: 'width:' + Math.min(100, Math.max(0, pct || 0)) + '%' })));
      }), 3, 'no stake distribution for this epoch');
    }

    /* ---- the pots, and governance proposals with their vote tallies ---- */
    const POTS = ['reserves', 'treasury', 'deposits', 'fees', 'donations', 'rewards', 'utxo', 'max_supply'];
    async function pollPots() {
      try {
        const r = await getJSON('/api/v1/pots');
        setErr('pots', null);
        if (!changed('pots', r)) return;
        setText('pots-epoch', 'epoch ' + fmtInt(r.epoch));
        fillTable('pots-table', POTS.map((k) => el('tr', { class: 'pot-row', 'data-pot': k, 'data-value': String(r[k]) },
          td(k.replace('_', ' ')), td(fmtNum(r[k]), 'n'))), 2, 'no pots');
      } catch (e) {
        setErr('pots', e);
      }
    }

    function tally(votes) {
      const n = { yes: 0, no: 0, abstain: 0 };
      for (const v of votes || []) n[v.vote] = (n[v.vote] || 0) + 1;
      return n.yes + ' yes · ' + n.no + ' no · ' + n.abstain + ' abstain';
    }

    async function pollGovernance() {
      try {
        const r = await getJSON('/api/v1/governance', 8000);
        setErr('governance', null);
        if (!changed('governance', r)) return;
        const ps = Array.isArray(r.proposals) ? r.proposals : [];
        setText('proposals-count', ps.length + (ps.length === 1 ? ' proposal' : ' proposals'));
        const pv = r.protocol_version || {};
        const pvn = $('protocol-version');
        setText(pvn, 'protocol version ' + pv.major + '.' + pv.minor);
        if (pvn) pvn.dataset.version = pv.major + '.' + pv.minor;
        fillTable('proposals-table', ps.map((p) => el('tr', { class: 'proposal-row', 'data-id': p.id, 'data-ratification': p.ratification },
          td(p.action.replace(/_/g, ' ')),
          el('td', {}, el('code', { text: shortHash(p.id, 8, 4), title: p.id })),
          td(tally(p.votes.committee)), td(tally(p.votes.dreps)), td(tally(p.votes.pools)),
          td(p.expires_after, 'n'), td(p.ratification))), 7, 'no proposals in flight');
      } catch (e) {
        setErr('governance', e);
      }
    }

    /* ---- rewards per pool for the last epochs (the ledger facts of /api/v1/epochs/{e}) ---- */
    const REWARD_EPOCHS = 5;
    const rewardsByEpoch = new Map(); // epoch -> [{pool_id, lovelace}], kept once the epoch is over
    async function pollRewards() {
      const c = clock();
      if (!c) return;
      const epochs = [];
      for (let e = c.epoch; e >= 0 && epochs.length < REWARD_EPOCHS; e--) epochs.push(e);
      try {
        await Promise.all(epochs.filter((e) => e === c.epoch || !rewardsByEpoch.has(e)).map(async (e) => {
          try {
            const r = await getJSON('/api/v1/epochs/' + e);
            if (r.ledger) rewardsByEpoch.set(e, r.ledger.pool_rewards || []);
          } catch (err) {
            if (err.status !== 404) throw err;
          }
        }));
        setErr('rewards', null);
      } catch (e) {
        setErr('rewards', e);
      }
      const shown = epochs.filter((e) => rewardsByEpoch.has(e)).reverse();
      const pools = [...new Set(shown.flatMap((e) => rewardsByEpoch.get(e).map((p) => p.pool_id)))].sort();
      const sig = JSON.stringify(shown.map((e) => [e, rewardsByEpoch.get(e)]));
      if (!changed('rewards', sig)) return;
      const head = $('rewards-table').tHead.rows[0];
      head.replaceChildren(el('th', { text: 'pool' }), ...shown.map((e) => el('th', { class: 'n', text: 'epoch ' + e })));
      fillTable('rewards-table', pools.map((id) => el('tr', { class: 'reward-row', 'data-pool': id },
        el('td', {}, el('code', { text: shortId(id), title: id })),
        ...shown.map((e) => {
          const p = rewardsByEpoch.get(e).find((x) => x.pool_id === id);
          return el('td', { class: 'n', 'data-epoch': String(e), 'data-lovelace': p ? String(p.lovelace) : '' }, p ? fmtNum(p.lovelace) : '—');
        }))), 1 + shown.length, 'no rewards paid yet (a pool is first paid two epochs after it makes blocks)');
    }

    /* ---- recent blocks, with abandoned forks ---- */
    function refreshBlocksSoon() {
      if (!blocksTimer) blocksTimer = setTimeout(() => { blocksTimer = null; pollBlocks(); }, 250);
    }

    async function pollBlocks() {
      if (blocksBusy) { blocksAgain = true; return; }
      blocksBusy = true;
      try {
        const tipSlot = S.tip && isNum(S.tip.slot) ? S.tip.slot : null;
        // the last three epochs (capped, should epochs be mainnet-long)
        let from = tipSlot == null ? 0 : Math.max(0, tipSlot - Math.min(3 * (epochLen() || 0), 20000));
        const byHash = new Map();
        for (let page = 0; page < 10; page++) { // ascending by slot: page forward to reach the newest
          const r = await getJSON('/api/v1/blocks?from_slot=' + from + '&limit=200');
          const bs = (r && Array.isArray(r.blocks) && r.blocks) || [];
          for (const b of bs) if (b && b.hash) byHash.set(b.hash, b);
          if (bs.length < 200) break;
          const last = bs[bs.length - 1].slot;
          from = last > from ? last : from + 1;
        }
        S.blocks = [...byHash.values()];
        setErr('blocks', null);
        renderBlocks();
      } catch (e) { setErr('blocks', e); } finally {
        blocksBusy = false;
        if (blocksAgain) { blocksAgain = false; refreshBlocksSoon(); }
      }
    }

    function renderBlocks() {
      const byHash = new Map(S.blocks.map((b) => [b.hash, b]));
      const list = S.blocks.slice().sort((a, b) => b.slot - a.slot || b.block_number - a.block_number).slice(0, 20);
      const tipHash = S.tip && S.tip.hash;
      if (!changed('blocks', [tipHash, list.map((b) => [b.hash, b.selected, b.immutable])])) return;
      const box = $('recent-blocks');
      if (!list.length) {
        box.replaceChildren(el('div', { class: 'empty-note', text: 'no blocks yet' }));
        return;
      }
      box.replaceChildren(...list.map((b) => {
        const fork = b.selected === false;
        const parent = b.prev_hash ? byHash.get(b.prev_hash) : null;
        let from = null; // the selected block this fork branches off
        if (fork) {
          let p = parent, guard = 0;
          while (p && p.selected === false && guard++ < 100) p = byHash.get(p.prev_hash);
          from = p || null;
        }
        const tip = b.hash === tipHash;
        const cls = 'brow block-row' + (fork ? ' fork' : '') + (fork && parent && parent.selected !== false ? ' fork-root' : '') +
          (b.immutable ? ' immutable' : '') + (tip ? ' tip' : '');
        return el('div', {
          class: cls, 'data-hash': b.hash, 'data-slot': b.slot, 'data-block-number': b.block_number,
          'data-selected': String(!fork), 'data-immutable': String(!!b.immutable),
          title: 'hash ' + b.hash + '\nprev ' + (b.prev_hash || '—') + '\nepoch ' + fmtInt(b.epoch) + '\nissuer ' + (b.issuer || '—'),
        },
        el('span', { class: 'rail' }),
        el('span', { class: 'bno', text: '#' + fmtInt(b.block_number) }),
        el('span', { class: 'bslot', text: 'slot ' + fmtInt(b.slot) }),
        el('code', { class: 'bhash', text: shortHash(b.hash) }),
        el('span', { class: 'issuer', text: shortId(b.issuer), title: b.issuer || '' }),
        el('span', { class: 'n', text: fmtInt(b.tx_count) }),
        el('span', { class: 'n', text: fmtBytes(b.size) }),
        el('span', { class: 'tags' },
          fork ? el('span', { class: 'tag fork', text: 'fork' }) : null,
          fork ? el('span', { class: 'fork-from', text: from ? 'off #' + fmtInt(from.block_number) : 'branch' }) : null,
          b.immutable ? el('span', { class: 'tag imm', text: 'immutable' }) : null,
          tip ? el('span', { class: 'tag tip', text: 'tip' }) : null));
      }));
    }

    /* ---- devnet link ---- */
    async function probeDevnet() {
      try {
        await getJSON('/api/v1/devnet');
        $('devnet-link').hidden = false;
      } catch (e) {
        $('devnet-link').hidden = true;
        if (!e.status || e.status >= 500) setTimeout(probeDevnet, 15000); // 404: not in a devnet
      }
    }

    /* ---- every second: clock-driven parts ---- */
    function tick() {
      const c = clock();
      if (c) {
        if (S.epoch !== c.epoch) {
          const first = S.epoch == null;
          S.epoch = c.epoch;
          if (!first) {
            if (S.ldLive) loadSchedule();
            pollEpochInfo();
          }
        }
        const p = $('epoch-progress');
        p.setAttribute('aria-valuemax', c.L);
        p.setAttribute('aria-valuenow', c.inEpoch);
        p.dataset.epoch = c.epoch;
        p.dataset.slotInEpoch = c.inEpoch;
        $('epoch-progress-fill').style.width = ((c.inEpoch / c.L) * 100).toFixed(2) + '%';
        setText('epoch-progress-text', 'epoch ' + c.epoch + ' · slot ' + c.inEpoch + ' / ' + c.L);
        setText('epoch-remaining', 'ends in ' + fmtDur((c.L - c.inEpoch) * c.ms));
        setText('current-slot', c.slot);
        setText('tip-lag', S.tip && isNum(S.tip.slot) ? Math.max(0, c.slot - S.tip.slot) + ' slots' : '—');
        if (S.leadership) renderLeadership();
      }
      const age = Date.now() - S.tipAt;
      setText('tip-age', S.tipAt ? (age < 1500 ? 'updated just now' : 'updated ' + fmtDur(age) + ' ago') : 'no tip yet');
      setText('tip-source', tipES && tipES.isOpen() ? 'live' : 'polling');
      updateCountdowns(document);
    }

    async function poll() {
      try {
        await pollNode();
        const jobs = [pollBlocks(), pollEpochInfo(), pollPots(), pollGovernance(), pollRewards()];
        if (!tipES || !tipES.isOpen()) jobs.push(pollTip());
        if (S.leadership) {
          jobs.push(pollNext(), pollEpochStats());
          if (S.ldLive && Date.now() - S.schedAt > 15000) jobs.push(loadSchedule());
        }
        await Promise.allSettled(jobs);
      } catch (e) {
        console.error('slotforge dashboard:', e);
      } finally {
        setTimeout(poll, 2000);
      }
    }

    buildLegend($('legend'));
    tipES = sse('/api/v1/events', { tip: onTip, rollback: onRollback });
    poll();
    probeDevnet();
    setInterval(tick, 1000);
    setInterval(() => updateCountdowns($('next-slots')), 250);
    window.addEventListener('pagehide', () => { if (tipES) tipES.close(); if (ldES) ldES.close(); });
    window.addEventListener('pageshow', (ev) => { if (ev.persisted) location.reload(); });
  }

  if (document.body && document.body.dataset.page === 'node') bootNode();
})();
