// `npm start` (scripts/start.mjs) for real: the README's run command builds, starts the local control plane and
// code-server, loads the workbench in Chromium (--smoke), and stops everything — on success, on SIGTERM at any
// moment, and when the control plane cannot start. Each test uses its own playground folder (--dir).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startScript } from '../support/playground';

function alive(pid: number): boolean {
  try { process.kill(pid, 0); return true; } catch { return false; }
}
function groupAlive(pid: number): boolean {
  try { process.kill(-pid, 0); return true; } catch { return false; }
}

interface StartState {
  pid: number;
  url?: string;
  port?: number;
  workspace?: string;
  stopped?: boolean;
  codeServer?: { pid: number };
  cluster?: { pids: Record<string, number> };
}

/** Every pid that start.mjs and the control plane recorded in `dir`. */
function recordedPids(dir: string): Record<string, number> {
  const pids: Record<string, number> = {};
  const start = join(dir, 'start.json');
  if (existsSync(start)) {
    const s = JSON.parse(readFileSync(start, 'utf8')) as StartState;
    if (s.codeServer) pids['code-server'] = s.codeServer.pid;
    Object.assign(pids, s.cluster?.pids ?? {});
  }
  const cp = join(dir, 'cluster', 'state.json');
  if (existsSync(cp)) Object.assign(pids, (JSON.parse(readFileSync(cp, 'utf8')) as { pids: Record<string, number> }).pids);
  return pids;
}

function assertNothingLeft(dir: string): void {
  const left = Object.entries(recordedPids(dir)).filter(([, pid]) => groupAlive(pid) || alive(pid));
  assert.deepEqual(left, [], `processes left running: ${JSON.stringify(left)}`);
  const temps = existsSync(dir) ? readdirSync(dir).filter((e) => e.startsWith('.workspace-') || e.startsWith('.agent-')) : [];
  assert.deepEqual(temps, [], 'half-written playground folders left behind');
}

function listenOn(port = 0): Promise<Server> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(port, '127.0.0.1', () => res(s));
  });
}

async function httpStatus(url: string): Promise<number> {
  try { return (await fetch(url)).status; } catch { return 0; }
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Every `krustlet.*` key in the settings files of a playground (workspace, code-server user and machine). */
function krustletSettingsIn(dir: string): string[] {
  const files = [
    join(dir, 'workspace', '.vscode', 'settings.json'),
    join(dir, 'code-server', 'user-data', 'User', 'settings.json'),
    join(dir, 'code-server', 'user-data', 'Machine', 'settings.json'),
  ];
  return files.filter((f) => existsSync(f)).flatMap((f) => [...readFileSync(f, 'utf8').matchAll(/"(krustlet\.[\w.]+)"/g)].map((m) => `${f}: ${m[1]}`));
}

function onPathNames(): string {
  return (process.env.PATH ?? '').split(':').flatMap((d) => { try { return readdirSync(d); } catch { return []; } }).join('\n');
}

function environOf(pid: number): Record<string, string> {
  const out: Record<string, string> = {};
  for (const kv of readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0')) {
    const i = kv.indexOf('=');
    if (i > 0) out[kv.slice(0, i)] = kv.slice(i + 1);
  }
  return out;
}

/** GET with the playground's admin credentials (the files its admin.kubeconfig names). */
function adminGet(dir: string, server: string, path: string): Promise<{ metadata: { uid: string } }> {
  const pki = join(dir, 'cluster', 'pki');
  return new Promise((res, rej) => {
    const req = httpsRequest(`${server}${path}`, {
      ca: readFileSync(join(pki, 'ca.crt')), cert: readFileSync(join(pki, 'admin.crt')), key: readFileSync(join(pki, 'admin.key')),
    }, (r) => {
      let body = '';
      r.setEncoding('utf8').on('data', (d: string) => { body += d; }).on('end', () => {
        if (r.statusCode === 200) res(JSON.parse(body) as { metadata: { uid: string } });
        else rej(new Error(`GET ${path}: ${r.statusCode} ${body.slice(0, 300)}`));
      });
    });
    req.on('error', rej);
    req.end();
  });
}

const tmpDirs: string[] = [];
function playgroundDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'krustlet-start-test-'));
  tmpDirs.push(d);
  return d;
}
test.after(() => { for (const d of tmpDirs) rmSync(d, { recursive: true, force: true }); });

