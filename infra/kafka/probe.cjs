#!/usr/bin/env node
// Asks a Kafka broker for cluster metadata; exits 0 when it answers, 1 otherwise. Quiet.
// Used by start.sh (readiness and "already running?"). Needs kafkajs from the repo's
// node_modules; start.sh falls back to Probe.java when it is not installed.
// test/support/kafka.ts runs it too, to decide at collection time whether Kafka suites run.
//   node infra/kafka/probe.cjs 127.0.0.1:9092[,host:port...] [timeoutMs]
'use strict';
const path = require('node:path');

const brokers = (process.argv[2] || '127.0.0.1:9092').split(',').map((b) => b.trim()).filter(Boolean);
const timeoutMs = Number(process.argv[3] || 5000);
const repoRoot = path.resolve(__dirname, '..', '..');

let kafkajs;
try {
  kafkajs = require(require.resolve('kafkajs', { paths: [repoRoot, process.cwd()] }));
} catch {
  process.exit(3); // kafkajs not installed: the caller uses its fallback.
}
const { Kafka, logLevel } = kafkajs;

const timer = setTimeout(() => process.exit(1), timeoutMs);
const admin = new Kafka({
  clientId: 'accrual-kafka-probe',
  brokers,
  connectionTimeout: Math.min(1000, timeoutMs),
  requestTimeout: timeoutMs,
  retry: { retries: 0 },
  logLevel: logLevel.NOTHING,
}).admin();

(async () => {
  await admin.connect();
  const cluster = await admin.describeCluster();
  if (!cluster.brokers || cluster.brokers.length === 0) throw new Error('no brokers in metadata');
  await admin.listTopics();
})()
  .then(() => admin.disconnect().finally(() => { clearTimeout(timer); process.exit(0); }))
  .catch(() => admin.disconnect().catch(() => undefined).finally(() => { clearTimeout(timer); process.exit(1); }));
