#!/usr/bin/env node
// `npm run bench`: the product against what users use today, side by side, on a real local control
// plane (scripts/cluster/controlplane.mjs; etcd + kube-apiserver + kube-controller-manager on 127.0.0.1).
// Prints figures and ratios; asserts nothing about timings.
//
//   npm run bench                       # everything (≈ 6–10 min on 2 cores)
//   npm run bench -- --quick            # fewer iterations, 1,000 CSRs + 200 tokens for the scale part
//   npm run bench -- --only bootstrap   # one or more of: size, bootstrap, join, csr, scale, activation (comma list)
//   npm run bench -- --no-vscode        # skip everything that needs code-server
//   npm run bench -- --no-build         # measure dist/ as it is (default: `node scripts/build.mjs` first)
//   npm run bench -- --vscode 4.100.3   # code-server version for the extension-host parts
//   npm run bench -- --kubeconfig-dir DIR  # reuse a running control plane (DIR of controlplane.mjs start)
//
// Writes bench/results/last.json (raw figures, machine, load averages) and prints one table.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kube, readState } from './lib/kube.mjs';
import { fmt, load, log, machine, repoPath, round, run, table } from './lib/util.mjs';

const SECTIONS = ['size', 'bootstrap', 'join', 'csr', 'activation', 'scale'];

function parseArgs(argv) {
  const o = { quick: false, only: [...SECTIONS], vscode: true, build: true, version: '4.100.3' };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--quick') o.quick = true;
    else if (a === '--only') o.only = argv[++i].split(',').map((s) => s.trim()).filter(Boolean);
    else if (a.startsWith('--only=')) o.only = a.slice(7).split(',');
    else if (a === '--no-vscode') o.vscode = false;
    else if (a === '--no-build') o.build = false;
    else if (a === '--vscode') o.version = argv[++i];
    else if (a === '--kubeconfig-dir') o.cpDir = argv[++i];
    else if (a === '--help' || a === '-h') {
      console.log(readFileSync(new URL(import.meta.url), 'utf8').split('\n').filter((l) => l.startsWith('//')).map((l) => l.slice(3)).join('\n'));
      process.exit(0);
    } else throw new Error(`unknown argument ${a} (see --help)`);
  }
  for (const s of o.only) if (!SECTIONS.includes(s)) throw new Error(`unknown section '${s}': one of ${SECTIONS.join(', ')}`);
  return o;
}

async function startCluster(opts) {
  if (opts.cpDir) return { state: readState(opts.cpDir), stop: async () => {} };
  const dir = mkdtempSync(join(tmpdir(), 'krustlet-bench-cp-'));
  const script = repoPath('scripts', 'cluster', 'controlplane.mjs');
  log('starting the control plane (etcd, kube-apiserver, kube-controller-manager on 127.0.0.1)');
  const r = await run(process.execPath, [script, 'start', '--dir', dir, '--json'], { timeoutMs: 15 * 60_000 });
  if (r.code !== 0) throw new Error(`control plane did not start:\n${r.stderr.slice(-3000)}`);
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await run(process.execPath, [script, 'stop', '--dir', dir]);
    rmSync(dir, { recursive: true, force: true });
  };
  for (const sig of ['SIGINT', 'SIGTERM']) process.once(sig, () => void stop().finally(() => process.exit(130)));
  return { state: JSON.parse(r.stdout.trim().split('\n').pop()), stop };
}

async function section(results, name, fn) {
  const before = load();
  const t0 = Date.now();
  try {
    results[name] = await fn();
  } catch (e) {
    log(`${name}: FAILED: ${e instanceof Error ? e.stack : e}`);
    results[name] = { error: e instanceof Error ? e.message : String(e) };
  }
  if (results[name] && typeof results[name] === 'object') {
    results[name].load = { before, after: load() };
    results[name].sectionSeconds = round((Date.now() - t0) / 1000);
  }
}