void test('npm start --smoke: control plane, workspace, code-server on a free port, workbench in Chromium, then everything stopped', async () => {
  const dir = playgroundDir();
  const blocker = await listenOn(); // the asked port is taken: start must pick another one
  const taken = (blocker.address() as { port: number }).port;
  try {
    const run = startScript(['--smoke', '--dir', dir, '--port', String(taken)]);
    const { code } = await run.exit;
    assert.equal(code, 0, `start.mjs --smoke exited ${code}\n${run.stdout()}\n${run.stderr()}`);
    const url = run.stdout().match(/URL:\s+(http:\/\/127\.0\.0\.1:(\d+)\/\S*)/);
    assert.ok(url, `no URL line in:\n${run.stdout()}`);
    assert.notEqual(Number(url[2]), taken, 'used the taken port');
    assert.match(run.stdout(), /smoke: \/healthz 200; workbench loaded; playground workspace open in the Explorer/);
    assert.match(run.stdout(), /smoke: ok/);

    const state = JSON.parse(readFileSync(join(dir, 'start.json'), 'utf8')) as StartState;
    assert.equal(state.stopped, true);
    assert.equal(state.port, Number(url[2]));
    // Defaults only, as a new user has them: no krustlet.* setting anywhere, no tasks.json; the environment
    // tells the extension where the cluster, the agent and its data folder are (see the next test).
    assert.deepEqual(krustletSettingsIn(dir), [], 'the playground sets krustlet.* settings');
    assert.ok(!existsSync(join(dir, 'workspace', '.vscode', 'tasks.json')));
    assert.match(run.stdout(), new RegExp(`cluster:\\s+local control plane https://127\\.0\\.0\\.1:\\d+ \\(KUBECONFIG=${escapeRe(join(dir, 'cluster', 'admin.kubeconfig'))}\\)`));
    assert.match(run.stdout(), new RegExp(`agent data: ${escapeRe(join(dir, 'agent-data'))} \\(KRUSTLET_DATA_DIR; not your ~/\\.krustlet\\)`));
    const readme = readFileSync(join(dir, 'workspace', 'README.md'), 'utf8');
    assert.ok(readme.includes(join(dir, 'agent-data')), readme);
    assert.match(readme, /Help → Open Walkthrough…/);
    if (!/krustlet-wasi/.test(onPathNames())) assert.match(run.stdout(), /agent:\s+SIMULATED stand-in agent .*: .*\/agent\/krustlet-wasi/);
    assert.equal(await httpStatus(`http://127.0.0.1:${url[2]}/healthz`), 0, 'code-server still answers after the smoke run');
    assertNothingLeft(dir);
  } finally {
    blocker.close();
  }
});

void test('SIGTERM once the URL is printed stops code-server and the control plane, exit 0, workspace complete', async () => {
  const dir = playgroundDir();
  const run = startScript(['--dir', dir]);
  const m = await run.waitFor(/URL:\s+(http:\/\/127\.0\.0\.1:(\d+)\/\S*)/);
  assert.equal(await httpStatus(`http://127.0.0.1:${m[2]}/healthz`), 200);
  const before = recordedPids(dir);
  assert.ok(before['code-server'] && before['kube-apiserver'] && before.etcd, `pids recorded: ${JSON.stringify(before)}`);
  run.child.kill('SIGTERM');
  const { code } = await run.exit;
  assert.equal(code, 0, run.stderr());
  assert.equal(await httpStatus(`http://127.0.0.1:${m[2]}/healthz`), 0);
  assertNothingLeft(dir);
  assert.ok(existsSync(join(dir, 'workspace', 'README.md')));
});

