// The live dashboard: reads samples from this server's /admin/feed WebSocket
// and draws them. No libraries and no requests anywhere but this server.
"use strict";

const kColors = ["#4fc3f7", "#81c784", "#ffb74d", "#e57373", "#ba68c8"];
const kTokenKey = "sela-admin-token";
let samples = [];
let historyMax = 300;
let socket = null;

function $(id) { return document.getElementById(id); }

function fmt(v, digits) {
  if (v === null || v === undefined) return "–";
  if (typeof v !== "number") return String(v);
  return v.toLocaleString("en-US", { maximumFractionDigits: digits === undefined ? 1 : digits });
}

// A line chart of series [{name, values:[number|null]}] over the sample times.
function drawChart(canvas, series, unit) {
  const ratio = window.devicePixelRatio || 1;
  const w = canvas.clientWidth, h = canvas.clientHeight;
  if (canvas.width !== w * ratio || canvas.height !== h * ratio) {
    canvas.width = w * ratio;
    canvas.height = h * ratio;
  }
  const g = canvas.getContext("2d");
  g.setTransform(ratio, 0, 0, ratio, 0, 0);
  g.clearRect(0, 0, w, h);
  const left = 54, right = 8, top = 18, bottom = 18;
  let max = 0;
  for (const s of series) for (const v of s.values) if (v !== null && v > max) max = v;
  max = niceCeiling(max);
  g.font = "11px system-ui, sans-serif";
  g.strokeStyle = "#2a3440";
  g.fillStyle = "#8b96a5";
  g.lineWidth = 1;
  for (let i = 0; i <= 4; i++) {
    const y = top + (h - top - bottom) * (1 - i / 4);
    g.beginPath(); g.moveTo(left, y); g.lineTo(w - right, y); g.stroke();
    g.fillText(fmt(max * i / 4, 2) + (unit || ""), 2, y + 4);
  }
  // At least a minute wide, so that a fresh server's few samples do not fill it.
  const n = Math.max(60, samples.length);
  const x = i => left + (w - left - right) * (i + n - samples.length) / (n - 1);
  const y = v => top + (h - top - bottom) * (1 - (max > 0 ? v / max : 0));
  series.forEach((s, k) => {
    g.strokeStyle = kColors[k % kColors.length];
    g.lineWidth = 1.5;
    g.beginPath();
    let pen = false;
    s.values.forEach((v, i) => {
      if (v === null || v === undefined) { pen = false; return; }
      if (pen) g.lineTo(x(i), y(v)); else g.moveTo(x(i), y(v));
      pen = true;
    });
    g.stroke();
    g.fillStyle = g.strokeStyle;
    g.fillText(s.name, left + 6 + k * 90, 12);
  });
  g.fillStyle = "#8b96a5";
  g.fillText(`last ${Math.round(samples.length)} s`, w - right - 60, h - 4);
}

function niceCeiling(v) {
  if (v <= 0) return 1;
  const p = Math.pow(10, Math.floor(Math.log10(v)));
  for (const m of [1, 2, 2.5, 5, 10]) if (v <= m * p) return m * p;
  return 10 * p;
}

function column(f) { return samples.map(s => { const v = f(s); return v === undefined ? null : v; }); }

