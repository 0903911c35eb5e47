// The BullMQ peer's worker (bench/peers/README.md): one Worker process that
// completes every job at once with a result of --result-bytes, as
// sela-loadgen's nodes answer ours. bench/run pins it, with redis-server, to
// the core sela-server gets.
//
// Usage: node bullmq_worker.js REDIS_PORT QUEUE CONCURRENCY RESULT_BYTES READY_FILE
'use strict';
const fs = require('fs');
const { Worker } = require('bullmq');

const [port, queue, concurrency, resultBytes, readyFile] = process.argv.slice(2);
const head = '[{"i":0,"text":"';
const tail = '"}]';
const RESULT = head + 'x'.repeat(Math.max(0, Number(resultBytes) - head.length - tail.length)) + tail;

const worker = new Worker(queue, async () => RESULT, {
  connection: { host: '127.0.0.1', port: Number(port), maxRetriesPerRequest: null },
  concurrency: Number(concurrency),
});
worker.on('error', (e) => console.error('worker:', e.message));
worker.waitUntilReady().then(() => fs.writeFileSync(readyFile, String(process.pid) + '\n'));
process.on('SIGTERM', () => worker.close().finally(() => process.exit(0)));
