import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import {
  findExecutable,
  formatFindings,
  nodeIpChoices,
  problemsOf,
  runAgentChecks,
  unusableNodeIpReason,
  type AgentCheckCluster,
  type AgentCheckDeps,
  type AgentCheckFinding,
} from '../../src/core/agent/checks';
import { resolveAgentOptions, type AgentOptions } from '../../src/core/agent/commandLine';
import { KrustletError } from '../../src/core/errors';
import type { CsrInfo, CsrState, TokenInfo } from '../../src/core/types';

let dir: string;
const TOKEN_ID = 'abcdef';
const BOOTSTRAP = (server: string) => `apiVersion: v1
clusters:
- cluster:
    certificate-authority-data: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCg==
    server: ${server}
  name: local
contexts:
- context:
    cluster: local
    namespace: kube-system
    user: tls-bootstrap-token-user
  name: tls-bootstrap-token-user@kubernetes
current-context: tls-bootstrap-token-user@kubernetes
kind: Config
preferences: {}
users:
- name: tls-bootstrap-token-user
  user:
    token: ${TOKEN_ID}.0123456789abcdef
`;

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'agent-checks-'));
  mkdirSync(join(dir, 'data', 'config'), { recursive: true });
  mkdirSync(join(dir, 'bin'));
  writeFileSync(join(dir, 'bin', 'krustlet-wasi'), '#!/bin/sh\n', { mode: 0o755 });
  writeFileSync(join(dir, 'bootstrap.conf'), BOOTSTRAP('https://127.0.0.1:6443'), { mode: 0o600 });
});
after(() => rmSync(dir, { recursive: true, force: true }));

function opts(extra: AgentOptions = {}): AgentOptions {
  return { bootstrapFile: join(dir, 'bootstrap.conf'), dataDir: join(dir, 'data'), hostname: 'Box', ...extra };
}
const host = () => ({ homedir: join(dir, 'home'), hostname: 'Box', env: {}, cwd: dir });

function fakeCluster(o: { tokens?: TokenInfo[]; csrs?: Record<string, CsrState>; server?: string } = {}): AgentCheckCluster {
  return {
    server: o.server ?? 'https://127.0.0.1:6443',
    contextName: 'local-admin',
    listTokens: () => Promise.resolve(o.tokens ?? [{ id: TOKEN_ID, secretName: `bootstrap-token-${TOKEN_ID}`, expired: false, usages: [], extraGroups: [], expiration: new Date('2030-01-01T00:00:00Z') }]),
    getCsr: (name: string) => {
      const state = o.csrs?.[name];
      if (!state) return Promise.reject(new KrustletError('not-found', `Not found: ${name}.`));
      return Promise.resolve({ name, state, signerName: 'x', requestPem: '', usages: [], groups: [], conditions: [], hasCertificate: false } as CsrInfo);
    },
  };
}

const deps = (extra: AgentCheckDeps = {}): AgentCheckDeps => ({
  cluster: fakeCluster(),
  resolveHost: () => Promise.resolve(['192.0.2.10']),
  interfaceAddresses: () => [{ address: '192.0.2.10', iface: 'eth0' }],
  pathEnv: join(dir, 'bin'),
  now: new Date('2026-01-01T00:00:00Z'),
  ...extra,
});

const one = (fs: AgentCheckFinding[], id: string) => {
  const f = fs.filter((x) => x.id === id);
  assert.equal(f.length, 1, `one ${id} finding: ${formatFindings(fs)}`);
  return f[0];
};

void test('all clear: every check ok', async () => {
  const fs = await runAgentChecks(resolveAgentOptions(opts(), host()), deps());
  assert.deepEqual(problemsOf(fs), [], formatFindings(fs));
  for (const id of ['agent-binary', 'bootstrap-config', 'token', 'other-cluster', 'kubeconfig-exists', 'stale-client-csr', 'stale-serving-csr', 'node-ip', 'data-dir']) {
    assert.equal(one(fs, id).severity, 'ok', id);
  }
});

