// The arsim viewer: one page, two sources of rows. With a server (`arsim serve`) it asks the
// JSON API a page of rows at a time; offline (`arsim trace --html`, a notebook) the rows are
// embedded. Either way it keeps only the pages near the playhead, so a run of 10^4 rows of
// bb5 stays as light as bb4's 108.
"use strict";
(function () {
  const $ = (id) => document.getElementById(id);
  const SVG = "http://www.w3.org/2000/svg"; // a namespace name, not a download
  const embedded = window.ARSIM_EMBEDDED && typeof window.ARSIM_EMBEDDED === "object" ? window.ARSIM_EMBEDDED : null;
  const PAGE_ROWS = 32;
  const st = {
    summary: null, request: null, pages: new Map(), pending: new Map(),
    pos: 0, // tokens shown so far (the prompt row counts); the last shown is the current one
    timer: null, loadSeq: 0, drawnRows: 0,
  };

  // ---- the source of rows ------------------------------------------------------------------
  function rowLen() { return st.summary.prompt_tokens; }
  function totalTokens() { return st.summary.rows * rowLen(); }
  function pageSize() { return Math.max(1, Math.min(PAGE_ROWS, Math.floor(32768 / rowLen()))); }

  async function api(path, body) {
    const res = await fetch(path, body === undefined ? {} : {
      method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
    });
    const data = await res.json();
    if (!res.ok) { const e = new Error(data.error || res.statusText); e.data = data; throw e; }
    return data;
  }

  function getPage(p) {
    if (st.pages.has(p)) return Promise.resolve(st.pages.get(p));
    if (st.pending.has(p)) return st.pending.get(p);
    const n = pageSize(), seq = st.loadSeq;
    const promise = (embedded
      ? Promise.resolve({ rows: embedded.rows.slice(p * n, p * n + n) })
      : api("api/rows", Object.assign({}, st.request, { from_row: p * n, rows: n })))
      .then((page) => {
        st.pending.delete(p);
        if (seq !== st.loadSeq) return null;
        st.pages.set(p, page.rows);
        // Keep only the pages near the playhead.
        const here = Math.floor(currentRow() / n);
        for (const k of st.pages.keys()) if (k < here - 2 || k > here + 3) st.pages.delete(k);
        return page.rows;
      }, (e) => { st.pending.delete(p); showError(e); throw e; });
    st.pending.set(p, promise);
    return promise;
  }
  function rowAt(r) {
    const n = pageSize(), rows = st.pages.get(Math.floor(r / n));
    return rows ? rows[r % n] : null;
  }
  function currentRow() { return Math.floor(Math.max(st.pos - 1, 0) / rowLen()); }

  // ---- loading a machine ---------------------------------------------------------------------
  function request() {
    const num = (id) => { const v = $(id).value.trim(); return v === "" ? null : Number(v); };
    const req = {
      machine: $("machine-text").value, name: st.fileName || "pasted",
      format: $("format").value || null, input: $("input").value === "" ? null : $("input").value,
      encoding: $("encoding").value, tape: num("tape"), origin: num("origin"),
      max_steps: num("max-steps") === null ? 10000 : num("max-steps"),
    };
    if (st.fileBytes) { req.machine = null; req.machine_bytes = Array.from(st.fileBytes); }
    return req;
  }

  async function load() {
    pause();
    st.loadSeq++; st.pages.clear(); st.pending.clear();
    setMessage("compiling…", true);
    markLines([]);
    const req = request();
    try {
      const summary = await api("api/view", req);
      start(summary, req);
      setMessage(`${summary.machine}: compiled, emulated (every token agrees: ${summary.emulation.agree}) and certified: ${summary.certificate.certified}`, true);
    } catch (e) {
      if (e.data && e.data.summary) start(e.data.summary, req);
      showError(e);
    }
  }

  function start(summary, req) {
    st.summary = summary; st.request = req; st.pos = rowLen(); st.drawnRows = 0;
    st.pages.clear(); st.pending.clear();
    drawGraph(); drawHeatmapBase(); clearSpacetime(); showFacts();
    const link = $("proof-link");
    if (link) { link.href = summary.proof; link.textContent = summary.proof; }
    getPage(0).then(render, () => {});
  }

  function showError(e) {
    const lines = (e.data && e.data.lines) || [];
    setMessage("error: " + e.message, false);
    markLines(lines);
  }
  function setMessage(text, ok) { const m = $("message"); m.textContent = text; m.className = ok ? "ok" : "error"; }

  // ---- the editor's line numbers -------------------------------------------------------------
  let errorLines = [];
  function markLines(lines) { errorLines = lines; gutter(); }
  function gutter() {
    const n = $("machine-text").value.split("\n").length;
    const g = $("gutter"); g.textContent = "";
    for (let i = 1; i <= n; i++) {
      const s = document.createElement("span");
      s.textContent = i; s.dataset.line = i;
      if (errorLines.includes(i)) { s.className = "error-line"; s.title = $("message").textContent; }
      g.appendChild(s);
    }
    const t = $("machine-text"); t.style.height = "auto"; t.style.height = t.scrollHeight + "px";
  }

  // ---- playing -------------------------------------------------------------------------------
  const speeds = () => Math.round(Math.pow(10, Number($("speed").value) / 25)); // 1 … 10^4 tokens/s
  function step(tokens) {
    if (!st.summary) return Promise.resolve();
    const target = Math.min(st.pos + tokens, totalTokens());
    const r = Math.floor(Math.max(target - 1, 0) / rowLen());
    const n = pageSize();
    return getPage(Math.floor(r / n)).then(() => {
      st.pos = target;
      getPage(Math.floor(r / n) + 1).catch(() => {}); // ahead of the playhead
      if (Math.floor((r + 1) / n) * n < st.summary.rows) getPage(Math.floor((r + 1) / n)).catch(() => {});
      render();
      if (st.pos >= totalTokens()) pause();
    }, () => pause());
  }
  function stepRow() {
    const l = rowLen();
    return step(Math.max(1, (Math.floor(st.pos / l) + 1) * l - st.pos));
  }
  function play() {
    if (!st.summary || st.timer) return;
    let last = performance.now(), carry = 0, busy = false;
    st.timer = setInterval(() => {
      if (busy) return;
      const now = performance.now(); carry += (now - last) / 1000 * speeds(); last = now;
      const k = Math.floor(carry);
      if (k < 1) return;
      carry -= k; busy = true;
      step(Math.min(k, 20 * rowLen())).finally(() => { busy = false; });
    }, 30);
  }
  function pause() { if (st.timer) clearInterval(st.timer); st.timer = null; }

  // ---- drawing -------------------------------------------------------------------------------
  const name = (id) => (st.summary.dictionary[id] !== undefined ? st.summary.dictionary[id] : "PAD");
  const offsetName = (j) => { const i = st.summary.offsets.indexOf(j); return i >= 0 ? st.summary.offset_names[i] : String(j); };

  function render() {
    const s = st.summary; if (!s) return;
    const l = rowLen(), cur = st.pos - 1, r = currentRow(), k = cur - r * l;
    $("position").textContent = `token ${st.pos} of ${totalTokens()} · row ${r} of ${s.rows - 1}`;
    // The chain: the last rows up to the current token, which is highlighted.
    const chain = $("chain"); chain.textContent = "";
    for (let i = Math.max(0, r - 11); i <= r; i++) {
      const row = rowAt(i); if (!row) continue;
      const div = document.createElement("div"); div.className = "chain-row"; div.dataset.row = i;
      const stepSpan = document.createElement("span"); stepSpan.className = "step"; stepSpan.textContent = i === 0 ? "prompt" : "step " + row.step;
      div.appendChild(stepSpan);
      const upto = i === r ? k + 1 : row.tokens.length;
      for (let t = 0; t < upto; t++) {
        const span = document.createElement("span");
        const sc = row.scored[t];
        span.className = "tok" + (name(row.tokens[t]).includes(",") ? " head" : "") + (i === r && t === k ? " current" : "") + (sc && !sc.agree ? " wrong" : "");
        span.dataset.id = sc ? sc.winner : row.tokens[t];
        span.textContent = name(sc ? sc.winner : row.tokens[t]);
        div.appendChild(span);
      }
      chain.appendChild(div);
    }
    chain.scrollTop = chain.scrollHeight;
    const row = rowAt(r);
    const scored = row && row.scored[k];
    showScores(scored);
    drawHeatmap(scored);
    // The tape: the last complete row's configuration.
    const done = st.pos % l === 0 ? r : r - 1;
    const shown = rowAt(Math.max(done, 0));
    if (shown) drawTape(shown.tape);
    // The diagram grows by the rows completed since the last frame (after a jump, the last 64:
    // the rows skipped were never fetched).
    if (done < st.drawnRows - 1) clearSpacetime();
    for (let i = Math.max(st.drawnRows, done - 64, 0); i <= done; i++) { const rr = rowAt(i); if (rr) drawSpacetimeRow(rr); }
    st.drawnRows = Math.max(st.drawnRows, done + 1);
    highlightState(shown && shown.tape ? shown.tape.state : null);
    const generated = Math.max(0, st.pos - l);
    $("formula").dataset.generated = generated;
    $("formula").textContent = `length: ${s.emulation.length_formula} generated tokens; ${generated} so far`;
  }

  function showScores(sc) {
    const tb = $("top").tBodies[0]; tb.textContent = "";
    const wb = $("weights").tBodies[0]; wb.textContent = "";
    if (!sc) { $("winner").textContent = "– (the prompt is given)"; $("agree").textContent = ""; $("weight-sum").textContent = ""; return; }
    for (const [t, score] of sc.top) {
      const tr = document.createElement("tr"); tr.dataset.token = t; tr.dataset.score = score;
      if (t === sc.winner) tr.className = "winner";
      tr.innerHTML = "<td></td><td></td>"; tr.cells[0].textContent = name(t); tr.cells[1].textContent = score;
      tb.appendChild(tr);
    }
    $("winner").textContent = name(sc.winner); $("winner").dataset.token = sc.winner;
    $("agree").textContent = sc.agree ? "= the interpreter's token" : "≠ the interpreter's token";
    let sum = 0;
    for (const w of sc.weights) {
      const tr = document.createElement("tr"); tr.dataset.value = w.value; tr.dataset.offset = w.offset; tr.dataset.context = w.context;
      tr.innerHTML = "<td></td><td></td><td></td>";
      tr.cells[0].textContent = offsetName(w.offset) + " (" + w.offset + ")"; tr.cells[1].textContent = name(w.context); tr.cells[2].textContent = w.value;
      wb.appendChild(tr); sum += w.value;
    }
    $("weight-sum").textContent = sum;
  }

  // The heatmap: one panel per offset, output tokens down, input tokens across.
  let heat = null;
  function drawHeatmapBase() {
    const c = $("heatmap"), g = c.getContext("2d"), W = st.summary.weights;
    g.clearRect(0, 0, c.width, c.height); heat = null;
    if (!W) { g.fillText("weights too many to draw (or time-dependent)", 10, 20); return; }
    const v = W[0].length, panels = W.length;
    const cell = Math.max(1, Math.min(Math.floor((c.width - 10 * panels) / (panels * v)), Math.floor((c.height - 14) / v)));
    let max = 0; for (const m of W) for (const r of m) for (const x of r) max = Math.max(max, Math.abs(x));
    W.forEach((m, o) => {
      const x0 = o * (v * cell + 10);
      g.fillStyle = "#1d2330"; g.font = "10px monospace"; g.fillText(st.summary.offset_names[o], x0, 10);
      m.forEach((r, d) => r.forEach((x, i) => {
        const a = max ? Math.abs(x) / max : 0;
        g.fillStyle = x >= 0 ? `rgba(31,95,191,${a})` : `rgba(192,57,43,${a})`;
        if (x === 0) g.fillStyle = "#f3f4f7";
        g.fillRect(x0 + i * cell, 14 + d * cell, cell, cell);
      }));
    });
    heat = { image: g.getImageData(0, 0, c.width, c.height), v, cell };
  }
  function drawHeatmap(sc) {
    if (!heat) return;
    const g = $("heatmap").getContext("2d");
    g.putImageData(heat.image, 0, 0);
    if (!sc) return;
    for (const w of sc.weights) {
      const o = st.summary.offsets.indexOf(w.offset); if (o < 0 || w.context >= heat.v) continue;
      const x0 = o * (heat.v * heat.cell + 10);
      g.strokeStyle = "#ff9900"; g.lineWidth = 2;
      g.strokeRect(x0 + w.context * heat.cell - 1, 14 + sc.winner * heat.cell - 1, heat.cell + 2, heat.cell + 2);
    }
  }

  function drawTape(tape) {
    const cells = $("tape-cells");
    if (!tape) { cells.textContent = ""; return; }
    if (cells.childElementCount !== tape.cells.length) {
      cells.textContent = "";
      for (let i = 0; i < tape.cells.length; i++) { const d = document.createElement("div"); d.className = "cell"; cells.appendChild(d); }
    }
    [...tape.cells].forEach((ch, i) => { cells.children[i].textContent = ch; });
    // Keep the head in view: the strip slides, as turingmachine.io's does.
    const view = $("tape-view").clientWidth, px = 23, headX = tape.head * px;
    const shift = Math.min(0, Math.max(view / 2 - headX - px / 2, view - tape.cells.length * px - 2));
    cells.style.transform = `translateX(${shift}px)`;
    $("head").style.left = (headX + shift) + "px";
    $("head-state").textContent = tape.state;
  }

  function clearSpacetime() { const c = $("spacetime"); c.getContext("2d").clearRect(0, 0, c.width, c.height); st.drawnRows = 0; }
  function drawSpacetimeRow(row) {
    if (!row.tape) return;
    const c = $("spacetime"), g = c.getContext("2d"), n = row.tape.cells.length;
    const y0 = Math.floor(row.row * c.height / st.summary.rows), y1 = Math.max(y0 + 1, Math.floor((row.row + 1) * c.height / st.summary.rows));
    const w = c.width / n;
    [...row.tape.cells].forEach((ch, i) => {
      g.fillStyle = ch === st.summary.blank ? "#ffffff" : "#1d2330";
      if (i === row.tape.head) g.fillStyle = "#e74c3c";
      g.fillRect(Math.floor(i * w), y0, Math.ceil(w), y1 - y0);
    });
  }

  // The state graph: states on a circle, one arc a rule.
  function drawGraph() {
    const svg = $("graph"); svg.textContent = "";
    const s = st.summary, n = s.states.length, cx = 160, cy = 120, R = n > 1 ? 85 : 0;
    const at = {}; s.states.forEach((q, i) => { const a = -Math.PI / 2 + 2 * Math.PI * i / n; at[q] = [cx + R * Math.cos(a), cy + R * Math.sin(a)]; });
    const el = (tag, attrs, parent) => { const e = document.createElementNS(SVG, tag); for (const k in attrs) e.setAttribute(k, attrs[k]); (parent || svg).appendChild(e); return e; };
    const labels = {};
    for (const r of s.rules) { const k = r.state + "→" + r.next; (labels[k] = labels[k] || []).push(`${r.read}/${r.write}${r.move}`); }
    for (const k in labels) {
      const [a, b] = k.split("→"), [x1, y1] = at[a], [x2, y2] = at[b];
      let d, lx, ly;
      if (a === b) { d = `M${x1 - 6},${y1 - 12} C${x1 - 30},${y1 - 50} ${x1 + 30},${y1 - 50} ${x1 + 6},${y1 - 12}`; lx = x1; ly = y1 - 44; }
      else { const mx = (x1 + x2) / 2 + (y2 - y1) * 0.2, my = (y1 + y2) / 2 - (x2 - x1) * 0.2; d = `M${x1},${y1} Q${mx},${my} ${x2},${y2}`; lx = mx; ly = my; }
      el("path", { d, "marker-end": "url(#arrow)" });
      const t = el("text", { x: lx, y: ly, class: "edge-label" }); t.textContent = labels[k].join(" ");
    }
    const defs = el("defs", {}); const m = el("marker", { id: "arrow", viewBox: "0 0 10 10", refX: 22, refY: 5, markerWidth: 6, markerHeight: 6, orient: "auto" }, defs);
    el("path", { d: "M0,0 L10,5 L0,10 z", fill: "#8a93a6" }, m);
    for (const q of s.states) {
      const g = el("g", { class: "node" + (s.halting.includes(q) ? " halting" : ""), "data-state": q });
      el("circle", { cx: at[q][0], cy: at[q][1], r: 13 }, g);
      const t = el("text", { x: at[q][0], y: at[q][1] }, g); t.textContent = q;
    }
  }
  function highlightState(q) {
    for (const g of $("graph").querySelectorAll(".node")) g.classList.toggle("current", g.dataset.state === q);
  }

  function showFacts() {
    const s = st.summary, e = s.emulation, c = s.certificate;
    $("formula").textContent = `length: ${e.length_formula} generated tokens`;
    $("certificate").textContent = c.certified
      ? `certificate: certified, ${c.contexts === null ? "" : c.contexts + " contexts, "}minimum margin ${JSON.stringify(c.min_margin)}`
      : `certificate: NOT certified${c.reason ? " (" + c.reason + ")" : ""}`;
    $("certificate").dataset.certified = c.certified;
  }

  // ---- wiring --------------------------------------------------------------------------------
  $("play").onclick = play; $("pause").onclick = pause;
  $("step-token").onclick = () => { pause(); step(1); };
  $("step-row").onclick = () => { pause(); stepRow(); };
  $("restart").onclick = () => { pause(); if (st.summary) { st.pos = rowLen(); clearSpacetime(); getPage(0).then(render, () => {}); } };
  // Go to a row: the page asks for that row's page alone, however far it is.
  $("go").onclick = () => {
    pause(); if (!st.summary) return;
    const r = Math.max(0, Math.min(Number($("goto").value) || 0, st.summary.rows - 1));
    const target = (r + 1) * rowLen();
    if (target < st.pos) { st.pos = rowLen(); st.drawnRows = 0; clearSpacetime(); }
    step(target - st.pos);
  };
  $("speed").oninput = () => { $("speed-text").textContent = speeds() + " tokens/s"; };
  $("speed").oninput();
  $("machine-text").addEventListener("input", () => { st.fileBytes = null; st.fileName = null; markLines([]); });
  $("upload").onchange = async () => {
    const f = $("upload").files[0]; if (!f) return;
    const bytes = new Uint8Array(await f.arrayBuffer());
    st.fileName = f.name;
    let text = null;
    try { text = new TextDecoder("utf-8", { fatal: true }).decode(bytes); } catch (_) { text = null; }
    $("machine-text").value = text !== null && !text.includes("\0") ? text : `(${f.name}: ${bytes.length} bytes, binary)`;
    st.fileBytes = text !== null && !text.includes("\0") ? null : bytes;
    markLines([]);
    load();
  };
  $("machine-pick").onchange = async () => {
    const n = $("machine-pick").value; if (!n) return;
    const m = await api("api/machines/" + encodeURIComponent(n));
    $("machine-text").value = m.text; st.fileName = m.name; st.fileBytes = null;
    markLines([]); load();
  };
  $("load").onclick = load;
  window.arsimViewer = { state: st, load, step, stepRow, play, pause };

  gutter();
  if (embedded) {
    $("editor-panel").querySelectorAll("#source-controls, #run-controls").forEach((e) => { e.style.display = "none"; });
    $("machine-text").value = embedded.machine_text || "";
    $("machine-text").readOnly = true;
    gutter();
    embedded.summary.rows = Math.min(embedded.summary.rows, embedded.rows.length);
    start(embedded.summary, null);
    setMessage(`${embedded.summary.machine}: ${embedded.rows.length} rows embedded (no server)`, true);
  } else {
    api("api/machines").then((d) => {
      for (const n of d.machines) { const o = document.createElement("option"); o.value = n; o.textContent = n; $("machine-pick").appendChild(o); }
    }).catch(showError);
  }
})();
