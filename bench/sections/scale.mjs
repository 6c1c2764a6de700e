// 3. Scale, in-process: N CSRs and M token Secrets in the control plane (created by bench/lib/populate.mjs
// in its own process); the core's two informers from a fresh connection to synced (list + convert),
// the heap/RSS they add, and K incremental CSR updates (events/s, lists and relists during them).
import https from 'node:https';
import { spawn } from 'node:child_process';
import v8 from 'node:v8';
import vm from 'node:vm';
import { log, repoPath, requestCounter, round, shortRequest, sleep } from '../lib/util.mjs';

let gcFn;
export function memory() {
  try {
    if (!gcFn) {
      v8.setFlagsFromString('--expose-gc');
      gcFn = vm.runInNewContext('gc');
    }
    gcFn();
    gcFn();
  } catch { /* figures are noisier without gc */ }
  const m = process.memoryUsage();
  return { rssMB: round(m.rss / 2 ** 20), heapUsedMB: round(m.heapUsed / 2 ** 20) };
}

/** Runs bench/lib/populate.mjs; resolves with its JSON line and the `start <ms>` stamps it printed. */
export function populateProcess(args) {
  return new Promise((res, rej) => {
    const child = spawn(process.execPath, [repoPath('bench', 'lib', 'populate.mjs'), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (d) => { out += d; });
    child.stderr.setEncoding('utf8').on('data', (d) => { err += d; });
    child.on('error', rej);
    child.on('close', (code) => {
      if (code !== 0) return rej(new Error(`populate ${args.join(' ')} → ${code}: ${err.slice(-600)}`));
      const lines = out.trim().split('\n');
      res({ result: JSON.parse(lines.pop()), starts: lines.filter((l) => l.startsWith('start ')).map((l) => Number(l.slice(6))) });
    });
  });
}

export async function benchScale({ cp, core, scale }) {
  const [csrs, tokens, updates] = scale;
  log(`scale: populating ${csrs} CSRs + ${tokens} token Secrets (if not there yet)`);
  const pop = await populateProcess(['--state', cp.dir, '--csrs', String(csrs), '--tokens', String(tokens)]);
  const counter = requestCounter(cp.server, https);
  try {
    const before = memory();
    const t0 = performance.now();
    const cluster = await core.connect({ kubeconfigPath: cp.kubeconfigPath });
    const csrInf = core.createCsrInformer(cluster, {});
    const tokInf = core.createTokenInformer(cluster, {});
    await Promise.all([csrInf.whenSynced(), tokInf.whenSynced()]);
    const syncedMs = performance.now() - t0;
    const listed = { csrs: csrInf.list().filter((c) => c.name.startsWith('bench-scale-')).length, tokens: tokInf.list().length };
    for (let i = 0; i < 1500 && (csrInf.state !== 'live' || tokInf.state !== 'live'); i++) await sleep(20);
    const after = memory();
    const firstLoad = counter.since(t0).map(shortRequest);

    log(`scale: ${updates} CSR updates from another process`);
    const stats0 = { ...csrInf.stats };
    let modified = 0;
    let lastAt = 0;
    let done;
    const all = new Promise((res) => { done = res; });
    csrInf.onEvent((e) => {
      if (e.type === 'MODIFIED' && e.key.startsWith('bench-scale-')) {
        modified++;
        lastAt = Date.now();
        if (modified >= updates) done();
      }
    });
    const u0 = performance.now();
    const upd = await populateProcess(['--state', cp.dir, '--update', String(updates)]);
    await Promise.race([all, sleep(120_000)]);
    const seconds = (lastAt - upd.starts[0]) / 1000;
    const during = counter.since(u0);
    const stats1 = { ...csrInf.stats };
    csrInf.dispose();
    tokInf.dispose();
    return {
      csrs,
      tokens,
      populate: pop.result,
      informersSyncedMs: round(syncedMs),
      listed,
      firstLoadRequests: firstLoad,
      memoryBefore: before,
      memoryAfter: after,
      heapAddedMB: round(after.heapUsedMB - before.heapUsedMB),
      rssAddedMB: round(after.rssMB - before.rssMB),
      updates: {
        sent: updates,
        applied: modified,
        sendSeconds: upd.result.sendSeconds,
        seconds: round(seconds, 3),
        eventsPerSecond: round(modified / seconds),
        lists: stats1.lists - stats0.lists,
        relists: stats1.relists - stats0.relists,
        csrListRequests: during.filter((r) => r.method === 'GET' && !/[?&]watch=/.test(r.path) && /certificatesigningrequests(\?|$)/.test(r.path)).length,
        requests: during.length,
      },
    };
  } finally {
    counter.uninstall();
  }
}