void test('agent binary missing: on PATH and as a path', async () => {
  let f = one(await runAgentChecks(resolveAgentOptions(opts(), host()), deps({ pathEnv: '/nonexistent' })), 'agent-binary');
  assert.equal(f.severity, 'error');
  assert.equal(f.fix?.id, 'set-agent-path');
  assert.match(f.message, /'krustlet-wasi' is not on PATH/);
  f = one(await runAgentChecks(resolveAgentOptions(opts({ command: join(dir, 'nope') }), host()), deps()), 'agent-binary');
  assert.equal(f.severity, 'error');
  // a file that is not executable is not an agent
  writeFileSync(join(dir, 'plain'), 'x', { mode: 0o644 });
  assert.equal(await findExecutable(join(dir, 'plain')), undefined);
  assert.equal(await findExecutable('krustlet-wasi', join(dir, 'bin')), join(dir, 'bin', 'krustlet-wasi'));
});

void test('bootstrap config missing or unusable → offer a new Bootstrap', async () => {
  let f = one(await runAgentChecks(resolveAgentOptions(opts({ bootstrapFile: join(dir, 'missing.conf') }), host()), deps()), 'bootstrap-config');
  assert.equal(f.severity, 'error');
  assert.equal(f.fix?.id, 'new-bootstrap');
  writeFileSync(join(dir, 'notoken.conf'), BOOTSTRAP('https://127.0.0.1:6443').replace(/token: .*/, 'username: x'));
  f = one(await runAgentChecks(resolveAgentOptions(opts({ bootstrapFile: join(dir, 'notoken.conf') }), host()), deps()), 'bootstrap-config');
  assert.equal(f.severity, 'error');
  assert.match(f.message, /not usable/);
});

void test('token expired, or deleted by the token cleaner → error with new Bootstrap; no cluster → info only', async () => {
  const expired: TokenInfo = { id: TOKEN_ID, secretName: 'x', expired: true, usages: [], extraGroups: [], expiration: new Date('2025-12-31T00:00:00Z') };
  let f = one(await runAgentChecks(resolveAgentOptions(opts(), host()), deps({ cluster: fakeCluster({ tokens: [expired] }) })), 'token');
  assert.equal(f.severity, 'error');
  assert.match(f.message, /expired at 2025-12-31/);
  assert.equal(f.fix?.id, 'new-bootstrap');
  f = one(await runAgentChecks(resolveAgentOptions(opts(), host()), deps({ cluster: fakeCluster({ tokens: [] }) })), 'token');
  assert.equal(f.severity, 'error');
  assert.match(f.message, /does not exist in the cluster/);
  f = one(await runAgentChecks(resolveAgentOptions(opts(), host()), deps({ cluster: undefined })), 'token');
  assert.equal(f.severity, 'info');
});

void test('bootstrap config for another cluster than the selected context → warning', async () => {
  const f = one(await runAgentChecks(resolveAgentOptions(opts(), host()), deps({ cluster: fakeCluster({ server: 'https://10.1.1.1:6443' }) })), 'other-cluster');
  assert.equal(f.severity, 'warning');
  assert.equal(f.fix?.id, 'select-context');
  // same server spelled differently is the same cluster
  const same = one(await runAgentChecks(resolveAgentOptions(opts(), host()), deps({ cluster: fakeCluster({ server: 'https://127.0.0.1:6443/' }) })), 'other-cluster');
  assert.equal(same.severity, 'ok');
});

void test('kubeconfig target exists → the agent skips bootstrapping; offer to move it aside; the token no longer matters', async () => {
  const kc = join(dir, 'existing-kubeconfig');
  writeFileSync(kc, JSON.stringify({ 'current-context': 'krustlet' }));
  const fs = await runAgentChecks(resolveAgentOptions(opts({ kubeconfig: kc }), host()), deps({ cluster: fakeCluster({ tokens: [] }) }));
  const f = one(fs, 'kubeconfig-exists');
  assert.equal(f.severity, 'warning');
  assert.deepEqual(f.fix && { id: f.fix.id, target: f.fix.target }, { id: 'move-kubeconfig-aside', target: kc });
  assert.equal(one(fs, 'token').severity, 'info');
  writeFileSync(kc, 'apiVersion: v1\nkind: Config\n');
  const f2 = one(await runAgentChecks(resolveAgentOptions(opts({ kubeconfig: kc }), host()), deps()), 'kubeconfig-exists');
  assert.match(f2.message, /whatever credentials it holds/);
});