// ------------------------------------------------------------------ table
function rows(R, opts) {
  const out = [];
  const ms = (x) => fmt(x, 'ms');
  const x = (r) => (Number.isFinite(r) ? `${fmt(r)}×` : '–');
  const err = (metric, s) => out.push({ metric, ours: `error: ${String(s.error).slice(0, 60)}` });

  const b = R.bootstrap;
  if (b?.error) err('bootstrap (CLI vs kubectl way)', b);
  else if (b) {
    out.push({ metric: `bootstrap whole process, wall p50 (n=${b.runs})`, ours: ms(b.ours.wallMs.p50), anchor: ms(b.anchor.wallMs.p50), ratio: x(b.wallRatio), goal: '≥ 4× faster', met: b.wallRatio >= 4 });
    out.push({ metric: 'bootstrap whole process, CPU p50', ours: ms(b.ours.cpuMs.p50), anchor: ms(b.anchor.cpuMs.p50), ratio: x(b.cpuRatio) });
    if (b.floor) out.push({ metric: `floor CPU: node -e 0 / cli.js --version${b.floor.kubeLoad ? ' / + kube.js' : ''}`, ours: [b.floor.nodeStart, b.floor.cliLoad, b.floor.kubeLoad].filter(Boolean).map((f) => ms(f.cpuMs)).join(' / '), goal: '(info)' });
    out.push({ metric: 'bootstrap API round trips (processes)', ours: `${b.ours.requests.length} (1 process)`, anchor: `${b.anchor.requests.length} (${b.anchor.kubectlProcesses} kubectl)` });
  }
  const eb = R.vscode?.phases?.bootstrap;
  if (eb?.error) err('bootstrap in VS Code', eb);
  else if (eb) {
    out.push({ metric: `VS Code bootstrap warm → file written p50 (n=${eb.runs})`, ours: ms(eb.fileWrittenMs.p50), anchor: b ? ms(b.anchor.wallMs.p50) : '–', ratio: b ? x(b.anchor.wallMs.p50 / eb.fileWrittenMs.p50) : '–' });
    out.push({ metric: 'VS Code bootstrap round trips → file written', ours: fmt(eb.roundTripsToFile), anchor: b ? String(b.anchor.requests.length) : '–', goal: '≤ 3', met: eb.roundTripsToFile <= 3 });
    out.push({ metric: 'VS Code bootstrap round trips, whole command', ours: fmt(eb.roundTripsTotal), anchor: '–', goal: '(info)' });
  }
  const j = R.join;
  if (j?.error) err('join command (CLI vs kubectl + openssl)', j);
  else if (j) {
    out.push({ metric: `token create --print-join-command, wall p50 (n=${j.runs})`, ours: ms(j.ours.wallMs.p50), anchor: ms(j.anchor.wallMs.p50), ratio: x(j.wallRatio), goal: 'same CA hash', met: j.sameCaHash });
    out.push({ metric: 'token create --print-join-command, CPU p50', ours: ms(j.ours.cpuMs.p50), anchor: ms(j.anchor.cpuMs.p50), ratio: x(j.cpuRatio) });
  }
  const c = R.csr;
  if (c?.error) err('CSR latency (in-process)', c);
  else if (c) {
    out.push({ metric: `CSR created → seen, core informer p50 (n=${c.created})`, ours: ms(c.visibleMs.ours.p50), anchor: `${ms(c.visibleMs.anchor.p50)} (get csr -w)`, ratio: x(c.visibleRatioP50), goal: '≤ 100 ms', met: c.visibleMs.ours.p50 <= 100 });
    out.push({ metric: 'CSR created → seen, core informer p95', ours: ms(c.visibleMs.ours.p95), anchor: ms(c.visibleMs.anchor.p95), ratio: x(c.visibleMs.anchor.p95 / c.visibleMs.ours.p95) });
    out.push({ metric: `approve → approved, core p50 (n=${c.approve.ours.ms.n})`, ours: ms(c.approve.ours.ms.p50), anchor: `${ms(c.approve.anchor.wallMs.p50)} (process)`, ratio: x(c.approve.wallRatio) });
    out.push({ metric: 'approve API round trips', ours: fmt(c.approve.ours.roundTrips), anchor: fmt(c.approve.anchor.roundTrips), goal: '1', met: c.approve.ours.roundTrips <= 1 });
  }
  const ec = R.vscode?.phases?.csr;
  if (ec?.error) err('CSR latency (VS Code tree)', ec);
  else if (ec) {
    out.push({ metric: `CSR created → in VS Code tree p50 (n=${ec.visibleMs.n})`, ours: ms(ec.visibleMs.p50), anchor: c?.visibleMs ? `${ms(c.visibleMs.anchor.p50)} (get csr -w)` : '–', ratio: c?.visibleMs ? x(c.visibleMs.anchor.p50 / ec.visibleMs.p50) : '–', goal: '≤ 100 ms', met: ec.visibleMs.p50 <= 100 });
    out.push({ metric: 'CSR created → in VS Code tree p95', ours: ms(ec.visibleMs.p95), anchor: c?.visibleMs ? ms(c.visibleMs.anchor.p95) : '–' });
    out.push({ metric: `VS Code approve command → approved p50 (n=${ec.approveMs.n})`, ours: ms(ec.approveMs.p50), anchor: c?.approve ? `${ms(c.approve.anchor.wallMs.p50)} (process)` : '–', ratio: c?.approve ? x(c.approve.anchor.wallMs.p50 / ec.approveMs.p50) : '–' });
    out.push({ metric: 'VS Code approve round trips', ours: fmt(ec.approveRoundTrips), anchor: c?.approve ? fmt(c.approve.anchor.roundTrips) : '–', goal: '1', met: ec.approveRoundTrips <= 1 });
  }
  const es = R.vscode?.phases?.scale;
  const s = R.scale;
  const label = (o) => `${o.csrs} CSRs + ${o.tokens} tokens`;
  if (es?.error) err('scale (VS Code tree)', es);
  else if (es) {
    out.push({ metric: `${label(es)}: first full tree (VS Code)`, ours: ms(es.fullTreeMs), goal: '< 1 s', met: es.fullTreeMs < 1000 });
    out.push({ metric: `${label(es)}: ext-host memory added (RSS)`, ours: fmt(es.rssAddedMB, 'MB'), anchor: `heap +${fmt(es.heapAddedMB, 'MB')}`, goal: '< 50 MB', met: es.rssAddedMB < 50 });
    const u = es.updates;
    out.push({ metric: `${u.sent} CSR updates → VS Code tree`, ours: `${fmt(u.eventsPerSecond)} ev/s`, anchor: `${u.applied}/${u.sent} applied`, goal: 'no relist', met: u.csrListsDuring === 0 && u.resetsDuring === 0 && u.applied === u.sent });
  }
  if (s?.error) err('scale (in-process)', s);
  else if (s) {
    out.push({ metric: `${label(s)}: core informers synced`, ours: ms(s.informersSyncedMs), goal: '< 1 s', met: s.informersSyncedMs < 1000 });
    out.push({ metric: `${label(s)}: core heap added`, ours: fmt(s.heapAddedMB, 'MB'), anchor: `RSS +${fmt(s.rssAddedMB, 'MB')}`, goal: '< 50 MB', met: s.heapAddedMB < 50 });
    const u = s.updates;
    out.push({ metric: `${u.sent} CSR updates → core informer`, ours: `${fmt(u.eventsPerSecond)} ev/s`, anchor: `${u.applied}/${u.sent} applied`, goal: 'no relist', met: u.lists === 0 && u.relists === 0 && u.csrListRequests === 0 && u.applied === u.sent });
  }
  const a = R.vscode?.phases?.activation;
  if (a?.error) err('activation', a);
  else if (a) {
    out.push({ metric: 'activation, ext.activate() (load + activate)', ours: ms(a.oursMs), anchor: `${ms(a.helloMs)} (hello world)`, ratio: `+${fmt(a.extraMs, 'ms')}`, goal: '< 50 ms more', met: a.extraMs < 50 });
    out.push({ metric: 'activation, our activate() body', ours: ms(a.oursActivateFnMs) });
  }
  const z = R.size;
  if (z?.error) err('size', z);
  else if (z) {
    for (const [name, f] of Object.entries(z.bundles ?? {})) if (f) out.push({ metric: `dist/${name} (gzip)`, ours: `${fmt(f.kB, 'kB')} (${fmt(f.gzipKB, 'kB')})`, goal: '(info)' });
    if (z.vsix?.error) out.push({ metric: '.vsix', ours: `error: ${z.vsix.error.slice(0, 60)}`, goal: '≤ 1 MB' });
    else if (z.vsix) out.push({ metric: `.vsix (${z.vsix.files} files)`, ours: fmt(z.vsix.kB, 'kB'), goal: '≤ 1 MB', met: z.vsix.bytes <= 1024 * 1024 });
  }
  void opts;
  return out;
}

