// The bench inside a real VS Code extension host (code-server through scripts/vscode/code-launcher,
// started by bench/sections/exthost.mjs as extensionTestsPath). Plain CommonJS: no build step.
//
// Phases (env KRUSTLET_BENCH_PHASES, comma list):
//   activation  hello-world (bench/fixtures/hello-world) then Krustlet: ext.activate() wall time
//   bootstrap   warm `krustlet.bootstrap` (all answers given): command → file written, → done; API round trips
//   csr         CSR created by another client → in the tree (p50/p95); approve command → approved; round trips
//   scale       N CSRs + M tokens: reconnect → full tree (items built), memory added, K updates/s, lists seen
//
// Env: KRUSTLET_BENCH_OUT (results JSON), KRUSTLET_BENCH_KUBECONFIG, KRUSTLET_BENCH_STATE_DIR,
//      KRUSTLET_BENCH_QUICK=1, KRUSTLET_BENCH_SCALE="csrs,tokens,updates".
// API round trips are counted by wrapping node:https.request in this process (the extension bundle
// reaches the same module object), keeping only requests to the control plane's host:port.
'use strict';
const { spawn } = require('node:child_process');
const { mkdirSync, mkdtempSync, existsSync, rmSync, watch, writeFileSync } = require('node:fs');
const https = require('node:https');
const { tmpdir } = require('node:os');
const { join, resolve } = require('node:path');
const { pathToFileURL } = require('node:url');
const v8 = require('node:v8');
const vm = require('node:vm');
const vscode = require('vscode');

const OURS = 'krustlet-tools.krustlet-bootstrap';
const HELLO = 'krustlet-bench.bench-hello-world';
const BENCH_DIR = resolve(__dirname, '..');
const env = process.env;
const quick = env.KRUSTLET_BENCH_QUICK === '1';
const kubeconfig = env.KRUSTLET_BENCH_KUBECONFIG;
const stateDir = env.KRUSTLET_BENCH_STATE_DIR;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const say = (m) => console.log(`[bench ext] ${m}`);

// ------------------------------------------------------------------ helpers
function quantile(values, q) {
  const v = [...values].sort((a, b) => a - b);
  if (!v.length) return NaN;
  const pos = (v.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return v[lo] + (v[hi] - v[lo]) * (pos - lo);
}
const r1 = (x) => Math.round(x * 10) / 10;
function summary(values) {
  return { n: values.length, min: r1(Math.min(...values)), p50: r1(quantile(values, 0.5)), p95: r1(quantile(values, 0.95)), max: r1(Math.max(...values)) };
}

let gcFn;
function gc() {
  try {
    if (!gcFn) {
      v8.setFlagsFromString('--expose-gc');
      gcFn = vm.runInNewContext('gc');
    }
    gcFn();
    gcFn();
  } catch {
    /* no gc: figures are noisier */
  }
}
function memory() {
  gc();
  const m = process.memoryUsage();
  return { rssMB: r1(m.rss / 2 ** 20), heapUsedMB: r1(m.heapUsed / 2 ** 20), externalMB: r1(m.external / 2 ** 20) };
}

async function until(what, probe, limitMs = 120_000) {
  const t0 = Date.now();
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() - t0 > limitMs) throw new Error(`gave up waiting for ${what} after ${limitMs} ms`);
    await sleep(20);
  }
}

/** Every request this process sends to the API server: {t, method, path}. */
function requestCounter(server) {
  const host = new URL(server).host;
  const seen = [];
  const orig = https.request;
  https.request = function countedRequest(...args) {
    const req = orig.apply(this, args);
    try {
      const h = String(req.getHeader('host') ?? `${req.host}`);
      if (h === host || h.endsWith(`:${new URL(server).port}`)) seen.push({ t: performance.now(), method: req.method, path: req.path });
    } catch {
      /* never disturb the request */
    }
    return req;
  };
  return {
    since: (t0, t1 = Infinity) => seen.filter((r) => r.t >= t0 && r.t <= t1),
    uninstall: () => {
      https.request = orig;
    },
  };
}

function short(r) {
  const p = r.path.split('?')[0].replace(/\/bootstrap-token-\w+/, '/bootstrap-token-…').replace(/\/certificatesigningrequests\/[^/]+/, '/certificatesigningrequests/NAME');
  return `${r.method} ${p}${/[?&]watch=(true|1)/.test(r.path) ? ' (watch)' : ''}`;
}