void test('an agent kubeconfig for another cluster (a recreated cluster, a restarted playground) is an error with Move It Aside, before start', async () => {
  const kc = join(dir, 'other-cluster-kubeconfig');
  const agentKubeconfig = (server: string) => JSON.stringify({
    'current-context': 'krustlet',
    contexts: [{ name: 'krustlet', context: { cluster: 'krustlet', user: 'krustlet' } }],
    clusters: [{ name: 'krustlet', cluster: { server } }],
  });
  writeFileSync(kc, agentKubeconfig('https://127.0.0.1:41953'));
  const f = one(await runAgentChecks(resolveAgentOptions(opts({ kubeconfig: kc }), host()), deps({ cluster: fakeCluster({ tokens: [] }) })), 'kubeconfig-exists');
  assert.equal(f.severity, 'error');
  assert.match(f.message, /is for another cluster \(https:\/\/127\.0\.0\.1:41953\), not https:\/\/127\.0\.0\.1:6443 \(the server of .*bootstrap\.conf\)/);
  assert.deepEqual(f.fix && { id: f.fix.id, target: f.fix.target }, { id: 'move-kubeconfig-aside', target: kc });
  // the same cluster: the usual warning (the agent skips bootstrapping), not the error
  writeFileSync(kc, agentKubeconfig('https://127.0.0.1:6443/'));
  assert.equal(one(await runAgentChecks(resolveAgentOptions(opts({ kubeconfig: kc }), host()), deps()), 'kubeconfig-exists').severity, 'warning');
});

void test('stale CSRs: <hostname>-tls → error with delete; <node-name> from an earlier run → warning, denied → error', async () => {
  const fs = await runAgentChecks(resolveAgentOptions(opts(), host()), deps({ cluster: fakeCluster({ csrs: { 'Box-tls': 'pending', box: 'issued' } }) }));
  const s = one(fs, 'stale-serving-csr');
  assert.equal(s.severity, 'error');
  assert.deepEqual(s.fix && { id: s.fix.id, target: s.fix.target }, { id: 'delete-csr', target: 'Box-tls' });
  const c = one(fs, 'stale-client-csr');
  assert.equal(c.severity, 'warning');
  assert.equal(c.fix?.target, 'box');
  const d = one(await runAgentChecks(resolveAgentOptions(opts(), host()), deps({ cluster: fakeCluster({ csrs: { box: 'denied' } }) })), 'stale-client-csr');
  assert.equal(d.severity, 'error');
  assert.match(d.message, /wait forever/);
});

void test('no node IP and the hostname does not resolve → offer kind, minikube and this machine', async () => {
  const f = one(
    await runAgentChecks(resolveAgentOptions(opts(), host()), deps({ resolveHost: () => Promise.reject(new Error('ENOTFOUND')) })),
    'node-ip',
  );
  assert.equal(f.severity, 'error');
  assert.equal(f.fix?.id, 'pick-node-ip');
  assert.deepEqual(f.fix?.choices?.map((c) => c.address), ['172.17.0.1', '10.0.2.2', '192.0.2.10']);
  const given = one(await runAgentChecks(resolveAgentOptions(opts({ nodeIp: '10.0.2.2' }), host()), deps({ resolveHost: () => Promise.reject(new Error('x')) })), 'node-ip');
  assert.equal(given.severity, 'ok');
});

