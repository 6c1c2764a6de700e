import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  AgentHost,
  buildAgentCommandLine,
  expandPath,
  formatCommandLine,
  parseNodeLabels,
  resolveAgentOptions,
} from '../../src/core/agent/commandLine';
import { isKrustletError } from '../../src/core/errors';

const host: AgentHost = { homedir: '/home/ada', hostname: 'Build-Box', env: {}, cwd: '/work/proj' };

void test('defaults are krustlet-wasi defaults; KUBECONFIG and --bootstrap-file are always explicit', () => {
  const cl = buildAgentCommandLine({}, host);
  assert.equal(cl.command, 'krustlet-wasi');
  assert.deepEqual(cl.args, ['--bootstrap-file', '/etc/kubernetes/bootstrap-kubelet.conf']);
  assert.deepEqual(cl.env, { KUBECONFIG: '/home/ada/.krustlet/config/kubeconfig' });
  const r = cl.resolved;
  assert.equal(r.port, 3000);
  assert.equal(r.addr, '0.0.0.0');
  assert.equal(r.hostname, 'Build-Box');
  assert.equal(r.nodeName, 'build-box', 'node name is the lowercased hostname');
  assert.equal(r.nodeIp, undefined);
  assert.equal(r.dataDir, '/home/ada/.krustlet');
  assert.equal(r.certFile, '/home/ada/.krustlet/config/krustlet.crt');
  assert.equal(r.privateKeyFile, '/home/ada/.krustlet/config/krustlet.key');
  assert.equal(r.maxPods, 110);
  assert.equal(r.clientCsrName, 'build-box');
  assert.equal(r.servingCsrName, 'Build-Box-tls', 'the serving CSR uses the raw hostname');
});

void test('every option maps onto its flag; paths resolve against cwd and ~', () => {
  const cl = buildAgentCommandLine(
    {
      command: '~/src/krustlet/target/debug/krustlet-wasi',
      port: 3001,
      addr: '127.0.0.1',
      hostname: 'krustlet',
      nodeName: 'krustlet-1',
      nodeIp: '172.17.0.1',
      bootstrapFile: '.krustlet/bootstrap.conf',
      kubeconfig: '~/.krustlet/config/kubeconfig-1',
      certFile: '/tmp/k.crt',
      privateKeyFile: '/tmp/k.key',
      dataDir: '${workspaceFolder}/.krustlet/data',
      nodeLabels: { team: 'wasm', 'example.com/tier': 'edge' },
      maxPods: 20,
      insecureRegistries: ['localhost:5000'],
      allowLocalModules: true,
      logLevel: 'kubelet=debug',
      extraArgs: ['--foo'],
      env: { EXTRA: '1' },
    },
    host,
  );
  assert.equal(cl.command, '/home/ada/src/krustlet/target/debug/krustlet-wasi', 'a path-like command is expanded');
  assert.equal(buildAgentCommandLine({ command: 'krustlet-wasi' }, host).command, 'krustlet-wasi', 'a bare name stays a PATH lookup');
  assert.equal(buildAgentCommandLine({ command: './target/debug/krustlet-wasi' }, host).command, '/work/proj/target/debug/krustlet-wasi');
  assert.deepEqual(cl.args, [
    '--port', '3001',
    '--addr', '127.0.0.1',
    '--hostname', 'krustlet',
    '--node-name', 'krustlet-1',
    '--node-ip', '172.17.0.1',
    '--data-dir', '/work/proj/.krustlet/data',
    '--bootstrap-file', '/work/proj/.krustlet/bootstrap.conf',
    '--cert-file', '/tmp/k.crt',
    '--private-key-file', '/tmp/k.key',
    '--node-labels', 'team=wasm,example.com/tier=edge',
    '--max-pods', '20',
    '--insecure-registries', 'localhost:5000',
    '--x-allow-local-modules', 'true',
    '--foo',
  ]);
  assert.deepEqual(cl.env, { EXTRA: '1', KUBECONFIG: '/home/ada/.krustlet/config/kubeconfig-1', RUST_LOG: 'kubelet=debug' });
  assert.equal(cl.resolved.servingCsrName, 'krustlet-tls');
  assert.equal(cl.resolved.clientCsrName, 'krustlet-1');
});

