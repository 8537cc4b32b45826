/**
 * `npm run bench:cluster [-- --sizes 1000,10000 --batch 64 --json]` (docs/cluster.md): the
 * clustered data plane on a real nats-server (JetStream, file storage) at the default model size —
 * per size n: the gateway side's publish rate, JetStream bytes, one aggregation worker's CPU per
 * contribution (the figure that must stay flat as n grows), and the coordinator's count of the
 * committed partials. One JSON line per size with --json; a table otherwise.
 */
import { randomBytes } from 'node:crypto';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { mlpArchitecture, parameterCount } from '../src/ml/model.js';
import { DEFAULT_SCALING, numInputs } from '../src/ml/scaling.js';
import { PRIMES } from '../src/secagg/field.js';
import { packResidues } from '../src/secagg/packing.js';
import { roundAggregate } from '../src/server/cluster/collect.js';
import { ContributionPublisher } from '../src/server/cluster/publish.js';
import { ensureCluster, names } from '../src/server/cluster/stream.js';
import { AggregationWorker } from '../src/server/cluster/worker.js';
import { encodeMessage } from '../src/wire/codec.js';
import { vectorLayout } from '../src/wire/layout.js';
import { startNatsServer } from '../test/support/nats.js';

const args = process.argv.slice(2);
const arg = (name: string, def: string): string => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? (args[i + 1] ?? def) : def;
};
const json = args.includes('--json');
const sizes = arg('sizes', '1000,10000').split(',').map(Number);
const batch = Number(arg('batch', '64'));
const say = (s: string): void => void process.stderr.write(`${s}\n`);

const L = vectorLayout(parameterCount(mlpArchitecture(numInputs(DEFAULT_SCALING), [32, 16])), true).length;

function frame(round: number): Uint8Array {
  const ys = PRIMES.map((q) => {
    const r = new Uint32Array(randomBytes(4 * L).buffer);
    for (let i = 0; i < L; i++) r[i] = (r[i] as number) % q;
    return packResidues(r);
  });
  return encodeMessage({
    t: 'contribution',
    round,
    y1: ys[0] as Uint8Array,
    y2: ys[1] as Uint8Array,
    eph: randomBytes(32),
    sealed: [],
  });
}

const cpuMs = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

const nats = await startNatsServer();
try {
  for (const [k, n] of sizes.entries()) {
    const fed = `fed-bench-${k}`;
    const nc = await connect({ servers: nats.url });
    const { kv } = await ensureCluster(nc, fed);
    const pub = new ContributionPublisher(nc, fed);
    // Distinct frames cost time to make; 64 of them are reused under distinct ids (the worker
    // unpacks and adds every one as it would a fresh one).
    const frames = Array.from({ length: 64 }, () => frame(1));
    say(`n = ${n}: publishing ${n} contributions of ${L} coordinates …`);
    let t = performance.now();
    const inflight: Promise<unknown>[] = [];
    for (let i = 0; i < n; i++) {
      inflight.push(pub.publish(1, `t${i}`, L, frames[i % frames.length] as Uint8Array));
      if (inflight.length >= 256) await Promise.all(inflight.splice(0));
    }
    await Promise.all(inflight);
    const publishMs = performance.now() - t;
    const info = await (await jetstreamManager(nc)).streams.info(names(fed).stream);
    say(`  published in ${(publishMs / 1000).toFixed(1)} s; summing with one worker …`);
    const wc = await connect({ servers: nats.url });
    const c0 = cpuMs();
    t = performance.now();
    const w = await AggregationWorker.start(wc, { federation: fed, batch });
    while (w.committed < n) await new Promise((r) => setTimeout(r, 50));
    const workerMs = performance.now() - t;
    const workerCpu = cpuMs() - c0;
    await w.stop();
    const c1 = cpuMs();
    t = performance.now();
    const agg = await roundAggregate(nc, kv, 1, L);
    const collectMs = performance.now() - t;
    const collectCpu = cpuMs() - c1;
    if (agg?.covers.length !== n) throw new Error(`the aggregate covers ${agg?.covers.length}, not ${n}`);
    const row = {
      name: 'cluster_data_plane',
      n,
      length: L,
      batch,
      publish_per_s: Math.round(n / (publishMs / 1000)),
      stream_bytes: info.state.bytes,
      worker_wall_ms: Math.round(workerMs),
      worker_cpu_ms_per_contribution: +(workerCpu / n).toFixed(3),
      collect_ms: Math.round(collectMs),
      collect_cpu_ms: Math.round(collectCpu),
      partials: agg.partials,
    };
    if (json) process.stdout.write(`${JSON.stringify(row)}\n`);
    else say(`  ${JSON.stringify(row)}`);
    await wc.close();
    await nc.close();
  }
} finally {
  await nats.stop();
}