/** Resolves with performance.now() when `file` exists (fs.watch on its folder, which must exist). */
function whenWritten(file) {
  let watcher;
  const p = new Promise((res) => {
    const check = () => {
      if (existsSync(file)) {
        const t = performance.now();
        watcher?.close();
        res(t);
      }
    };
    watcher = watch(require('node:path').dirname(file), check);
    check();
  });
  return { promise: p, close: () => watcher?.close() };
}

// ------------------------------------------------------------------ phases
async function phaseActivation() {
  try {
    await until('both extensions registered', () => vscode.extensions.getExtension(OURS) && vscode.extensions.getExtension(HELLO), 60_000);
  } catch (e) {
    const dev = vscode.extensions.all.filter((x) => !x.packageJSON.isBuiltin).map((x) => x.id);
    throw new Error(`${e.message}; non-builtin extensions: ${dev.join(', ') || 'none'}`);
  }
  const hello = vscode.extensions.getExtension(HELLO);
  const ours = vscode.extensions.getExtension(OURS);
  const out = { helloWasActive: hello.isActive, oursWasActive: ours.isActive, order: 'hello-world first, then Krustlet' };
  let t = performance.now();
  await hello.activate();
  out.helloMs = r1(performance.now() - t);
  t = performance.now();
  const api = await ours.activate();
  out.oursMs = r1(performance.now() - t);
  out.oursActivateFnMs = r1(api.activationMs);
  out.extraMs = r1(out.oursMs - out.helloMs);
  return { out, api };
}

async function connected(api) {
  const cfg = vscode.workspace.getConfiguration('krustlet');
  if (cfg.get('kubeconfig') !== kubeconfig) await cfg.update('kubeconfig', kubeconfig, vscode.ConfigurationTarget.Global);
  void api.service.ensureStarted();
  await until('connected with both watches live', () => api.service.state.kind === 'connected' && api.service.csrs.status.state === 'live' && api.service.tokens.status.state === 'live');
}