void test('no node IP and the hostname resolves only to addresses the agent never picks (loopback, multicast, unspecified, other family) → error, fix --node-ip', async () => {
  // A stock Debian host: hostname → 127.0.1.1 (and ::1). The real agent panics at once (config.rs default_node_ip).
  const loop = one(await runAgentChecks(resolveAgentOptions(opts(), host()), deps({ resolveHost: () => Promise.resolve(['127.0.1.1', '::1']) })), 'node-ip');
  assert.equal(loop.severity, 'error');
  assert.equal(loop.fix?.id, 'pick-node-ip');
  assert.match(loop.message, /resolves only to 127\.0\.1\.1 \(loopback\), ::1 \(loopback\), which the agent never picks/);
  assert.match(loop.message, /--node-ip \/ KRUSTLET_NODE_IP/);
  for (const [addrs, why] of [[['224.0.0.251'], 'multicast'], [['0.0.0.0'], 'unspecified'], [['2001:db8::5'], 'not IPv4 like the listen address 0.0.0.0']] as const) {
    const f = one(await runAgentChecks(resolveAgentOptions(opts(), host()), deps({ resolveHost: () => Promise.resolve([...addrs]) })), 'node-ip');
    assert.equal(f.severity, 'error', why);
    assert.ok(f.message.includes(`(${why})`), f.message);
  }
  // the first usable one is what the agent takes, loopback first or not; with --addr :: only IPv6 counts
  const mixed = one(await runAgentChecks(resolveAgentOptions(opts(), host()), deps({ resolveHost: () => Promise.resolve(['127.0.1.1', '2001:db8::5', '192.0.2.7']) })), 'node-ip');
  assert.equal(mixed.severity, 'ok');
  assert.match(mixed.message, /resolves to 192\.0\.2\.7,/);
  const v6 = one(await runAgentChecks(resolveAgentOptions(opts({ addr: '::' }), host()), deps({ resolveHost: () => Promise.resolve(['192.0.2.7', '2001:db8::5']) })), 'node-ip');
  assert.match(v6.message, /resolves to 2001:db8::5,/);
  assert.equal(unusableNodeIpReason('10.0.2.2', '0.0.0.0'), undefined);
  assert.deepEqual(nodeIpChoices([{ address: '172.17.0.1', iface: 'docker0' }]).length, 2);
});

void test('data dir missing (offer to create) or not writable (error)', async () => {
  const missing = one(await runAgentChecks(resolveAgentOptions(opts({ dataDir: join(dir, 'fresh') }), host()), deps()), 'data-dir');
  assert.equal(missing.severity, 'warning');
  assert.equal(missing.fix?.id, 'create-data-dir');
  assert.equal(missing.fix?.target, join(dir, 'fresh'));
  // One offer creates the data folder and the config/ folder the agent writes its kubeconfig and certs into.
  assert.deepEqual(missing.fix?.folders, [join(dir, 'fresh'), join(dir, 'fresh', 'config')]);
  const file = join(dir, 'afile');
  writeFileSync(file, '');
  const isFile = (await runAgentChecks(resolveAgentOptions(opts({ dataDir: file }), host()), deps())).filter((f) => f.id === 'data-dir');
  assert.ok(isFile.some((f) => f.severity === 'error'));
  const under = (await runAgentChecks(resolveAgentOptions(opts({ dataDir: join(file, 'data') }), host()), deps())).filter((f) => f.id === 'data-dir');
  assert.ok(under.some((f) => f.severity === 'error' && /a file, not a folder/.test(f.message)), formatFindings(under));
  // A folder the agent's user may not write: as root (who may write anywhere) run the check as 'nobody'.
  const ro = join(dir, 'ro');
  mkdirSync(join(ro, 'config'), { recursive: true });
  chmodSync(dir, 0o755);
  chmodSync(join(ro, 'config'), 0o555);
  chmodSync(ro, 0o555);
  const script = `
    const { runAgentChecks } = require(${JSON.stringify(require.resolve('../../src/core/agent/checks'))});
    const { resolveAgentOptions } = require(${JSON.stringify(require.resolve('../../src/core/agent/commandLine'))});
    runAgentChecks(resolveAgentOptions(${JSON.stringify(opts({ dataDir: ro }))}, ${JSON.stringify(host())}), { resolveHost: async () => ['192.0.2.10'], pathEnv: '' })
      .then((fs) => process.stdout.write(JSON.stringify(fs.filter((f) => f.id === 'data-dir'))));`;
  const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', ...(process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {}) });
  assert.equal(r.status, 0, r.stderr);
  const fs = JSON.parse(r.stdout) as AgentCheckFinding[];
  assert.ok(fs.some((f) => f.severity === 'error' && /not writable/.test(f.message) && f.fix?.id === 'choose-data-dir'), JSON.stringify(fs));
});