function render() {
  const last = samples[samples.length - 1];
  if (!last) return;
  $("stat-nodes-online").textContent = fmt(last.nodes.online, 0);
  $("stat-registrations-per-s").textContent = fmt(last.nodes.registrations_per_s);
  $("stat-completed-per-s").textContent = fmt(last.jobs.completed_per_s);
  $("stat-failed-per-s").textContent = fmt(last.jobs.failed_per_s);
  $("stat-pending").textContent = fmt(last.jobs.pending, 0);
  $("stat-p99").textContent = last.round_trip_ms.p99 === null ? "–" : fmt(last.round_trip_ms.p99) + " ms";
  $("stat-completed-total").textContent = fmt(last.jobs.completed_total, 0);
  $("stat-http-per-s").textContent = fmt(last.http_requests_per_s);
  $("updated").textContent = "updated " + new Date(last.ts).toLocaleTimeString();
  drawChart($("chart-nodes"), [{ name: "online", values: column(s => s.nodes.online) }]);
  drawChart($("chart-registrations"), [{ name: "registrations/s", values: column(s => s.nodes.registrations_per_s) }]);
  drawChart($("chart-jobs"), [
    { name: "created", values: column(s => s.jobs.created_per_s) },
    { name: "leased", values: column(s => s.jobs.leased_per_s) },
    { name: "completed", values: column(s => s.jobs.completed_per_s) },
    { name: "failed", values: column(s => s.jobs.failed_per_s) },
  ]);
  drawChart($("chart-latency"), [
    { name: "p50", values: column(s => s.round_trip_ms.p50) },
    { name: "p90", values: column(s => s.round_trip_ms.p90) },
    { name: "p99", values: column(s => s.round_trip_ms.p99) },
  ], " ms");
  drawChart($("chart-queue"), [
    { name: "pending", values: column(s => s.jobs.pending) },
    { name: "open", values: column(s => s.jobs.open) },
  ]);
  const body = $("errors").tBodies[0];
  body.replaceChildren(...last.errors.map(e => {
    const tr = document.createElement("tr");
    for (const v of [e.name, fmt(e.last_minute, 0), fmt(e.total, 0)]) {
      const td = document.createElement("td");
      td.textContent = v;
      tr.appendChild(td);
    }
    return tr;
  }));
  if (last.errors.length === 0) {
    const tr = document.createElement("tr");
    tr.innerHTML = '<td class="muted" colspan="3">none</td>';
    body.appendChild(tr);
  }
  $("ledger").textContent = last.ledger
    ? `issued ${fmt(last.ledger.issued_sp, 2)} SP · paid ${fmt(last.ledger.paid_sp, 2)} SP`
    : "not available yet (the rewards ledger is not built)";
  document.body.dataset.samples = String(Number(document.body.dataset.samples) + 1);
}

function setStatus(text, cls) {
  const s = $("status");
  s.textContent = text;
  s.className = "status " + (cls || "");
}

function showLogin(message) {
  $("board").hidden = true;
  $("login").hidden = false;
  $("login-error").textContent = message || "";
  $("token").focus();
}

function connect(token) {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  socket = new WebSocket(`${scheme}//${location.host}/admin/feed`);
  socket.onopen = () => socket.send(JSON.stringify({ type: "auth", token }));
  socket.onmessage = ev => {
    const m = JSON.parse(ev.data);
    if (m.type === "hello") {
      historyMax = m.history_samples;
      samples = m.history;
      $("login").hidden = true;
      $("board").hidden = false;
      setStatus("live", "live");
    } else if (m.type === "sample") {
      samples.push(m.sample);
      while (samples.length > historyMax) samples.shift();
    }
    render();
  };
  socket.onclose = ev => {
    if (ev.code === 4401 || ev.code === 4403) {
      sessionStorage.removeItem(kTokenKey);
      setStatus("refused", "down");
      showLogin(ev.reason || "refused");
      return;
    }
    setStatus("disconnected, retrying", "down");
    setTimeout(() => connect(token), 2000);
  };
}

// #token=... lets a script open the page; the fragment never reaches a
// server and is removed from the address bar at once. True when there was one.
function takeTokenFromFragment() {
  const match = location.hash.match(/token=([^&]+)/);
  if (!match) return false;
  sessionStorage.setItem(kTokenKey, decodeURIComponent(match[1]));
  history.replaceState(null, "", location.pathname);
  return true;
}

function start() {
  takeTokenFromFragment();
  window.addEventListener("hashchange", () => {
    if (!takeTokenFromFragment()) return;
    if (socket) { socket.onclose = null; socket.close(); }
    connect(sessionStorage.getItem(kTokenKey));
  });
  $("login").addEventListener("submit", ev => {
    ev.preventDefault();
    const token = $("token").value;
    sessionStorage.setItem(kTokenKey, token);
    connect(token);
  });
  window.addEventListener("resize", render);
  const token = sessionStorage.getItem(kTokenKey);
  if (token) connect(token); else showLogin();
}

start();