void test('VS Code gets the playground through its environment: KUBECONFIG, krustlet-wasi on PATH, KRUSTLET_DATA_DIR inside the playground', async () => {
  const dir = playgroundDir();
  const run = startScript(['--dir', dir]);
  try {
    await run.waitFor(/URL:\s+http:\/\/127\.0\.0\.1:\d+\//);
    const s = JSON.parse(readFileSync(join(dir, 'start.json'), 'utf8')) as StartState;
    const env = environOf(s.codeServer!.pid);
    assert.equal(env.KUBECONFIG, join(dir, 'cluster', 'admin.kubeconfig'));
    assert.equal(env.KRUSTLET_DATA_DIR, join(dir, 'agent-data'), 'the agent would write into ~/.krustlet');
    if (/SIMULATED/.test(run.stdout())) assert.equal(env.PATH?.split(':')[0], join(dir, 'agent'));
  } finally {
    run.child.kill('SIGTERM');
    await run.exit;
  }
  assertNothingLeft(dir);
});

void test('the control plane dies while the playground runs: npm start says so and, on Enter, brings the same cluster back', async () => {
  const dir = playgroundDir();
  const run = startScript(['--dir', dir], {}, { stdin: 'pipe' });
  try {
    await run.waitFor(/Press Ctrl-C to stop everything/);
    const cluster = JSON.parse(readFileSync(join(dir, 'cluster', 'state.json'), 'utf8')) as { server: string; pids: Record<string, number> };
    // something that lives in etcd: the same object (uid) after the restart means the same cluster came back
    const before = await adminGet(dir, cluster.server, '/api/v1/namespaces/kube-system/serviceaccounts/certificate-controller');
    process.kill(-cluster.pids['kube-apiserver'], 'SIGKILL');
    // kube-controller-manager may go down with it: killed while it still starts its controllers, it exits
    // (klog.Fatal in client_builder_dynamic.go when it cannot create a controller's service account). Then
    // both are reported and revived together; a later death of it is reported on its own, after this revive.
    const alsoKcm = `(, kube-controller-manager \\(pid ${cluster.pids['kube-controller-manager']}\\))?`;
    await run.waitFor(new RegExp(`control plane: kube-apiserver \\(pid ${cluster.pids['kube-apiserver']}\\)${alsoKcm} stopped running — the cluster ${escapeRe(cluster.server)} is down`));
    await run.waitFor(/Press Enter to start (it|them) again \(the same cluster: port, certificates and data are kept\)/);
    run.child.stdin!.write('\n');
    await run.waitFor(new RegExp(`control plane: kube-apiserver(, kube-controller-manager)? running again; ${escapeRe(cluster.server)} answers`));
    const after = await adminGet(dir, cluster.server, '/api/v1/namespaces/kube-system/serviceaccounts/certificate-controller');
    assert.equal(after.metadata.uid, before.metadata.uid);
    const revived = JSON.parse(readFileSync(join(dir, 'cluster', 'state.json'), 'utf8')) as { pids: Record<string, number> };
    assert.notEqual(revived.pids['kube-apiserver'], cluster.pids['kube-apiserver']);
  } finally {
    run.child.kill('SIGTERM');
    await run.exit;
  }
  assertNothingLeft(dir); // the revived API server too: stop reads the new pids
});

void test('SIGTERM while the control plane is starting leaves no process and no half-written workspace', async () => {
  const dir = playgroundDir();
  const run = startScript(['--dir', dir]);
  await run.waitFor(/starting the local control plane/);
  // Let it get as far as launching etcd / kube-apiserver (their pids land in cluster/state.json).
  const stateFile = join(dir, 'cluster', 'state.json');
  while (!existsSync(stateFile) && run.child.exitCode === null) await new Promise((r) => setTimeout(r, 50));
  run.child.kill('SIGTERM');
  const { code } = await run.exit;
  assert.equal(code, 0, run.stderr());
  assert.doesNotMatch(run.stdout(), /URL:/);
  assertNothingLeft(dir);
  assert.ok(!existsSync(join(dir, 'workspace')), 'a workspace was written although start was interrupted before it');
});

void test('a control plane that cannot start: its log tail is printed, exit non-zero, no process left', async () => {
  const dir = playgroundDir();
  // KUBEBUILDER_ASSETS (honoured by scripts/cluster/provision.sh) pointing at binaries that fail the way a
  // broken etcd does.
  const bin = join(dir, 'broken-bin');
  mkdirSync(bin);
  for (const name of ['etcd', 'kube-apiserver', 'kube-controller-manager']) {
    writeFileSync(join(bin, name), `#!/bin/sh\necho "${name}: listen tcp 127.0.0.1: bind: simulated failure for the test" >&2\nexit 1\n`);
    chmodSync(join(bin, name), 0o755);
  }
  const run = startScript(['--dir', dir], { KUBEBUILDER_ASSETS: bin });
  const { code } = await run.exit;
  assert.notEqual(code, 0);
  assert.match(run.stderr(), /etcd: listen tcp 127\.0\.0\.1: bind: simulated failure for the test/, 'the log tail is printed');
  assert.match(run.stderr(), /error: the local control plane did not start/);
  assert.doesNotMatch(run.stdout(), /URL:/);
  assertNothingLeft(dir);
});
