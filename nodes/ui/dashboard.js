// Weir's dashboard: polls /api/metrics (the job's latest metrics snapshot)
// every second and draws the job graph, the tasks and the checkpoints.
// Every number a test compares carries its raw value in data-value.
"use strict";

window.addEventListener("error", () => {
  document.body.dataset.errors = String(Number(document.body.dataset.errors) + 1);
});

const svgNs = "http://www.w3.org/2000/svg";

function compact(n) {
  if (n >= 1e9) return (n / 1e9).toFixed(1) + " G";
  if (n >= 1e6) return (n / 1e6).toFixed(1) + " M";
  if (n >= 1e4) return (n / 1e3).toFixed(1) + " k";
  return String(Math.round(n));
}

function percent(share) { return Math.round(100 * share) + "%"; }

function bytes(n) {
  if (n >= 1 << 20) return (n / (1 << 20)).toFixed(1) + " MiB";
  if (n >= 1 << 10) return (n / (1 << 10)).toFixed(1) + " KiB";
  return n + " B";
}

function cell(row, cls, text, value) {
  const td = row.insertCell();
  td.className = cls;
  td.textContent = text;
  if (value !== undefined) td.dataset.value = String(value);
  return td;
}

function watermarkText(t) {
  if (t.end_of_input) return "end of input";
  if (t.watermark === null) return "none yet";
  return new Date(t.watermark).toISOString().replace("T", " ").replace("Z", "");
}

function drawTasks(m) {
  const body = document.querySelector("#tasks tbody");
  body.replaceChildren();
  m.tasks.forEach((t, i) => {
    const row = body.insertRow();
    row.dataset.task = t.name;
    if (m.bottleneck === i) row.className = "bottleneck";
    cell(row, "name", t.name + (t.running ? "" : " (not running)"));
    cell(row, "node", t.node || "local");
    cell(row, "records-in", compact(t.records_in), t.records_in);
    cell(row, "records-out", compact(t.records_out), t.records_out);
    cell(row, "rate-in", compact(t.records_in_per_s), t.records_in_per_s);
    cell(row, "rate-out", compact(t.records_out_per_s), t.records_out_per_s);
    cell(row, "busy", percent(t.busy_share), t.busy_share);
    cell(row, "backpressured", percent(t.backpressured_share), t.backpressured_share);
    cell(row, "idle", percent(t.idle_share), t.idle_share);
    cell(row, "queued", String(t.queued_frames), t.queued_frames);
    cell(row, "credits", String(t.credits), t.credits);
    cell(row, "watermark", watermarkText(t), t.watermark === null ? "" : t.watermark);
    cell(row, "lag", t.watermark_lag_s === null ? "" : t.watermark_lag_s.toFixed(1) + " s",
         t.watermark_lag_s === null ? "" : t.watermark_lag_s);
    cell(row, "late", compact(t.late_records), t.late_records);
  });
}

function drawCheckpoints(m) {
  const body = document.querySelector("#checkpoints tbody");
  body.replaceChildren();
  m.checkpoints.slice(-10).reverse().forEach((c) => { // the latest ten
    const row = body.insertRow();
    cell(row, "id", String(c.id), c.id);
    cell(row, "started", new Date(c.started_ms).toLocaleTimeString());
    cell(row, "duration", c.duration_ms + " ms", c.duration_ms);
    cell(row, "alignment", (c.alignment_us / 1000).toFixed(1) + " ms", c.alignment_us);
    cell(row, "size", bytes(c.bytes), c.bytes);
  });
}

/// Operators (a task's chain of uids) with their subtasks' figures summed,
/// placed left to right by their distance from the sources.
function operators(m) {
  const ops = new Map();
  m.tasks.forEach((t, i) => {
    if (!ops.has(t.operator))
      ops.set(t.operator, { name: t.operator, tasks: [], rate: 0, busy: 0, backpressured: 0, depth: 0, bottleneck: false });
    const op = ops.get(t.operator);
    op.tasks.push(i);
    op.rate += t.records_in_per_s;
    op.busy = Math.max(op.busy, t.busy_share);
    op.backpressured = Math.max(op.backpressured, t.backpressured_share);
    if (m.bottleneck === i) op.bottleneck = true;
  });
  const edges = new Set();
  m.channels.forEach(([p, c]) => edges.add(m.tasks[p].operator + "\u0000" + m.tasks[c].operator));
  const links = [...edges].map((e) => e.split("\u0000"));
  for (let pass = 0; pass < ops.size; ++pass)
    links.forEach(([p, c]) => { ops.get(c).depth = Math.max(ops.get(c).depth, ops.get(p).depth + 1); });
  return { ops, links };
}