async function phaseBootstrap(api, counter) {
  await connected(api);
  const runs = quick ? 3 : 10;
  const dir = mkdtempSync(join(tmpdir(), 'krustlet-bench-ext-bootstrap-'));
  const context = api.service.cluster.context.name;
  const tokenIds = [];
  const samples = [];
  try {
    for (let i = -1; i < runs; i++) {
      const target = join(dir, `run-${i + 1}`, 'bootstrap.conf');
      mkdirSync(join(dir, `run-${i + 1}`));
      const written = whenWritten(target);
      const t0 = performance.now();
      const r = await vscode.commands.executeCommand('krustlet.bootstrap', {
        context,
        ttl: '1h',
        outputPath: target,
        overwrite: true,
        // The warm-up applies kubeadm's bindings, so "warm" means a cluster whose preflight passed
        // (a clean preflight is reused for a while; a failing one runs and shows every time).
        applyRbac: i < 0,
        proceed: true,
        gitignore: false,
        notify: false,
      });
      const tDone = performance.now();
      const tFile = await Promise.race([written.promise, sleep(5000).then(() => NaN)]);
      written.close();
      if (!r || !r.tokenId) throw new Error('krustlet.bootstrap returned no result (see the Krustlet log)');
      tokenIds.push(r.tokenId);
      if (i < 0) continue; // warm-up
      const all = counter.since(t0, tDone);
      const beforeFile = counter.since(t0, tFile);
      samples.push({ fileMs: tFile - t0, doneMs: tDone - t0, requests: all.length, requestsBeforeFile: beforeFile.length, list: all.map(short), before: beforeFile.map(short) });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const last = samples[samples.length - 1];
  return {
    runs,
    fileWrittenMs: summary(samples.map((s) => s.fileMs)),
    commandDoneMs: summary(samples.map((s) => s.doneMs)),
    roundTripsToFile: quantile(samples.map((s) => s.requestsBeforeFile), 0.5),
    roundTripsTotal: quantile(samples.map((s) => s.requests), 0.5),
    requests: last?.list,
    requestsBeforeFile: last?.before,
    tokenIds,
  };
}

async function phaseCsr(api, counter) {
  await connected(api);
  const { Kube, csrBody, makeCsrPem, readState, CSR_PATH } = await import(pathToFileURL(join(BENCH_DIR, 'lib', 'kube.mjs')).href);
  const other = new Kube(readState(stateDir), { maxSockets: 2 }); // another client: its own TLS connection and identity path
  const n = quick ? 15 : 50;
  const approvals = quick ? 5 : 15;
  const run = Math.random().toString(36).slice(2, 7);
  const latencies = [];
  const names = [];
  try {
    for (let i = 0; i < n; i++) {
      const name = `bench-lat-${run}-${i}-tls`;
      const body = csrBody(name, makeCsrPem(`bench-lat-${run}-${i}`), { 'krustlet-bench': 'latency' });
      let resolveSeen;
      const seen = new Promise((res) => (resolveSeen = res));
      const sub = api.tree.onDidChangeTreeData((e) => {
        if (e !== api.tree.csrsGroup && e !== undefined) return;
        // visible: the refreshed group's children (what the view asks for next) include it, with its tree item built
        const node = api.tree.getChildren(api.tree.csrsGroup).find((x) => x.kind === 'csr' && x.name === name);
        if (node) {
          api.tree.getTreeItem(node);
          resolveSeen(performance.now());
        }
      });
      const t0 = performance.now();
      await other.request('POST', CSR_PATH, body);
      const t1 = await Promise.race([seen, sleep(10_000).then(() => NaN)]);
      sub.dispose();
      latencies.push(t1 - t0);
      names.push(name);
      await sleep(50);
    }
    const approve = [];
    for (const name of names.slice(0, approvals)) {
      let resolveShown;
      const shown = new Promise((res) => (resolveShown = res));
      const sub = api.tree.onDidChangeTreeData(() => {
        const csr = api.service.csrs.get(name);
        if (csr && csr.state !== 'pending' && api.tree.csrNode(name)) resolveShown(performance.now());
      });
      const t0 = performance.now();
      const r = await vscode.commands.executeCommand('krustlet.approveCsr', name, undefined, { confirm: true });
      const tDone = performance.now();
      const tShown = await Promise.race([shown, sleep(10_000).then(() => NaN)]);
      sub.dispose();
      if (!r || !r.done.includes(name)) throw new Error(`approve ${name}: ${JSON.stringify(r)}`);
      const reqs = counter.since(t0, tDone);
      approve.push({ ms: tDone - t0, shownMs: tShown - t0, requests: reqs.length, list: reqs.map(short) });
      await sleep(50);
    }
    const lost = latencies.filter((x) => !Number.isFinite(x)).length;
    return {
      created: n,
      notSeenWithin10s: lost,
      visibleMs: summary(latencies.filter(Number.isFinite)),
      approveMs: summary(approve.map((a) => a.ms)),
      approvedInTreeMs: summary(approve.map((a) => a.shownMs).filter(Number.isFinite)),
      approveRoundTrips: quantile(approve.map((a) => a.requests), 0.5),
      approveRequests: approve[0]?.list,
    };
  } finally {
    try {
      await other.deleteCollection(CSR_PATH, 'krustlet-bench=latency');
    } catch (e) {
      say(`clean-up of latency CSRs failed: ${e.message}`);
    }
    other.destroy();
  }
}

function node(args) {
  return new Promise((res, rej) => {
    const child = spawn(env.KRUSTLET_BENCH_NODE || 'node', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    const lines = [];
    child.stdout.setEncoding('utf8').on('data', (d) => {
      out += d;
      for (const l of d.split('\n')) if (l.startsWith('start ')) lines.push(Number(l.slice(6)));
    });
    child.stderr.setEncoding('utf8').on('data', (d) => (err += d));
    child.on('error', rej);
    child.on('close', (code) => (code === 0 ? res({ out, starts: lines }) : rej(new Error(`node ${args.join(' ')} → ${code}: ${err.slice(-500)}`))));
  });
}

async function phaseScale(api, counter) {
  await connected(api);
  const [csrs, tokens, updates] = (env.KRUSTLET_BENCH_SCALE || '5000,1000,1000').split(',').map(Number);
  const populate = join(BENCH_DIR, 'lib', 'populate.mjs');
  const before = memory();
  const pop = JSON.parse((await node([populate, '--state', stateDir, '--csrs', String(csrs), '--tokens', String(tokens)])).out.trim().split('\n').pop());
  say(`populated: ${JSON.stringify(pop)}`);

  // time to first full tree: a fresh connection (lists + watches), both groups' children and their tree items
  let csrReset = 0;
  let tokenReset = 0;
  // the lists arrived (a reset of a collection that has synced; stopping the old watch resets it too, empty)
  const subs = [
    api.service.csrs.onDidChange((c) => c.type === 'reset' && api.service.csrs.synced && csrReset++),
    api.service.tokens.onDidChange((c) => c.type === 'reset' && api.service.tokens.synced && tokenReset++),
  ];
  const t0 = performance.now();
  const rt0 = t0;
  void api.service.reconnect('bench: time to first full tree');
  await until('both lists applied', () => csrReset > 0 && tokenReset > 0, 300_000);
  const tLists = performance.now();
  const csrNodes = api.tree.getChildren(api.tree.csrsGroup);
  const tokenNodes = api.tree.getChildren(api.tree.tokensGroup);
  const tChildren = performance.now();
  for (const n of csrNodes) api.tree.getTreeItem(n);
  for (const n of tokenNodes) api.tree.getTreeItem(n);
  const fullTreeMs = performance.now() - t0;
  const breakdown = { connectAndListsMs: r1(tLists - t0), childrenMs: r1(tChildren - tLists), treeItemsMs: r1(performance.now() - tChildren) };
  // the same again, now that the nodes exist (what a second render costs)
  const t2 = performance.now();
  for (const n of api.tree.getChildren(api.tree.csrsGroup)) api.tree.getTreeItem(n);
  breakdown.rerenderCsrGroupMs = r1(performance.now() - t2);
  const firstLoad = counter.since(rt0).map(short);
  const scaleCsrs = csrNodes.filter((n) => n.kind === 'csr' && n.name.startsWith('bench-scale-')).length;
  const scaleTokens = tokenNodes.length;
  for (const d of subs) d.dispose();
  await until('watches live', () => api.service.csrs.status.state === 'live' && api.service.tokens.status.state === 'live');
  const after = memory();

  // K incremental updates (label patches by another process) → MODIFIED events applied to the tree
  let modified = 0;
  let resets = 0;
  let lastAt = 0;
  let resolveAll;
  const all = new Promise((res) => (resolveAll = res));
  // an update applied to the tree = the tree's change event for that request's element
  const subs2 = [
    api.service.onDidChangeConnection(() => resets++),
    api.service.csrs.onDidChange((c) => c.type === 'reset' && resets++),
    api.tree.onDidChangeTreeData((e) => {
      if (!e || Array.isArray(e) || e.kind !== 'csr' || !e.name.startsWith('bench-scale-')) return;
      modified++;
      lastAt = Date.now();
      if (modified >= updates) resolveAll();
    }),
  ];
  const u0 = performance.now();
  const upd = await node([populate, '--state', stateDir, '--update', String(updates)]);
  await Promise.race([all, sleep(120_000)]);
  for (const d of subs2) d.dispose();
  const startedAt = upd.starts[0];
  const seconds = (lastAt - startedAt) / 1000;
  const during = counter.since(u0);
  const lists = during.filter((r) => r.method === 'GET' && !/[?&]watch=/.test(r.path) && /certificatesigningrequests(\?|$)/.test(r.path)).length;
  return {
    csrs,
    tokens,
    populate: pop,
    treeCsrs: scaleCsrs,
    treeTokens: scaleTokens,
    fullTreeMs: r1(fullTreeMs),
    fullTreeBreakdown: breakdown,
    firstLoadRequests: firstLoad,
    memoryBefore: before,
    memoryAfter: after,
    rssAddedMB: r1(after.rssMB - before.rssMB),
    heapAddedMB: r1(after.heapUsedMB - before.heapUsedMB),
    updates: { sent: updates, applied: modified, seconds: r1(seconds * 1000) / 1000, eventsPerSecond: r1(modified / seconds), csrListsDuring: lists, resetsDuring: resets, requestsDuring: during.length },
  };
}

// ------------------------------------------------------------------ entry
exports.run = async function run() {
  const results = { startedAt: new Date().toISOString(), vscodeVersion: vscode.version, phases: {} };
  const outFile = env.KRUSTLET_BENCH_OUT;
  const write = () => outFile && writeFileSync(outFile, JSON.stringify(results, null, 2));
  const phases = (env.KRUSTLET_BENCH_PHASES || 'activation,bootstrap,csr,scale').split(',');
  let api;
  try {
    const a = await phaseActivation();
    api = a.api;
    if (phases.includes('activation')) results.phases.activation = a.out;
  } catch (e) {
    results.phases.activation = { error: String(e && e.stack ? e.stack : e) };
    write();
    return;
  }
  write();
  const server = (await import(pathToFileURL(join(BENCH_DIR, 'lib', 'kube.mjs')).href)).readState(stateDir).server;
  const counter = requestCounter(server);
  const table = { bootstrap: phaseBootstrap, csr: phaseCsr, scale: phaseScale };
  for (const p of phases) {
    if (!table[p]) continue;
    say(`phase ${p}`);
    const t = Date.now();
    try {
      results.phases[p] = await table[p](api, counter);
    } catch (e) {
      results.phases[p] = { error: String(e && e.stack ? e.stack : e) };
    }
    say(`phase ${p} done in ${((Date.now() - t) / 1000).toFixed(1)} s`);
    write();
  }
  counter.uninstall();
  results.finishedAt = new Date().toISOString();
  write();
};