void test('an inherited KUBECONFIG never reaches the agent, inherited KRUSTLET_* variables do count', () => {
  const h: AgentHost = {
    ...host,
    env: { KUBECONFIG: '/home/ada/.kube/config', KRUSTLET_NODE_IP: '10.0.2.2', KRUSTLET_DATA_DIR: '/var/lib/krustlet', KRUSTLET_PORT: '4000' },
  };
  const cl = buildAgentCommandLine({}, h);
  assert.equal(cl.env.KUBECONFIG, '/var/lib/krustlet/config/kubeconfig');
  assert.equal(cl.resolved.nodeIp, '10.0.2.2');
  assert.equal(cl.resolved.sources.nodeIp, 'env');
  assert.equal(cl.resolved.port, 4000);
  assert.equal(cl.resolved.certFile, '/var/lib/krustlet/config/krustlet.crt');
  // an option wins over the environment
  const cl2 = buildAgentCommandLine({ port: 5000, nodeIp: '192.0.2.7' }, h);
  assert.equal(cl2.resolved.port, 5000);
  assert.equal(cl2.resolved.sources.port, 'option');
  assert.equal(cl2.resolved.nodeIp, '192.0.2.7');
});

void test('env given with the options is seen by the agent too', () => {
  const r = resolveAgentOptions({ env: { KRUSTLET_HOSTNAME: 'Edge' } }, host);
  assert.equal(r.hostname, 'Edge');
  assert.equal(r.nodeName, 'edge');
  assert.equal(r.servingCsrName, 'Edge-tls');
});

void test('node labels from NODE_LABELS; parse and reject malformed', () => {
  assert.deepEqual(resolveAgentOptions({}, { ...host, env: { NODE_LABELS: 'a=1,b=2' } }).nodeLabels, { a: '1', b: '2' });
  assert.deepEqual(parseNodeLabels(' a=1 , b= '), { a: '1', b: '' });
  assert.throws(() => parseNodeLabels('nolabel'), (e) => isKrustletError(e, 'invalid-argument'));
  assert.throws(() => resolveAgentOptions({ nodeLabels: { 'bad key!': 'x' } }, host), (e) => isKrustletError(e, 'invalid-argument'));
});

void test('bad input is a KrustletError with a hint', () => {
  const bad: [string, object][] = [
    ['port 0', { port: 0 }],
    ['port 70000', { port: 70000 }],
    ['port 3.5', { port: 3.5 }],
    ['addr', { addr: 'localhost' }],
    ['node IP', { nodeIp: '300.1.1.1' }],
    ['node name', { nodeName: 'Upper_Case' }],
    ['max pods', { maxPods: 0 }],
  ];
  for (const [what, opts] of bad) {
    assert.throws(
      () => resolveAgentOptions(opts, host),
      (e) => isKrustletError(e, 'invalid-argument') && !!e.hint,
      what,
    );
  }
  assert.throws(() => resolveAgentOptions({}, { ...host, env: { KRUSTLET_PORT: 'abc' } }), (e) => isKrustletError(e, 'invalid-argument'));
});

void test('expandPath and formatCommandLine', () => {
  assert.equal(expandPath('~', host), '/home/ada');
  assert.equal(expandPath('${userHome}/x', host), '/home/ada/x');
  assert.equal(expandPath('a/../b', host), '/work/proj/b');
  assert.equal(
    formatCommandLine({ command: 'krustlet-wasi', args: ['--node-labels', 'a=1', '--hostname', "it's"], env: { KUBECONFIG: '/a b/k' } }),
    `KUBECONFIG='/a b/k' krustlet-wasi --node-labels a=1 --hostname 'it'\\''s'`,
  );
});