// ------------------------------------------------------------------ main
async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const started = new Date();
  const results = { startedAt: started.toISOString(), options: { quick: opts.quick, only: opts.only, vscode: opts.vscode ? opts.version : false }, machine: machine(), load: { start: load() } };
  const scale = opts.quick ? [1000, 200, 300] : [5000, 1000, 1000];
  const want = (s) => opts.only.includes(s);

  if (opts.build) {
    log('building dist/ (node scripts/build.mjs)');
    const r = await run(process.execPath, [repoPath('scripts', 'build.mjs')], { cwd: repoPath() });
    results.build = r.code === 0 ? 'built' : `build failed (measuring the existing dist/): ${r.stderr.slice(-300)}`;
    if (r.code !== 0) log(results.build);
  }
  if (!existsSync(repoPath('dist', 'cli.js'))) throw new Error('dist/cli.js is missing: run `npm run build`');

  if (want('size')) await section(results, 'size', async () => (await import('./sections/size.mjs')).benchSize());

  const needCluster = ['bootstrap', 'join', 'csr', 'scale', 'activation'].some(want);
  if (needCluster) {
    const cluster = await startCluster(opts);
    const cp = cluster.state;
    const kube = new Kube(cp);
    results.controlPlane = { server: cp.server, startedInMs: cp.startedInMs };
    try {
      const { loadCore } = await import('./lib/core.mjs');
      const core = want('csr') || want('scale') ? await loadCore() : undefined;
      if (want('bootstrap')) await section(results, 'bootstrap', async () => (await import('./sections/bootstrap.mjs')).benchBootstrap({ cp, kube, quick: opts.quick }));
      if (want('join')) await section(results, 'join', async () => (await import('./sections/join.mjs')).benchJoin({ cp, kube, quick: opts.quick }));
      if (want('csr')) await section(results, 'csr', async () => (await import('./sections/csr.mjs')).benchCsr({ cp, kube, core, quick: opts.quick }));
      if (opts.vscode) {
        const phases = [];
        if (want('activation')) phases.push('activation');
        if (want('bootstrap')) phases.push('bootstrap');
        if (want('csr')) phases.push('csr');
        if (want('scale')) phases.push('scale');
        if (phases.length) {
          await section(results, 'vscode', async () => (await import('./sections/exthost.mjs')).benchExtensionHost({ cp, quick: opts.quick, phases, scale, version: opts.version }));
          // Secrets made by the extension's Bootstrap runs
          for (const id of results.vscode?.phases?.bootstrap?.tokenIds ?? []) {
            try {
              await kube.request('DELETE', `/api/v1/namespaces/kube-system/secrets/bootstrap-token-${id}`);
            } catch { /* gone already */ }
          }
        }
      }
      if (want('scale')) await section(results, 'scale', async () => (await import('./sections/scale.mjs')).benchScale({ cp, core, scale }));
      // everything the bench created carries the krustlet-bench label
      try {
        await (await import('./lib/populate.mjs')).clean(kube);
      } catch (e) {
        log(`clean-up: ${e.message}`);
      }
    } finally {
      kube.destroy();
      await cluster.stop();
    }
  }

  results.load.end = load();
  results.finishedAt = new Date().toISOString();
  results.seconds = round((Date.now() - started.getTime()) / 1000);
  results.table = rows(results, opts);
  mkdirSync(repoPath('bench', 'results'), { recursive: true });
  writeFileSync(repoPath('bench', 'results', 'last.json'), JSON.stringify(results, null, 2) + '\n');

  const m = results.machine;
  console.log(`\nKrustlet Bootstrap bench — ${results.startedAt}${opts.quick ? ' (quick)' : ''}`);
  console.log(`machine: ${m.nproc} × ${m.cpuModel}, ${m.memoryGiB} GiB, Node ${m.node}; load avg (1/5/15 min) start ${results.load.start.join(' ')}, end ${results.load.end.join(' ')}`);
  console.log(`anchors: the kubectl way = bench/fixtures/kubectl-bootstrap.sh (Krustlet's bootstrap.sh sequence); kubectl get csr -w; kubectl certificate approve; hello-world extension\n`);
  console.log(table(results.table));
  console.log(`\nraw figures: bench/results/last.json (${results.seconds} s)`);
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e instanceof Error ? e.stack : e);
    process.exit(1);
  },
);
