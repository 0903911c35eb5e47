// The BullMQ peer of the job figures (bench/peers/README.md): the queue hop
// that a Node rebuild of our job path would pay. A producer adds jobs to a
// BullMQ queue on a real redis-server, one Worker process (bullmq_worker.js)
// completes each at once with a 1 KiB result, and the producer learns of
// each completion through QueueEvents (one listener for all jobs, as BullMQ
// documents). Latency: add() called -> "completed" event received.
// Open loop (--rate R > 0): job k is due at start + k/R. Closed loop
// (--rate 0): --inflight jobs outstanding, a new one per completion.
// Prints one JSON object shaped like sela-loadgen's (latency_us,
// throughput_per_s, server.cpu_s / cpu_us_per_op over the worker and
// redis-server, loadgen.measure_cpu_s for this process).
//
// Usage: node bullmq_bench.js --redis-port P --queue Q --server-pids W,R
//          [--rate 5000] [--inflight 256] [--duration 5] [--settle-s 1]
'use strict';
const fs = require('fs');
const { Queue, QueueEvents } = require('bullmq');

function args() {
  const a = { rate: 5000, inflight: 256, duration: 5, 'settle-s': 1, 'drain-s': 5 };
  const v = process.argv.slice(2);
  for (let i = 0; i < v.length; i += 2) a[v[i].replace(/^--/, '')] = v[i + 1];
  for (const k of ['rate', 'inflight', 'duration', 'settle-s', 'drain-s', 'redis-port']) a[k] = Number(a[k]);
  a.pids = String(a['server-pids'] || '').split(',').filter(Boolean).map(Number);
  return a;
}

// utime + stime of the processes, in seconds (clock ticks of 10 ms).
function cpuOf(pids) {
  let ticks = 0;
  for (const pid of pids) {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    ticks += Number(f[11]) + Number(f[12]);
  }
  return ticks / 100;
}

function percentile(sorted, p) {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function main() {
  const a = args();
  const connection = { host: '127.0.0.1', port: a['redis-port'], maxRetriesPerRequest: null };
  const queue = new Queue(a.queue, { connection });
  const events = new QueueEvents(a.queue, { connection });
  await queue.waitUntilReady();
  await events.waitUntilReady();

  const started = new Map();  // job id -> {t0 (hrtime ns at add()), counted}
  const early = new Map();    // job id -> [ok, time]: completed before add() resolved
  const lat = [];
  let measuring = false, submitted = 0, completed = 0, inWindow = 0, failed = 0, late = 0;
  let windowEnd = 0n;
  let seq = 0;
  const finish = (job, ok, now) => {
    if (!job.counted) return;
    if (!ok) { ++failed; return; }
    ++completed;
    if (now <= windowEnd) ++inWindow;
    lat.push(Number(now - job.t0) / 1000);
    if (a.rate === 0 && now <= windowEnd) add();
  };
  const add = () => {
    const job = { t0: process.hrtime.bigint(), counted: measuring };
    const n = seq++;
    if (measuring) ++submitted;
    queue.add('scrape', { url: `https://example.com/${n}`, scrapeType: 'HTML', timeoutMs: 5000 })
      .then((j) => {
        const e = early.get(j.id);
        if (e) { early.delete(j.id); finish(job, e[0], e[1]); } else started.set(j.id, job);
      })
      .catch(() => { if (job.counted) ++failed; });
  };
  const onDone = (id, ok) => {
    const now = process.hrtime.bigint();
    const job = started.get(id);
    if (job === undefined) { early.set(id, [ok, now]); return; }
    started.delete(id);
    finish(job, ok, now);
  };
  events.on('completed', ({ jobId }) => onDone(jobId, true));
  events.on('failed', ({ jobId }) => onDone(jobId, false));

  // Settle: a short warm-up whose jobs are not counted.
  for (let i = 0; i < 200; ++i) add();
  await sleep(a['settle-s'] * 1000);
  early.clear();

  measuring = true;
  const cpu0 = cpuOf(a.pids), self0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  windowEnd = t0 + BigInt(Math.round(a.duration * 1e9));
  if (a.rate === 0) {
    for (let i = 0; i < a.inflight; ++i) add();
    while (process.hrtime.bigint() < windowEnd) await sleep(50);
  } else {
    let k = 0;
    const periodNs = 1e9 / a.rate;
    while (true) {
      const now = process.hrtime.bigint();
      if (now >= windowEnd) break;
      const due = Math.floor(Number(now - t0) / periodNs) + 1;
      if (due - k > a.rate / 100) ++late;  // More than 10 ms behind schedule.
      for (; k < due; ++k) add();
      await sleep(1);
    }
  }
  const elapsed = Number(process.hrtime.bigint() - t0) / 1e9;
  const drainEnd = Date.now() + a['drain-s'] * 1000;
  while (submitted > completed + failed && Date.now() < drainEnd) await sleep(10);
  const cpu1 = cpuOf(a.pids), self1 = process.cpuUsage(self0);
  measuring = false;
  // Jobs still unanswered when the drain ends waited at least this long:
  // they count with that wait (a lower bound), so that a queue that cannot
  // keep the rate shows as a long tail rather than as missing jobs.
  const end = process.hrtime.bigint();
  let censored = 0;
  for (const job of started.values()) {
    if (job.counted) { lat.push(Number(end - job.t0) / 1000); ++censored; }
  }

  lat.sort((x, y) => x - y);
  const serverCpu = cpu1 - cpu0;
  const selfCpu = (self1.user + self1.system) / 1e6;
  const out = {
    scenario: 'bullmq', loop: a.rate === 0 ? 'closed' : 'open', job_rate_per_s: a.rate,
    inflight: a.rate === 0 ? a.inflight : null, duration_s: a.duration,
    submitted, completed, completed_in_window: inWindow, failed, unanswered: submitted - completed - failed, late_ticks: late,
    throughput_per_s: inWindow / a.duration,
    latency_lower_bounds: censored,
    latency_us: { count: lat.length, p50: percentile(lat, 50), p90: percentile(lat, 90),
                  p99: percentile(lat, 99), max: lat.length ? lat[lat.length - 1] : null },
    server: { pids: a.pids, cpu_s: serverCpu, cpu_us_per_op: completed ? (serverCpu * 1e6) / completed : null },
    loadgen: { measure_cpu_s: selfCpu, busiest_proc_cpu_fraction: selfCpu / elapsed },
  };
  console.log(JSON.stringify(out));
  await events.close();
  await queue.obliterate({ force: true }).catch(() => {});
  await queue.close();
  process.exit(0);
}

main().catch((e) => {
  console.log(JSON.stringify({ scenario: 'bullmq', error: String(e && e.message || e) }));
  process.exit(1);
});
