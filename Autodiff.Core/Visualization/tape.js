// The tape page's script (see tape.html). It reads the JSON that TapePage.cs wrote into the page, lays the recorded
// graph out left to right (one column per depth), and steps through the forward pass and then the backward pass.
// It only shows numbers: every value, gradient and contribution was computed by the engine, none here.
// Plain ES2020 in one function scope, no modules, no libraries, nothing fetched.
(function () {
  'use strict';

  const data = JSON.parse(document.getElementById('tape-data').textContent);
  const svg = document.getElementById('edges');
  const SVG_NS = svg.namespaceURI;            // the inline <svg>'s own namespace: no address is written in this file
  const canvas = document.getElementById('canvas');
  const viewport = document.getElementById('viewport');
  const explain = document.getElementById('explain');
  const statusEl = document.getElementById('status');
  const buttons = {
    reset: document.getElementById('step-reset'),
    back: document.getElementById('step-back'),
    play: document.getElementById('play'),
    next: document.getElementById('step-next'),
    end: document.getElementById('step-end'),
  };

  const NODE_H = 80, PAD = 24;
  const LABEL_ALL_EDGES = 60;                 // larger graphs label only the edges of the current op

  // ---- the data ------------------------------------------------------------------------------------------------
  const nodes = data.nodes;
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const ROW_H = nodes.some((n) => n.value.numel > 1) ? 150 : 104;   // room for values that wrap onto three lines
  // Wider boxes where a tensor shows as a summary (three lines of "mean/min/max -1.234e-18"); the small examples keep
  // narrow ones, so their whole graph and the side panel fit a 1366-pixel laptop screen.
  const summaries = nodes.some((n) => n.value.numel > data.smallNumel);
  const NODE_W = summaries ? 200 : 176, COL_W = summaries ? 300 : 280;
  const ops = nodes.filter((n) => n.kind === 'op').sort((a, b) => a.step - b.step);
  const backward = data.backward;
  const F = ops.length, B = backward.length, TOTAL = F + B;

  // A node's gradient as it stands after each backward step: [step index, summary], in step order.
  const gradEvents = new Map(nodes.map((n) => [n.id, []]));
  backward.forEach((step, j) => {
    for (const c of step.contributions) gradEvents.get(c.node).push([j, c.total]);
    gradEvents.get(step.node).push([j, step.incoming]);
  });

  // ---- formatting (display only) ---------------------------------------------------------------------------------
  function fmt(v, digits) {
    if (typeof v === 'string') return v;                  // "NaN", "Infinity", "-Infinity"
    const r = Number(v.toPrecision(digits || 6));
    return Object.is(r, -0) ? '0' : String(r);
  }
  function shapeText(shape) { return '[' + shape.join(', ') + ']'; }            // as Shape.ToString(): [] for a scalar
  function summaryText(s) {
    if (s.numel === 1) return fmt(s.values[0]);
    if (s.numel <= data.smallNumel) return '[' + s.values.map(fmt).join(', ') + ']';
    return 'mean ' + fmt(s.mean, 4) + '\nmin ' + fmt(s.min, 4) + '\nmax ' + fmt(s.max, 4);   // three short lines fit a box
  }
  // For an edge label: a few values in full, else the mean.
  function shortText(s) { return s.numel <= 4 ? summaryText(s) : 'mean ' + fmt(s.mean, 4); }
  function displayName(n) { return n.kind === 'op' ? n.op : (n.name || n.label); }
  function shortName(n) { return n.name || n.label; }
  function tensorName(n) { return n.name ? n.name + ' (' + n.label + ')' : n.label; }

  function el(tag, className, text) {
    const e = document.createElement(tag);
    if (className) e.className = className;
    if (text !== undefined) e.textContent = text;
    return e;
  }

  // ---- layout: columns by depth, rows by recording order -----------------------------------------------------------
  const depth = new Map();
  const consumers = new Map(nodes.map((n) => [n.id, []]));
  for (const op of ops) {
    let d = 1;
    for (const id of op.inputs) {
      d = Math.max(d, (depth.get(id) || 0) + 1);
      consumers.get(id).push(op);
    }
    depth.set(op.id, d);
  }
  const column = new Map(), order = new Map();
  for (const n of nodes) {
    if (n.kind === 'op') {
      column.set(n.id, depth.get(n.id));
      order.set(n.id, n.step);
    } else {
      const users = consumers.get(n.id);           // a leaf sits just left of its first consumer
      column.set(n.id, users.length ? Math.min(...users.map((u) => depth.get(u.id))) - 1 : 0);
      order.set(n.id, users.length ? Math.min(...users.map((u) => u.step)) - 0.5 : -1);
    }
  }
  const columns = [];
  for (const n of nodes) {
    const c = column.get(n.id);
    (columns[c] = columns[c] || []).push(n);
  }
  const tallest = Math.max(1, ...columns.map((c) => (c ? c.length : 0)));
  const pos = new Map();
  columns.forEach((list, c) => {
    if (!list) return;
    list.sort((a, b) => order.get(a.id) - order.get(b.id));
    const top = PAD + ((tallest - list.length) * ROW_H) / 2;
    list.forEach((n, r) => pos.set(n.id, { x: PAD + c * COL_W, y: top + r * ROW_H }));
  });
  const width = PAD * 2 + (columns.length - 1) * COL_W + NODE_W;
  const height = PAD * 2 + tallest * ROW_H;
  canvas.style.width = width + 'px';
  canvas.style.height = height + 'px';
  svg.setAttribute('width', width);
  svg.setAttribute('height', height);

  // ---- the boxes ---------------------------------------------------------------------------------------------------
  const views = new Map();
  for (const n of nodes) {
    const box = el('div', 'node ' + n.kind);
    box.id = 'node-' + n.id;
    box.dataset.testid = 'node-' + n.id;
    box.dataset.name = displayName(n);
    const p = pos.get(n.id);
    box.style.left = p.x + 'px';
    box.style.width = NODE_W + 'px';
    box.style.top = p.y + 'px';
    const head = el('div', 'head');
    const name = el('span', 'name');
    name.append(el('span', '', displayName(n)));
    if (n.kind === 'op' || n.name) name.append(el('span', 'shape', ' ' + n.label));
    head.append(name, el('span', 'shape', shapeText(n.value.shape)));
    box.title = n.kind === 'op' ? '#' + n.step + ' ' + n.op + ': ' + n.formula
      : (n.kind === 'leaf' ? 'leaf ' : 'constant ') + tensorName(n);
    const value = el('span', 'v');
    value.dataset.testid = 'node-' + n.id + '-value';
    const grad = el('span', 'v grad');
    grad.dataset.testid = 'node-' + n.id + '-grad';
    const valueRow = el('div', 'row');
    valueRow.append(el('span', 'k', 'value'), value);
    const gradRow = el('div', 'row');
    gradRow.append(el('span', 'k', 'grad'), grad);
    box.append(head, valueRow, gradRow);
    canvas.append(box);
    views.set(n.id, { box, value, grad, shown: { value: null, grad: null } });
    value.addEventListener('click', () => openValues(n, 'value'));
    grad.addEventListener('click', () => openValues(n, 'grad'));
  }

  // ---- the edges: input's right side to consumer's left side, labelled with the local derivative --------------------
  const edgesInto = new Map(ops.map((op) => [op.id, []]));
  for (const op of ops) {
    op.inputs.forEach((id, k) => {
      const a = pos.get(id), b = pos.get(op.id);
      const x1 = a.x + NODE_W, y1 = a.y + NODE_H / 2, x2 = b.x - 6, y2 = b.y + NODE_H / 2 + (k - (op.inputs.length - 1) / 2) * 14;
      const mx = (x1 + x2) / 2;
      const path = document.createElementNS(SVG_NS, 'path');
      path.setAttribute('d', 'M' + x1 + ',' + y1 + ' C' + mx + ',' + y1 + ' ' + mx + ',' + y2 + ' ' + x2 + ',' + y2);
      const arrow = document.createElementNS(SVG_NS, 'polygon');
      arrow.setAttribute('points', (x2 + 6) + ',' + y2 + ' ' + (x2 - 2) + ',' + (y2 - 4) + ' ' + (x2 - 2) + ',' + (y2 + 4));
      svg.append(path, arrow);
      const label = el('div', 'edge-label');
      label.dataset.testid = 'edge-' + op.id + '-' + k;
      const formula = el('span', 'f', op.edgeFormulas[k]);
      const sent = el('span', 'sent');
      label.append(formula, sent);
      label.title = op.op + ', input ' + k + ' (' + tensorName(byId.get(id)) + '): ' + op.edgeFormulas[k];
      label.style.left = (x1 + x2) / 2 + 'px';
      label.style.top = ((y1 + y2) / 2 + k * 2) + 'px';
      canvas.append(label);
      edgesInto.get(op.id).push({ k, from: id, path, arrow, label, sent });
    });
  }
  const labelAll = F <= LABEL_ALL_EDGES;

  // ---- the values dialog -------------------------------------------------------------------------------------------
  const dialog = document.getElementById('values-dialog');
  function openValues(n, which) {
    const v = views.get(n.id).shown[which];
    if (!v) return;
    document.getElementById('values-title').textContent =
      (which === 'grad' ? 'Gradient of ' : 'Value of ') + tensorName(n) + ' ' + shapeText(v.shape) + ' ' + v.dtype;
    document.getElementById('values-summary').textContent = 'mean ' + fmt(v.mean) + ', min ' + fmt(v.min) +
      ', max ' + fmt(v.max) + (v.truncated ? '; the first ' + v.values.length + ' of ' + v.numel + ' values' : '');
    const last = v.shape.length ? v.shape[v.shape.length - 1] : 1;
    const lines = [];
    for (let i = 0; i < v.values.length; i += last) lines.push(v.values.slice(i, i + last).map(fmt).join(', '));
    document.getElementById('values-list').textContent = lines.join('\n') + (v.truncated ? '\n…' : '');
    if (typeof dialog.showModal === 'function') dialog.showModal(); else dialog.setAttribute('open', '');
  }

  // ---- state: 0 = start, 1..F = forward steps, F+1..F+B = backward steps ----------------------------------------------
  let state = 0;
  let timer = null;

  function setCell(view, which, summary) {
    const cell = view[which];
    view.shown[which] = summary;
    cell.textContent = summary ? summaryText(summary) : '';
    cell.title = summary ? summaryText(summary) + (summary.numel > 1 ? ' (click for all values)' : '') : '';
    cell.classList.toggle('empty', !summary);
  }

  function render() {
    const applied = Math.max(0, state - F);             // backward steps done
    const currentOp = state >= 1 && state <= F ? ops[state - 1] : null;
    const currentBack = applied > 0 ? backward[applied - 1] : null;
    for (const n of nodes) {
      const view = views.get(n.id);
      const computed = n.kind !== 'op' || state > n.step;
      setCell(view, 'value', computed ? n.value : null);
      let grad = null;
      for (const [j, s] of gradEvents.get(n.id)) if (j < applied) grad = s;
      setCell(view, 'grad', grad);
      view.box.classList.toggle('pending', !computed);
      const current = (currentOp && currentOp.id === n.id) || (currentBack && currentBack.node === n.id);
      view.box.classList.toggle('current', !!current);
      view.box.classList.toggle('backward', !!currentBack && current);
    }
    for (const [id, edges] of edgesInto) {
      const forward = currentOp && currentOp.id === id;
      const back = currentBack && currentBack.node === id;
      for (const e of edges) {
        for (const part of [e.path, e.arrow, e.label]) {
          part.classList.toggle('active', !!(forward || back));
          part.classList.toggle('backward', !!back);
        }
        e.label.classList.toggle('hidden', !labelAll && !forward && !back);
        const c = back ? currentBack.contributions.find((x) => x.input === e.k) : null;
        e.sent.textContent = c ? 'sends ' + shortText(c.value) : '';
      }
    }
    renderStatus(currentOp, currentBack, applied);
    renderExplain(currentOp, currentBack, applied);
    buttons.reset.disabled = buttons.back.disabled = state === 0;
    buttons.next.disabled = buttons.end.disabled = state === TOTAL;
    const focus = currentOp || (currentBack && byId.get(currentBack.node));
    if (focus) reveal([focus.id, ...focus.inputs]);
  }

  // Scrolls the canvas so that the current op and its inputs are in view, centring them when they are not.
  function reveal(ids) {
    const xs = ids.map((id) => pos.get(id).x), ys = ids.map((id) => pos.get(id).y);
    const left = Math.min(...xs) - PAD, right = Math.max(...xs) + NODE_W + PAD;
    const top = Math.min(...ys) - PAD, bottom = Math.max(...ys) + ROW_H;
    const v = viewport;
    if (left < v.scrollLeft || right > v.scrollLeft + v.clientWidth)
      v.scrollLeft = right - left <= v.clientWidth ? left - (v.clientWidth - (right - left)) / 2 : left;
    if (top < v.scrollTop || bottom > v.scrollTop + v.clientHeight)
      v.scrollTop = bottom - top <= v.clientHeight ? top - (v.clientHeight - (bottom - top)) / 2 : top;
  }

  function renderStatus(currentOp, currentBack, applied) {
    let phase, text;
    if (state === 0) {
      phase = 'start';
      text = 'Start: ' + F + ' recorded ops. Next (→) runs the forward pass one op at a time.';
    } else if (currentOp) {
      phase = 'forward';
      text = 'Forward ' + state + '/' + F + ': ' + currentOp.op;
    } else {
      phase = state === TOTAL ? 'done' : 'backward';
      text = 'Backward ' + applied + '/' + B + ': ' + byId.get(currentBack.node).op + (state === TOTAL ? ' (done)' : '');
    }
    if (F === state && B === 0) { phase = 'done'; text += ' (done: no backward steps)'; }
    statusEl.textContent = text;
    statusEl.dataset.phase = phase;
    statusEl.dataset.step = String(state);
    statusEl.dataset.total = String(TOTAL);
  }

  function numberSpan(summary, testid) {
    const s = el('span', 'num', summaryText(summary));
    if (testid) s.dataset.testid = testid;
    return s;
  }

  function renderExplain(currentOp, currentBack, applied) {
    explain.replaceChildren();
    if (state === 0) {
      explain.append(el('h2', '', 'The recorded graph'));
      explain.append(el('p', '', 'Each box is a tensor: a leaf (blue: a parameter or input that requires grad), a constant ' +
        '(grey), or the result of a recorded op. Each edge carries the local derivative the tape recorded for that input, ' +
        'in terms of g, the gradient arriving at the op.'));
      explain.append(el('p', '', 'Step forward to compute the values in recording order, then backward to send the ' +
        'gradient from ' + (data.root ? tensorName(byId.get(data.root)) : 'the output') + ' back to every input.'));
      if (!data.root) explain.append(el('p', '', 'This page has no backward steps: its last op is not a scalar.'));
      return;
    }
    if (currentOp) {
      explain.append(el('h2', '', 'Forward ' + state + '/' + F + ': ' + currentOp.op + ' → ' + currentOp.label));
      const chain = el('div', 'chain forward');
      currentOp.inputs.forEach((id, k) => {
        const p = el('p');
        p.append(el('span', '', 'input ' + k + ': ' + tensorName(byId.get(id)) + ' = '), numberSpan(byId.get(id).value));
        chain.append(p);
      });
      const out = el('p');
      out.append(el('span', '', 'result ' + currentOp.label + ' ' + shapeText(currentOp.value.shape) + ' = '),
        numberSpan(currentOp.value, 'explain-value'));
      chain.append(out);
      explain.append(chain);
      const f = el('p');
      f.append(el('span', '', 'local derivatives recorded: '), el('code', 'formula', currentOp.formula));
      explain.append(f);
      return;
    }
    const op = byId.get(currentBack.node);
    explain.append(el('h2', '', 'Backward ' + applied + '/' + B + ': ' + op.op + ' → ' + op.label));
    const inc = el('p');
    inc.append(el('span', '', (currentBack.node === data.root ? 'seed ' : 'incoming ') + 'gradient g = ∂' +
      shortName(byId.get(data.root)) + '/∂' + shortName(op) + ' = '), numberSpan(currentBack.incoming, 'explain-incoming'));
    explain.append(inc);
    if (currentBack.opaque) {
      explain.append(el('p', '', op.op + ' was recorded with a backward closure that writes its inputs\' gradients by itself, ' +
        'so this page cannot show what it sends; the backward steps stop here.'));
      return;
    }
    op.inputs.forEach((id, k) => {
      const input = byId.get(id);
      const chain = el('div', 'chain');
      chain.dataset.testid = 'explain-input-' + k;
      chain.append(el('p', '', 'to input ' + k + ', ' + tensorName(input) + ':'));
      const c = currentBack.contributions.find((x) => x.input === k);
      if (!c) {
        chain.append(el('p', '', 'no gradient: it does not require grad.'));
        explain.append(chain);
        return;
      }
      const rule = el('p');
      rule.append(el('span', '', 'g × local derivative: '), el('code', 'formula', op.edgeFormulas[k]));
      const sent = el('p');
      sent.append(el('span', '', 'contribution = '), numberSpan(c.value, 'explain-contribution-' + k));
      const total = el('p');
      total.append(el('span', '', 'its gradient so far = '), numberSpan(c.total, 'explain-total-' + k));
      chain.append(rule, sent, total);
      explain.append(chain);
    });
  }

  // ---- controls ----------------------------------------------------------------------------------------------------
  function go(s) {
    state = Math.max(0, Math.min(TOTAL, s));
    render();
  }
  function pause() {
    if (timer !== null) clearInterval(timer);
    timer = null;
    buttons.play.textContent = '▶ Play';
    buttons.play.setAttribute('aria-pressed', 'false');
  }
  function play() {
    if (state === TOTAL) go(0);
    buttons.play.textContent = '⏸ Pause';
    buttons.play.setAttribute('aria-pressed', 'true');
    timer = setInterval(() => {
      if (state >= TOTAL) pause(); else go(state + 1);
    }, 800);
  }
  function togglePlay() { if (timer === null) play(); else pause(); }
  const actions = {
    next: () => { pause(); go(state + 1); },
    back: () => { pause(); go(state - 1); },
    reset: () => { pause(); go(0); },
    end: () => { pause(); go(TOTAL); },
    play: togglePlay,
  };
  for (const [name, button] of Object.entries(buttons)) button.addEventListener('click', actions[name]);
  document.addEventListener('keydown', (e) => {
    if (e.altKey || e.ctrlKey || e.metaKey || dialog.open) return;
    if ((e.key === ' ' || e.key === 'Enter') && e.target instanceof HTMLButtonElement) return;   // the button's own click
    const action = { ArrowRight: 'next', ArrowLeft: 'back', ' ': 'play', Home: 'reset', End: 'end' }[e.key];
    if (!action) return;
    e.preventDefault();
    actions[action]();
  });

  // A link can open a given step: page.html#step=5, or #end for the last one.
  const hash = /^#(?:step=(\d+)|(end))$/.exec(location.hash);
  if (hash) state = hash[2] ? TOTAL : Math.min(TOTAL, Number(hash[1]));
  render();
  viewport.focus();
})();
