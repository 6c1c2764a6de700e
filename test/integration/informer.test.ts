// The list+watch informer against a real kube-apiserver: initial list, events from other clients,
// approval → issued, delete, a dropped connection (through a TCP proxy the test controls), and a real
// API server restart, whose fresh watch cache answers the old resourceVersion with 410 Gone.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, closeSync } from 'node:fs';
import { connect as netConnect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as yaml from 'js-yaml';
import { connect, type Cluster } from '../../src/core/cluster';
import { createCsrInformer, createTokenInformer, type Informer, type InformerEvent, type InformerStateChange } from '../../src/core/cluster/informer';
import { generateToken, tokenSecretManifest } from '../../src/core/token';
import type { Logger } from '../../src/core/log';
import type { CsrInfo } from '../../src/core/types';
import { startControlPlane, type ControlPlane } from '../support/controlPlane';
import { kubectl } from '../support/kubectl';
import { until } from '../support/poll';
import { CLIENT_USAGES, csrManifest, krustletClientSpec, makeCsr } from '../support/csrFactory';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const APISERVER_CLIENT = 'kubernetes.io/kube-apiserver-client';

/** whenSynced(), bounded so a broken cluster fails the test instead of hanging it. */
async function synced(inf: Informer<unknown>, ms = 30_000): Promise<void> {
  await until(`${inf.what} informer to sync`, () => inf.synced, ms);
}

/** A TCP proxy in front of the API server: drop every connection, refuse new ones, accept again. */
class Proxy {
  private server?: Server;
  private readonly sockets = new Set<Socket>();
  port = 0;
  constructor(private readonly targetPort: number) {}

  async listen(port = 0): Promise<void> {
    const server = createServer((client) => {
      const upstream = netConnect(this.targetPort, '127.0.0.1');
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => s.destroy());
      }
      client.pipe(upstream).pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    await new Promise<void>((res, rej) => {
      server.once('error', rej);
      server.listen(port, '127.0.0.1', () => res());
    });
    this.server = server;
    this.port = (server.address() as { port: number }).port;
  }
  dropConnections(): void {
    for (const s of this.sockets) s.destroy();
  }
  async pause(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    this.dropConnections();
    if (s) await new Promise<void>((res) => s.close(() => res()));
  }
  resume(): Promise<void> {
    return this.listen(this.port);
  }
  async close(): Promise<void> {
    await this.pause();
  }
}

/** Alive and not a zombie (this machine's init may reap late). */
function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

const logLines: string[] = [];
const testLogger: Logger = {
  debug: (m) => logLines.push(`debug ${m}`),
  info: (m) => logLines.push(`info ${m}`),
  warn: (m) => logLines.push(`warn ${m}`),
  error: (m) => logLines.push(`error ${m}`),
};

/** Records everything an informer says. */
function record<T>(inf: Informer<T>) {
  const events: InformerEvent<T>[] = [];
  const states: InformerStateChange[] = [];
  inf.onEvent((e) => events.push(e));
  inf.onState((s) => states.push(s));
  return { events, states };
}

/** No key may see the same version twice, and the store must equal a fresh list. */
async function assertConsistent(inf: Informer<CsrInfo>, events: InformerEvent<CsrInfo>[], cluster: Cluster): Promise<void> {
  const seen = new Set<string>();
  for (const e of events) {
    const id = `${e.type} ${e.key} ${e.item.resourceVersion ?? ''}`;
    assert.ok(!seen.has(id), `duplicate event ${id}`);
    seen.add(id);
  }
  const truth = (await cluster.listCsrs()).items.map((c) => `${c.name}@${c.resourceVersion}`).sort();
  const mine = inf.list().map((c) => `${c.name}@${c.resourceVersion}`).sort();
  assert.deepEqual(mine, truth);
}

void describe('informer against a real API server', () => {
  let cp: ControlPlane;
  let direct: Cluster;
  let viaProxy: Cluster;
  let proxy: Proxy;
  let restartedPid: number | undefined;
  const work = mkdtempSync(join(tmpdir(), 'krustlet-informer-test-'));
  const informers: Informer<unknown>[] = [];
  const killRestarted = () => {
    if (restartedPid) try { process.kill(-restartedPid, 'SIGKILL'); } catch { /* gone */ }
  };

  const createCsr = async (name: string, via: Cluster = direct) => {
    const made = await makeCsr(krustletClientSpec(name));
    return via.createCsr({ name, requestPem: made.pem, signerName: APISERVER_CLIENT, usages: [...CLIENT_USAGES] });
  };
  const track = <T>(inf: Informer<T>): Informer<T> => {
    informers.push(inf);
    return inf;
  };

  before(async () => {
    cp = await startControlPlane();
    direct = await connect({ kubeconfigPath: cp.kubeconfigPath });
    proxy = new Proxy(Number(new URL(cp.server).port));
    await proxy.listen();
    const doc = yaml.load(readFileSync(cp.kubeconfigPath, 'utf8')) as { clusters: { cluster: { server: string } }[] };
    for (const c of doc.clusters) c.cluster.server = `https://127.0.0.1:${proxy.port}`;
    const proxied = join(work, 'proxied.kubeconfig');
    writeFileSync(proxied, yaml.dump(doc), { mode: 0o600 });
    viaProxy = await connect({ kubeconfigPath: proxied, logger: testLogger });
    process.on('exit', killRestarted);
  });

  after(async () => {
    for (const inf of informers) inf.dispose();
    await proxy?.close();
    if (restartedPid) {
      // Throwaway data: no graceful shutdown (which waits for long-running requests).
      killRestarted();
      await until('the restarted kube-apiserver to exit', () => !pidAlive(restartedPid ?? 0), 20_000);
    }
    await cp?.stop();
    rmSync(work, { recursive: true, force: true });
    process.removeListener('exit', killRestarted);
  });

  void it('lists first (ADDED per item, then synced), sees a CSR created by kubectl, approval → approved → issued, delete', async () => {
    await createCsr('pre-1');
    await createCsr('pre-2');
    const inf = track(createCsrInformer(direct, { logger: testLogger }));
    const { events, states } = record(inf);
    let syncedWith: string[] | undefined;
    inf.onSynced((items) => (syncedWith ??= items.map((c) => c.name).sort()));
    await synced(inf);
    assert.deepEqual(syncedWith, ['pre-1', 'pre-2']);
    assert.deepEqual(events.map((e) => `${e.type} ${e.key}`).sort(), ['ADDED pre-1', 'ADDED pre-2']);
    await until('live', () => inf.state === 'live');
    assert.equal(states[0]?.state, 'live');

    // Another client: kubectl.
    const made = await makeCsr(krustletClientSpec('from-kubectl'));
    await kubectl(cp.kubeconfigPath, ['create', '-f', '-'], JSON.stringify(csrManifest('from-kubectl', made, APISERVER_CLIENT, [...CLIENT_USAGES])));
    const added = await until('ADDED from-kubectl', () => events.find((e) => e.key === 'from-kubectl'));
    assert.equal(added.type, 'ADDED');
    assert.equal(added.item.state, 'pending');
    assert.equal(added.item.signerName, APISERVER_CLIENT);
    assert.match(added.item.requestPem, /BEGIN CERTIFICATE REQUEST/);

    // Approve: kube-controller-manager signs kube-apiserver-client CSRs once approved.
    await direct.approveCsr('from-kubectl');
    await until('issued', () => events.find((e) => e.key === 'from-kubectl' && e.item.state === 'issued'));
    const states1 = events.filter((e) => e.key === 'from-kubectl').map((e) => `${e.type}:${e.item.state}`);
    assert.deepEqual(states1, ['ADDED:pending', 'MODIFIED:approved', 'MODIFIED:issued']);
    assert.equal(inf.get('from-kubectl')?.state, 'issued');

    await kubectl(cp.kubeconfigPath, ['delete', 'csr', 'from-kubectl']);
    const del = await until('DELETED', () => events.find((e) => e.key === 'from-kubectl' && e.type === 'DELETED'));
    assert.equal(del.item.name, 'from-kubectl');
    assert.equal(inf.get('from-kubectl'), undefined);
    await assertConsistent(inf, events, direct);
    assert.equal(inf.stats.relists, 0);
  });

  void it('event latency (created → event), printed', async () => {
    const inf = track(createCsrInformer(direct, { logger: testLogger }));
    await synced(inf);
    await until('live', () => inf.state === 'live');
    const seenAt = new Map<string, number>();
    inf.onEvent((e) => {
      if (e.type === 'ADDED' && !seenAt.has(e.key)) seenAt.set(e.key, performance.now());
    });
    const latencies: number[] = [];
    const N = 20;
    for (let i = 0; i < N; i++) {
      const name = `lat-${i}`;
      const made = await makeCsr(krustletClientSpec(name));
      const t0 = performance.now();
      await direct.createCsr({ name, requestPem: made.pem, signerName: APISERVER_CLIENT, usages: [...CLIENT_USAGES] });
      const t = await until(`event for ${name}`, () => seenAt.get(name));
      latencies.push(t - t0);
    }
    latencies.sort((a, b) => a - b);
    const p = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))].toFixed(1);
    console.log(`informer latency, POST sent → ADDED event, N=${N}: p50 ${p(0.5)} ms, p90 ${p(0.9)} ms, max ${p(1)} ms`);
    for (let i = 0; i < N; i++) await direct.deleteCsr(`lat-${i}`);
  });

  void it('a dropped connection: reconnecting (with the error) then live again; changes made meanwhile arrive once', async () => {
    const keep = await createCsr('drop-keep');
    const inf = track(createCsrInformer(viaProxy, { logger: testLogger, initialBackoffMs: 100, maxBackoffMs: 1000 }));
    const { events, states } = record(inf);
    await synced(inf);
    await until('live', () => inf.state === 'live');

    // 1. The connection drops but the server is there: the watch resumes at once.
    const watchesBefore = inf.stats.watches;
    proxy.dropConnections();
    await until('a new watch', () => inf.stats.watches > watchesBefore && inf.state === 'live');

    // 2. An outage: the proxy refuses connections while other clients change things.
    const mark = states.length;
    await proxy.pause();
    const reconnecting = await until('reconnecting', () => states.slice(mark).find((s) => s.state === 'reconnecting'));
    assert.ok(reconnecting.message && reconnecting.message.length > 0, 'reconnecting carries the error');
    assert.ok((reconnecting.retryInMs ?? 0) > 0);
    assert.ok(inf.lastError !== undefined);
    await createCsr('drop-new');
    await direct.approveCsr('drop-keep');
    await until('a second failed attempt', () => states.slice(mark).filter((s) => s.state === 'reconnecting').length >= 2);
    await proxy.resume();

    await until('live again', () => inf.state === 'live');
    await until('drop-new added', () => events.find((e) => e.key === 'drop-new' && e.type === 'ADDED'));
    await until('drop-keep issued', () => inf.get('drop-keep')?.state === 'issued');
    assert.equal(inf.lastError, undefined);
    assert.ok(keep.resourceVersion);
    await assertConsistent(inf, events, direct);
    assert.equal(events.filter((e) => e.key === 'drop-new' && e.type === 'ADDED').length, 1);
    const attempts = states.slice(mark).filter((s) => s.state === 'reconnecting').map((s) => s.retryInMs ?? 0);
    console.log(`dropped watch: ${attempts.length} reconnect attempts, delays ${attempts.join(', ')} ms (backoff capped at 1000 ms)`);
    assert.ok(attempts.every((d) => d <= 1200), 'backoff is capped (±20 % jitter)');
  });

  void it('an API server restart: the old resourceVersion gets 410 Gone, the informer relists and emits only the difference', async () => {
    await createCsr('rs-keep');
    await createCsr('rs-gone');
    const inf = track(createCsrInformer(viaProxy, { logger: testLogger, initialBackoffMs: 100, maxBackoffMs: 1000 }));
    const { events } = record(inf);
    await synced(inf);
    await until('live', () => inf.state === 'live');
    const before = new Map(inf.list().map((c) => [c.name, c.resourceVersion]));
    const listsBefore = inf.stats.lists;
    events.length = 0;

    // Hold the informer off, change things, then restart kube-apiserver (its watch cache starts over).
    await proxy.pause();
    await until('reconnecting', () => inf.state === 'reconnecting');
    await direct.deleteCsr('rs-gone');
    await createCsr('rs-new');
    const oldPid = cp.pids['kube-apiserver'];
    restartedPid = await restartApiServer(restartedPid ?? oldPid);
    await until('the restarted API server answers', async () => {
      try {
        await direct.version();
        return true;
      } catch {
        return false;
      }
    });
    await proxy.resume();

    await until('relisted and live', () => inf.stats.relists >= 1 && inf.state === 'live');
    await until('rs-new', () => inf.get('rs-new'));
    assert.ok(inf.stats.lists > listsBefore, 'listed again');
    assert.ok(logLines.some((l) => /410 Gone/.test(l)), 'the informer saw 410 Gone');
    const diff = events.map((e) => `${e.type} ${e.key}`).sort();
    assert.deepEqual(diff, ['ADDED rs-new', 'DELETED rs-gone'], `only the difference, got ${diff.join(', ')}`);
    // Items that did not change emitted nothing and kept their version.
    for (const c of inf.list()) if (c.name !== 'rs-new') assert.equal(c.resourceVersion, before.get(c.name));
    await assertConsistent(inf, events, direct);
  });

  void it("the server's watch timeout: bookmarks are taken silently and the watch resumes where it was, without a relist", async () => {
    const inf = track(createCsrInformer(direct, { logger: testLogger, watchTimeoutSeconds: 3 }));
    const { events } = record(inf);
    await synced(inf);
    await until('live', () => inf.state === 'live');
    events.length = 0;
    // Kubernetes 1.20 sends a bookmark near a watch's deadline once the collection moved past where the
    // watch started: change something, then let the server end a few watches.
    await createCsr('bookmark-1');
    await until('a bookmark and resumed watches', () => inf.stats.bookmarks >= 1 && inf.stats.watches >= 3);
    assert.equal(inf.stats.lists, 1, 'no relist');
    assert.equal(inf.stats.relists, 0);
    assert.deepEqual(events.map((e) => `${e.type} ${e.key}`), ['ADDED bookmark-1'], 'bookmarks and resumed watches emit nothing');
    await createCsr('after-resume');
    await until('after-resume', () => inf.get('after-resume'));
    assert.equal(events.length, 2);
    console.log(`watch timeout 3 s: ${inf.stats.watches} watches, ${inf.stats.bookmarks} bookmarks, resourceVersion ${inf.resourceVersion}`);
  });

  void it('resume from a snapshot: no list, only changes after its resourceVersion', async () => {
    const snapshot = await direct.listCsrs();
    await createCsr('after-snapshot');
    const inf = track(createCsrInformer(direct, { logger: testLogger, resume: { resourceVersion: snapshot.resourceVersion, items: snapshot.items } }));
    const { events } = record(inf);
    assert.equal(inf.synced, true);
    await until('after-snapshot', () => inf.get('after-snapshot'));
    assert.equal(inf.stats.lists, 0);
    assert.deepEqual(events.map((e) => `${e.type} ${e.key}`), ['ADDED after-snapshot']);
    await assertConsistent(inf, events, direct);
  });

  void it('tokens: a token Secret appears (without its secret) and disappears', async () => {
    const inf = track(createTokenInformer(direct, { logger: testLogger }));
    const { events } = record(inf);
    await synced(inf);
    await until('live', () => inf.state === 'live');
    const token = generateToken();
    await direct.createTokenSecret(tokenSecretManifest(token, { ttlSeconds: 3600, description: 'informer test' }));
    const added = await until('token ADDED', () => events.find((e) => e.key === token.id && e.type === 'ADDED'));
    assert.equal(added.item.description, 'informer test');
    assert.equal(added.item.secret, undefined);
    assert.ok(!JSON.stringify(inf.list()).includes(token.secret), 'no secret in the informer store');
    await direct.deleteToken(token.id);
    await until('token DELETED', () => events.find((e) => e.key === token.id && e.type === 'DELETED'));
    assert.equal(inf.get(token.id), undefined);
    assert.ok(!logLines.some((l) => l.includes(token.secret)), 'no secret in the log');
  });

  void it('dispose() stops the watch and leaves no timer behind', async () => {
    const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    await sleep(50);
    const baseline = timers();
    const inf = createCsrInformer(direct, { logger: testLogger });
    const { states } = record(inf);
    await synced(inf);
    await until('live', () => inf.state === 'live');
    assert.ok(timers() > baseline, 'the watch arms its idle timer');
    inf.dispose();
    assert.equal(inf.state, 'stopped');
    assert.equal(states.at(-1)?.state, 'stopped');
    await sleep(50);
    assert.equal(timers(), baseline);
    // After dispose nothing more is emitted.
    const n = states.length;
    await createCsr('after-dispose');
    await sleep(300);
    assert.equal(states.length, n);
  });

  /** Kills kube-apiserver's process group and starts the same command line again in a new one. */
  async function restartApiServer(pid: number): Promise<number> {
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
    assert.match(argv[0], /kube-apiserver$/);
    // SIGKILL: an abrupt restart (a graceful one waits for long-running requests).
    try { process.kill(-pid, 'SIGKILL'); } catch { process.kill(pid, 'SIGKILL'); }
    await until('kube-apiserver to exit', () => !pidAlive(pid), 20_000);
    const logPath = join(cp.dir, 'logs', 'kube-apiserver.restarted.log');
    const fd = openSync(logPath, 'a');
    const child = spawn(argv[0], argv.slice(1), { detached: true, stdio: ['ignore', fd, fd] });
    closeSync(fd);
    child.unref();
    assert.ok(child.pid && existsSync(`/proc/${child.pid}`));
    return child.pid;
  }
});
