#!/usr/bin/env node
// Fills the control plane for the scale bench, from its own process (so neither the bench nor the
// extension host pays for it): N kubelet-serving CSRs and M bootstrap token Secrets, created in
// parallel with bounded concurrency, all labelled krustlet-bench=true. Also applies K incremental
// CSR updates (a label patch each) and removes everything again.
//
//   node bench/lib/populate.mjs --state DIR --csrs 5000 --tokens 1000 [--concurrency 16]
//   node bench/lib/populate.mjs --state DIR --update 1000 [--concurrency 8]
//   node bench/lib/populate.mjs --state DIR --clean
//
// Prints one JSON line; with --update, first a line `start <epoch ms>` just before the first update.
import { randomBytes } from 'node:crypto';
import { BENCH_LABEL, CSR_PATH, csrBody, Kube, makeCsrPem, randomToken, readState, SECRETS_PATH, tokenSecretBody } from './kube.mjs';

export const SCALE_PREFIX = 'bench-scale-';

/** Creates what is missing up to `csrs` CSRs and `tokens` token Secrets with the bench label. */
export async function populate(kube, { csrs, tokens, concurrency = 16 }) {
  const t0 = performance.now();
  const have = await kube.request('GET', `${CSR_PATH}?labelSelector=${BENCH_LABEL}%3Dscale`);
  const existing = new Set((have.items ?? []).map((c) => c.metadata.name));
  const names = [];
  for (let i = 0; i < csrs; i++) {
    const name = `${SCALE_PREFIX}${String(i).padStart(5, '0')}-tls`;
    if (!existing.has(name)) names.push(name);
  }
  let createdCsrs = 0;
  await kube.bulk(names.length, concurrency, async (i) => {
    const host = names[i].replace(/-tls$/, '');
    try {
      await kube.request('POST', CSR_PATH, csrBody(names[i], makeCsrPem(host), { [BENCH_LABEL]: 'scale' }));
      createdCsrs++;
    } catch (e) {
      if (e.statusCode !== 409) throw e;
    }
  });
  const haveTokens = await kube.count(SECRETS_PATH, `${BENCH_LABEL}=scale`);
  let createdTokens = 0;
  await kube.bulk(Math.max(0, tokens - haveTokens), concurrency, async () => {
    for (;;) {
      const t = randomToken();
      try {
        await kube.request('POST', SECRETS_PATH, tokenSecretBody(t.id, t.secret, { [BENCH_LABEL]: 'scale' }));
        createdTokens++;
        return;
      } catch (e) {
        if (e.statusCode !== 409) throw e;
      }
    }
  });
  return { createdCsrs, createdTokens, csrs, tokens, seconds: Math.round(performance.now() - t0) / 1000 };
}

/** `count` label patches on the scale CSRs (each one MODIFIED watch event). */
export async function update(kube, { count, concurrency = 8, onStart }) {
  const list = await kube.request('GET', `${CSR_PATH}?labelSelector=${BENCH_LABEL}%3Dscale`);
  const names = (list.items ?? []).map((c) => c.metadata.name).sort().slice(0, count);
  if (names.length < count) throw new Error(`only ${names.length} scale CSRs exist; populate first`);
  const stamp = randomBytes(4).toString('hex');
  onStart?.(Date.now());
  const t0 = performance.now();
  await kube.bulk(names.length, concurrency, (i) =>
    kube.request('PATCH', `${CSR_PATH}/${names[i]}`, { metadata: { labels: { 'krustlet-bench-update': `${stamp}-${i}` } } }, { contentType: 'application/merge-patch+json' }),
  );
  return { updated: names.length, names, stamp, sendSeconds: Math.round(performance.now() - t0) / 1000 };
}

export async function clean(kube) {
  await kube.deleteCollection(CSR_PATH, `${BENCH_LABEL}`);
  await kube.deleteCollection(SECRETS_PATH, `${BENCH_LABEL}`);
}

function args(argv) {
  const o = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--clean') o.clean = true;
    else if (a.startsWith('--')) o[a.slice(2)] = argv[++i];
  }
  return o;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const o = args(process.argv.slice(2));
  const kube = new Kube(readState(o.state), { maxSockets: Number(o.concurrency ?? 16) });
  try {
    let r;
    if (o.clean) r = (await clean(kube), { cleaned: true });
    else if (o.update) {
      r = await update(kube, { count: Number(o.update), concurrency: Number(o.concurrency ?? 8), onStart: (t) => console.log(`start ${t}`) });
      delete r.names;
    } else r = await populate(kube, { csrs: Number(o.csrs ?? 0), tokens: Number(o.tokens ?? 0), concurrency: Number(o.concurrency ?? 16) });
    console.log(JSON.stringify(r));
  } finally {
    kube.destroy();
  }
}