function svg(tag, attrs, parent) {
  const e = document.createElementNS(svgNs, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  parent.appendChild(e);
  return e;
}

function drawGraph(m) {
  const graph = document.getElementById("graph");
  graph.replaceChildren();
  const { ops, links } = operators(m);
  const rows = new Map();
  const at = new Map();
  for (const op of ops.values()) {
    const row = rows.get(op.depth) || 0;
    rows.set(op.depth, row + 1);
    at.set(op.name, { x: 10 + op.depth * 230, y: 10 + row * 80 });
  }
  graph.setAttribute("height", String(20 + Math.max(...rows.values()) * 80));
  const marker = svg("marker", { id: "arrow", markerWidth: 8, markerHeight: 8, refX: 8, refY: 4, orient: "auto" },
                     svg("defs", {}, graph));
  svg("path", { d: "M0,0 L8,4 L0,8 z", fill: "#888" }, marker);
  links.forEach(([p, c]) => {
    const a = at.get(p), b = at.get(c);
    svg("line", { x1: a.x + 180, y1: a.y + 30, x2: b.x, y2: b.y + 30, "marker-end": "url(#arrow)" }, graph);
  });
  for (const op of ops.values()) {
    const { x, y } = at.get(op.name);
    const g = svg("g", { class: "operator" + (op.bottleneck ? " bottleneck" : ""), "data-operator": op.name }, graph);
    const red = Math.round(255 * op.backpressured), green = Math.round(200 * (1 - op.backpressured));
    svg("rect", { x, y, width: 180, height: 60, rx: 6, fill: `rgb(${red},${green},120)`, "fill-opacity": 0.35 }, g);
    svg("text", { x: x + 8, y: y + 18 }, g).textContent = op.name + " ×" + op.tasks.length;
    svg("text", { x: x + 8, y: y + 34 }, g).textContent = compact(op.rate) + " rec/s in";
    svg("text", { x: x + 8, y: y + 50 }, g).textContent =
      "busy " + percent(op.busy) + ", bp " + percent(op.backpressured) + (op.bottleneck ? " · bottleneck" : "");
  }
}

// The job as one: in through its sources, out through its sinks.
function drawRollup(r) {
  const p = document.getElementById("rollup");
  p.textContent = "";
  const part = (label, text, value) => {
    const span = document.createElement("span");
    span.className = "rollup-" + label;
    span.textContent = text;
    span.dataset.value = String(value);
    p.append(span, " ");
  };
  part("in", `in ${compact(r.records_in)} records (${compact(r.records_in_per_s)}/s),`, r.records_in);
  part("out", `out ${compact(r.records_out)} (${compact(r.records_out_per_s)}/s),`, r.records_out);
  part("lag", r.watermark === null ? "no output watermark yet," : `output watermark ${r.watermark_lag_s.toFixed(1)} s behind,`,
       r.watermark === null ? "" : r.watermark);
  part("late", `${r.late_records} late, ${r.backpressured_tasks} of ${r.running_tasks} task(s) backpressured`,
       r.late_records);
}

function draw(m) {
  document.getElementById("job").textContent = m.job;
  document.getElementById("summary").textContent =
    `attempt ${m.attempt}, ${m.restarts} restart(s), ${m.checkpoints_completed} checkpoint(s) completed, ` +
    `${m.checkpoints_failed} failed, as of ${new Date(m.wall_ms).toLocaleTimeString()}`;
  drawRollup(m.rollup);
  const b = m.bottleneck === null ? null : m.tasks[m.bottleneck];
  document.getElementById("bottleneck").textContent =
    b ? `bottleneck: ${b.name}, busy ${percent(b.busy_share)} while what feeds it waits for credit` : "";
  drawGraph(m);
  drawTasks(m);
  drawCheckpoints(m);
  document.body.dataset.loaded = "1";
}

async function poll() {
  try {
    const res = await fetch("api/metrics", { cache: "no-store" });
    if (res.status === 200) draw(await res.json());
  } catch (e) {
    document.getElementById("summary").textContent = "the job is not answering (" + e.message + ")";
  }
  setTimeout(poll, 1000);
}

poll();
