// 2. CSR latency, in-process: a CSR created by another client (the bench's own admin connection) →
// visible through the core's informer, measured beside a running `kubectl get csr -w` (time until its
// line appears); approve through the core (wall time, round trips) beside `kubectl certificate approve`
// as a process (wall, CPU, round trips).
import https from 'node:https';
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CSR_PATH, csrBody, makeCsrPem } from '../lib/kube.mjs';
import { log, median, requestCounter, round, shortRequest, sleep, summary, timedShell, which } from '../lib/util.mjs';

const LABEL = { 'krustlet-bench': 'latency' };

export async function benchCsr({ cp, kube, core, quick }) {
  const n = quick ? 15 : 50;
  const approvals = quick ? 5 : 15;
  const work = mkdtempSync(join(tmpdir(), 'krustlet-bench-csr-'));
  const env = { ...process.env, HOME: join(work, 'home'), KUBECONFIG: cp.kubeconfigPath };
  const counter = requestCounter(cp.server, https);
  const cluster = await core.connect({ kubeconfigPath: cp.kubeconfigPath });
  const informer = core.createCsrInformer(cluster, {});
  const kubectl = spawn('kubectl', ['get', 'csr', '--watch', '-o', 'name'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const lineWaiters = new Map();
  const seenLines = new Set();
  let buf = '';
  kubectl.stdout.setEncoding('utf8').on('data', (d) => {
    const t = performance.now();
    buf += d;
    const lines = buf.split('\n');
    buf = lines.pop();
    for (const l of lines) {
      const name = l.trim().split('/').pop();
      if (seenLines.has(name)) continue;
      seenLines.add(name);
      lineWaiters.get(name)?.(t);
    }
  });
  const eventWaiters = new Map();
  informer.onEvent((e) => {
    if (e.type === 'ADDED') eventWaiters.get(e.key)?.(performance.now());
  });
  const run = Math.random().toString(36).slice(2, 7);
  const names = [];
  try {
    await informer.whenSynced();
    await new Promise((res, rej) => {
      const t = setTimeout(() => rej(new Error('informer not live after 30 s')), 30_000);
      const check = () => (informer.state === 'live' ? (clearTimeout(t), res()) : setTimeout(check, 20));
      check();
    });
    // make sure kubectl's watch is established: its line for a first CSR must appear
    const ready = `bench-lat-${run}-ready-tls`;
    const readySeen = new Promise((res) => lineWaiters.set(ready, res));
    await kube.request('POST', CSR_PATH, csrBody(ready, makeCsrPem(ready.replace(/-tls$/, '')), LABEL));
    await Promise.race([readySeen, sleep(30_000).then(() => { throw new Error('kubectl get csr -w printed nothing within 30 s'); })]);

    log(`csr: ${n} CSRs created one by one, watched by the informer and by kubectl get csr -w`);
    const ours = [];
    const anchor = [];
    for (let i = 0; i < n; i++) {
      const name = `bench-lat-${run}-${i}-tls`;
      const body = csrBody(name, makeCsrPem(name.replace(/-tls$/, '')), LABEL);
      const a = new Promise((res) => eventWaiters.set(name, res));
      const b = new Promise((res) => lineWaiters.set(name, res));
      const guard = sleep(10_000).then(() => NaN);
      const t0 = performance.now();
      await kube.request('POST', CSR_PATH, body);
      const [ta, tb] = await Promise.all([Promise.race([a, guard]), Promise.race([b, guard])]);
      ours.push(ta - t0);
      anchor.push(tb - t0);
      names.push(name);
      eventWaiters.delete(name);
      lineWaiters.delete(name);
      await sleep(50);
    }

    log(`csr: approving ${approvals} through the core and ${approvals} with kubectl certificate approve`);
    const approveOurs = [];
    const approveAnchor = [];
    for (let i = 0; i < approvals; i++) {
      const mine = names[2 * i];
      const theirs = names[2 * i + 1];
      const t0 = performance.now();
      // The informer's copy, as the extension passes it: one PUT to /approval, no read first.
      const info = await cluster.approveCsr(mine, undefined, undefined, informer.get(mine));
      const ms = performance.now() - t0;
      if (info.state !== 'approved' && info.state !== 'issued') throw new Error(`approve ${mine}: state ${info.state}`);
      approveOurs.push({ ms, requests: counter.since(t0, performance.now()).map(shortRequest) });
      const r = await timedShell(`kubectl certificate approve ${theirs}`, { env });
      if (r.code !== 0) throw new Error(`kubectl certificate approve: ${r.stderr}`);
      approveAnchor.push(r);
    }
    // kubectl's round trips for one approval (-v=6 through a PATH shim; not timed)
    const shim = join(work, 'shim');
    const reqLog = join(work, 'kubectl.log');
    (await import('node:fs')).mkdirSync(shim);
    writeFileSync(join(shim, 'kubectl'), `#!/bin/sh\nexec '${which('kubectl')}' -v=6 "$@" 2>>'${reqLog}'\n`);
    chmodSync(join(shim, 'kubectl'), 0o755);
    await timedShell(`kubectl certificate approve ${names[2 * approvals + 1]}`, { env: { ...env, PATH: `${shim}:${env.PATH}` } });
    const kubectlApproveRequests = readFileSync(reqLog, 'utf8')
      .split('\n')
      .map((l) => /round_trippers\.go:\d+\] (GET|POST|PUT|PATCH|DELETE) (https?:\/\/\S+) (\d+)/.exec(l))
      .filter(Boolean)
      .map((m) => `${m[1]} ${new URL(m[2]).pathname} → ${m[3]}`);

    const lost = { ours: ours.filter((x) => !Number.isFinite(x)).length, anchor: anchor.filter((x) => !Number.isFinite(x)).length };
    const vis = { ours: summary(ours), anchor: summary(anchor) };
    return {
      created: n,
      notSeenWithin10s: lost,
      visibleMs: vis,
      visibleRatioP50: round(vis.anchor.p50 / vis.ours.p50, 2),
      informerStats: { ...informer.stats },
      approve: {
        ours: { ms: summary(approveOurs.map((a) => a.ms)), roundTrips: median(approveOurs.map((a) => a.requests.length)), requests: approveOurs[0]?.requests },
        anchor: { wallMs: summary(approveAnchor.map((r) => r.wallMs)), cpuMs: summary(approveAnchor.map((r) => r.cpuMs)), roundTrips: kubectlApproveRequests.length, requests: kubectlApproveRequests },
        wallRatio: round(median(approveAnchor.map((r) => r.wallMs)) / median(approveOurs.map((a) => a.ms)), 2),
      },
    };
  } finally {
    kubectl.kill('SIGTERM');
    informer.dispose();
    counter.uninstall();
    try {
      await kube.deleteCollection(CSR_PATH, 'krustlet-bench=latency');
    } catch (e) {
      log(`csr: clean-up failed: ${e.message}`);
    }
    rmSync(work, { recursive: true, force: true });
  }
}
