/* slotforge devnet overview (devnet.html): one card per node, each polled every second from its
 * own origin (the API allows any origin). Uses the helpers dashboard.js exports as window.SF. */
(() => {
  'use strict';
  const SF = window.SF;
  if (!SF) {
    document.body.append('dashboard.js did not load; the overview needs it.');
    return;
  }
  const { $, el, isNum, fmtInt, shortHash, setText, flash, getJSON, clockOf, renderCounts, renderTimeline, updateCountdowns, buildLegend } = SF;
  const nodes = [];
  const cardId = (name) => 'node-' + String(name).replace(/\s+/g, '-');
  const hostOf = (u) => { try { return new URL(u).host; } catch (e) { return u; } };

  function addNode(name, rest, named) {
    rest = String(rest).replace(/\/+$/, '');
    if (!/^https?:\/\//i.test(rest)) rest = 'http://' + rest;
    const u = {};
    const part = (cls, tag = 'b', text = '—') => (u[cls] = el(tag, { class: cls, text }));
    const card = el('section', { class: 'card node-card', id: cardId(name), 'data-node': name },
      el('div', { class: 'node-head' },
        u.name = el('a', { class: 'node-name', href: rest + '/', target: '_blank', rel: 'noopener', text: name, title: rest }),
        part('node-status', 'span', 'connecting…'),
        part('node-sync', 'span', '…')),
      el('div', { class: 'node-body' },
        el('div', { class: 'node-tipline' },
          el('div', { class: 'kv' }, el('label', { text: 'tip block' }), part('node-tip-block')),
          el('div', { class: 'kv' }, el('label', { text: 'tip slot' }), part('node-tip-slot')),
          el('div', { class: 'kv' }, el('label', { text: 'peers' }), part('node-peers'))),
        el('div', { class: 'node-line' }, 'tip hash ', part('node-tip-hash', 'code')),
        el('div', { class: 'node-line' }, 'epoch ', part('node-epoch'), ' · slot ', part('node-slot'),
          ' · next leader slot ', part('node-next-slot', 'b', '—'), ' ', u.countdown = el('span', { class: 'countdown node-next' })),
        u.counts = el('div', { class: 'status-counts compact node-counts' }),
        u.timeline = el('div', { class: 'timeline compact node-timeline' })),
      part('node-error', 'div', ''));
    u['node-status'].classList.add('badge');
    u['node-sync'].classList.add('badge');
    $('devnet-nodes').append(card);
    nodes.push({ name, rest, named, card, u, node: null, nodeAt: 0, tip: null, entries: [], next: null, up: null, busy: false, err: null, leadership: null });
  }

  async function poll(n) {
    if (n.busy) return; // a hung node must not pile up requests
    n.busy = true;
    try {
      const [node, tip] = await Promise.all([getJSON(n.rest + '/api/v1/node', 2500), getJSON(n.rest + '/api/v1/tip', 2500)]);
      Object.assign(n, { node, tip, nodeAt: Date.now(), up: true, err: null });
      const c = clockOf(node, n.nodeAt);
      if (node.producer === false || !c) {
        n.leadership = false;
      } else {
        const [sch, nx] = await Promise.allSettled([
          getJSON(n.rest + '/api/v1/leadership/schedule?epoch=' + c.epoch + '&limit=1000', 2500),
          getJSON(n.rest + '/api/v1/leadership/next?limit=1', 2500),
        ]);
        if (sch.status === 'fulfilled') {
          n.entries = Array.isArray(sch.value.entries) ? sch.value.entries : [];
          n.leadership = true;
        } else {
          n.leadership = sch.reason && sch.reason.status === 404 ? false : n.leadership;
          n.err = new Error('leadership: ' + (sch.reason && sch.reason.message));
        }
        if (nx.status === 'fulfilled') {
          const s = Array.isArray(nx.value.slots) ? nx.value.slots[0] : null;
          n.next = s ? Object.assign({}, s, { deadline: Date.now() + (isNum(s.in_ms) ? s.in_ms : 0) }) : null;
        }
      }
    } catch (e) {
      Object.assign(n, { up: false, err: e });
    } finally {
      n.busy = false;
      try { render(n); } catch (e) { console.error('slotforge devnet:', e); }
      summary();
    }
  }

  function render(n) {
    const u = n.u, node = n.node, tip = n.tip || {};
    const state = n.up ? 'up' : n.up === false ? 'down' : 'pending';
    n.card.classList.toggle('down', n.up === false);
    n.card.dataset.state = state;
    u['node-status'].className = 'badge node-status ' + state;
    setText(u['node-status'], n.up ? 'reachable' : n.up === false ? 'unreachable' : 'connecting…');
    setText(u['node-error'], n.err ? String(n.err.message || n.err) : '');
    if (!node) return;
    if (!n.named && node.node_name) { // ?nodes= gave only addresses: adopt the node's own name
      n.named = true;
      if (!document.getElementById(cardId(node.node_name))) {
        n.name = String(node.node_name);
        n.card.id = cardId(n.name);
        n.card.dataset.node = n.name;
        setText(u.name, n.name);
      }
    }
    const sy = node.sync || {}, st = sy.state || 'unknown';
    u['node-sync'].className = 'badge node-sync state-' + st.replace(/[^a-z_]/gi, '');
    u['node-sync'].dataset.state = st;
    setText(u['node-sync'], st === 'caught_up' ? 'caught up' : st);
    if (setText(u['node-tip-block'], fmtInt(tip.block_number))) flash(u['node-tip-block']);
    setText(u['node-tip-slot'], fmtInt(tip.slot));
    setText(u['node-tip-hash'], shortHash(tip.hash, 10, 6));
    u['node-tip-hash'].title = tip.hash || '';
    u['node-tip-hash'].dataset.hash = tip.hash || '';
    const peers = Array.isArray(node.peers) ? node.peers : [];
    const conn = peers.filter((p) => p.connected).length;
    setText(u['node-peers'], conn);
    u['node-peers'].title = conn + ' connected of ' + peers.length + ' known';
    drawClock(n);
  }

  /** The parts that move with the clock: epoch, timeline marker, next-slot countdown. */
  function drawClock(n) {
    const u = n.u, c = clockOf(n.node, n.nodeAt);
    if (!c) return;
    setText(u['node-epoch'], c.epoch);
    setText(u['node-slot'], c.inEpoch + '/' + c.L);
    u.counts.hidden = u.timeline.hidden = n.leadership === false;
    if (n.leadership === false) {
      setText(u['node-next-slot'], 'relay');
      u.countdown.removeAttribute('data-deadline'); setText(u.countdown, '');
      return;
    }
    const leaders = Array.isArray(n.node.leaders) ? n.node.leaders.map(String) : [];
    const mine = n.entries.filter((e) => e.epoch === c.epoch && (!leaders.length || leaders.includes(String(e.leader))));
    renderCounts(u.counts, mine);
    renderTimeline(u.timeline, { epoch: c.epoch, first: c.first, L: c.L, entries: mine, leaders, now: c.slot, compact: true });
    if (n.next) {
      setText(u['node-next-slot'], fmtInt(n.next.slot));
      u.countdown.dataset.deadline = n.next.deadline;
      u.countdown.dataset.slot = n.next.slot;
      updateCountdowns(n.card);
    } else {
      setText(u['node-next-slot'], 'none');
      u.countdown.removeAttribute('data-deadline'); setText(u.countdown, '');
    }
  }

  function summary() {
    const up = nodes.filter((n) => n.up);
    const tipped = up.filter((n) => n.tip && n.tip.hash);
    const counts = new Map();
    for (const n of tipped) counts.set(n.tip.hash, (counts.get(n.tip.hash) || 0) + 1);
    let best = null;
    for (const n of tipped) {
      const a = n.tip, b = best && best.tip;
      if (!b || a.block_number > b.block_number || (a.block_number === b.block_number && a.slot > b.slot)) best = n;
    }
    // the majority tip (ties go to the highest); nodes elsewhere are highlighted
    let major = null, score = -1;
    for (const [h, k] of counts) {
      const s = k * 2 + (best && best.tip.hash === h ? 1 : 0);
      if (s > score) { score = s; major = h; }
    }
    const agree = counts.size <= 1;
    for (const n of nodes) {
      n.u['node-tip-hash'].classList.toggle('differs', !agree && !!n.up && !!(n.tip && n.tip.hash) && n.tip.hash !== major);
    }
    const box = $('devnet-summary'), agreeText = counts.size === 0 ? 'unknown' : String(agree);
    Object.assign(box.dataset, { up: up.length, total: nodes.length, agree: agreeText, highestBlock: best ? fmtInt(best.tip.block_number) : '' });
    setText('devnet-up', up.length + ' / ' + nodes.length);
    setText('devnet-highest', best ? '#' + fmtInt(best.tip.block_number) + ' · slot ' + fmtInt(best.tip.slot) + ' (' + best.name + ')' : '—');
    const a = $('devnet-agree');
    a.dataset.agree = agreeText;
    a.className = 'badge ' + (counts.size === 0 ? '' : agree ? 'ok' : 'bad');
    setText(a, counts.size === 0 ? 'no tips yet' : agree ? 'all tips agree' : 'tips differ (' + counts.size + ' distinct)');
  }

  function showError(msg) {
    const e = $('devnet-error');
    e.hidden = !msg; e.textContent = msg || '';
  }

  async function loadList() {
    let list = null, why = null;
    try {
      const r = await getJSON('/api/v1/devnet');
      list = (Array.isArray(r.nodes) ? r.nodes : []).filter((x) => x && x.rest)
        .map((x) => ({ name: String(x.name || hostOf(x.rest)), rest: String(x.rest), named: !!x.name }));
      setText('devnet-source', 'nodes from /api/v1/devnet');
    } catch (e) {
      why = e;
    }
    if (!list || !list.length) {
      const q = new URLSearchParams(location.search).get('nodes');
      if (q) {
        list = q.split(',').map((s) => s.trim()).filter(Boolean).map((x) => ({ name: hostOf(x), rest: x, named: false }));
        setText('devnet-source', 'nodes from ?nodes=');
      }
    }
    if (!list || !list.length) {
      showError('No node list: /api/v1/devnet ' + (why ? 'failed (' + why.message + ')' : 'listed no nodes') +
        '. Open this page from a devnet node, or pass ?nodes=http://host:port,http://host:port. Retrying…');
      setTimeout(loadList, 3000);
      return;
    }
    showError(null);
    for (const x of list) addNode(x.name, x.rest, x.named);
    summary();
    const loop = () => {
      for (const n of nodes) poll(n);
      setTimeout(loop, 1000);
    };
    loop();
    setInterval(() => { for (const n of nodes) if (n.node) drawClock(n); }, 1000);
    setInterval(() => updateCountdowns(document), 250);
  }

  buildLegend($('legend'));
  loadList();
})();
