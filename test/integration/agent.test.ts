/**
 * The agent against a real control plane: the stand-in krustlet-wasi (same flags, files and CSRs as
 * the real one) bootstraps with a bootstrap.conf made by the core's runBootstrap(), its client CSR is
 * approved by kube-controller-manager, we approve the serving CSR through the core, and it registers
 * its Node. Also: the pre-start checks against the same cluster, a stale serving CSR, and a port in use.
 */
import assert from 'node:assert/strict';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import * as yaml from 'js-yaml';
import { after, before, test } from 'node:test';
import { runAgentChecks, type AgentCheckFinding } from '../../src/core/agent/checks';
import { buildAgentCommandLine, type AgentHost, type AgentOptions } from '../../src/core/agent/commandLine';
import { lastErrorLines, summaryText } from '../../src/core/agent/present';
import { applyJoinEvent, deriveJoinProgress, initialJoinFacts, JoinProgressModel } from '../../src/core/agent/progress';
import { watchFiles, watchNode } from '../../src/core/agent/watch';
import { fixedAnswers, runBootstrap } from '../../src/core/bootstrap';
import { tokenFromBootstrapKubeconfig } from '../../src/core/kubeconfig';
import { connect, type Cluster } from '../../src/core/cluster';
import { createCsrInformer } from '../../src/core/cluster/informer';
import { applyBootstrapRbac } from '../../src/core/preflight';
import { main as cli } from '../../src/cli/main';
import { runAgent, standinPath } from '../fixtures/agent/process';
import { startControlPlane, type ControlPlane } from '../support/controlPlane';
import { freePort } from '../support/process';

let cp: ControlPlane;
let cluster: Cluster;
let work: string;
const HOSTNAME = 'Standin-Host'; // mixed case: the serving CSR keeps it, the node name is lowercased
const NODE = 'standin-host';
const figures: string[] = [];


function host(): AgentHost {
  return { homedir: join(work, 'home'), hostname: HOSTNAME, env: {}, cwd: work };
}

let port = 0;
function options(extra: AgentOptions = {}): AgentOptions {
  return {
    command: standinPath(),
    bootstrapFile: join(work, '.krustlet', 'bootstrap.conf'),
    dataDir: join(work, 'data'),
    hostname: HOSTNAME,
    nodeIp: '127.0.0.1',
    addr: '127.0.0.1',
    port,
    ...extra,
  };
}

function byId(findings: AgentCheckFinding[], id: string): AgentCheckFinding[] {
  return findings.filter((f) => f.id === id);
}

before(async () => {
  cp = await startControlPlane();
  cluster = await connect({ kubeconfigPath: cp.kubeconfigPath });
  await applyBootstrapRbac(cluster);
  work = mkdtempSync(join(tmpdir(), 'krustlet-agent-it-'));
  mkdirSync(join(work, 'home'), { recursive: true });
  mkdirSync(join(work, 'data', 'config'), { recursive: true });
  port = await freePort();
  await runBootstrap({ cluster }, { ttlSeconds: 3600, outputPath: join(work, '.krustlet', 'bootstrap.conf') }, fixedAnswers());
});

after(async () => {
  await cp?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
  if (figures.length) console.log(`figures: ${figures.join('; ')}`);
});

void test('pre-start checks before the first run: all clear against the real cluster', async () => {
  const cl = buildAgentCommandLine(options(), host());
  const findings = await runAgentChecks(cl.resolved, { cluster });
  const bad = findings.filter((f) => f.severity === 'error' || f.severity === 'warning');
  assert.deepEqual(bad, [], JSON.stringify(findings, null, 1));
  assert.equal(byId(findings, 'token')[0].severity, 'ok');
  assert.equal(byId(findings, 'other-cluster')[0].severity, 'ok');
  assert.equal(byId(findings, 'agent-binary')[0].severity, 'ok');
});

void test('the stand-in joins: client CSR auto-approved, kubeconfig, serving CSR pending, approve, cert+key 0600, Node Ready', async () => {
  // RUST_LOG unset (empty): like the real agent, nothing but ERROR lines on stderr — the progress needs none.
  const cl = buildAgentCommandLine(options({ env: { RUST_LOG: '' } }), host());
  const r = cl.resolved;
  // The progress model, fed only by real event sources: files (fs.watch), CSRs (informer), the Node (informer), the process.
  const model = new JoinProgressModel(r);
  const reached = (phase: string) =>
    new Promise<void>((resolve, reject) => {
      const check = () => {
        const p = model.progress;
        if (p.phase === phase) return resolve(), true;
        if (p.phase === 'failed') return reject(new Error(`progress failed: ${summaryText(p, r)}\n${p.failure?.tail?.join('\n') ?? ''}`)), true;
        return false;
      };
      if (check()) return;
      const sub = model.onChange(() => check() && sub.dispose());
    });
  const fileOf: Record<string, 'bootstrapConfig' | 'kubeconfig' | 'certFile' | 'privateKeyFile'> = {
    [r.bootstrapFile]: 'bootstrapConfig',
    [r.kubeconfig]: 'kubeconfig',
    [r.certFile]: 'certFile',
    [r.privateKeyFile]: 'privateKeyFile',
  };
  const files = watchFiles(Object.keys(fileOf), (path, exists) => model.apply({ type: 'file', file: fileOf[path], exists }));
  const csrs = createCsrInformer(cluster, {
    onEvent: (e) => model.apply({ type: 'csr', csr: e.item, deleted: e.type === 'DELETED' }),
  });
  const node = watchNode(cluster, r.nodeName, (e) => model.apply(e));
  await csrs.whenSynced();
  const t0 = Date.now();
  const agent = runAgent(cl, { onLine: (line) => model.apply({ type: 'agentOutput', line }) });
  model.apply({ type: 'agentStarted', pid: agent.child.pid, at: new Date(t0) });
  void agent.exited.then((x) => model.apply({ type: 'agentExited', exitCode: x.code ?? undefined, signal: x.signal ?? undefined }));
  try {
    assert.equal(await agent.waitForLine(/./), 'krustlet-wasi (stand-in for tests; simulated)');
    await reached('awaiting-approval');
    const tPending = Date.now();
    assert.deepEqual(model.progress.approve, { csrName: `${HOSTNAME}-tls` });
    const line = await agent.waitForLine(/^BOOTSTRAP: TLS certificate requires manual approval/);
    assert.equal(line, `BOOTSTRAP: TLS certificate requires manual approval. Run kubectl certificate approve ${HOSTNAME}-tls`);

    // The client CSR: created by the token, approved and signed by kube-controller-manager.
    const client = await cluster.getCsr(NODE);
    assert.equal(client.signerName, 'kubernetes.io/kube-apiserver-client-kubelet');
    assert.equal(client.state, 'issued');
    assert.match(client.username ?? '', /^system:bootstrap:[a-z0-9]{6}$/);
    assert.deepEqual([...client.usages].sort(), ['client auth', 'digital signature', 'key encipherment']);
    assert.equal(model.facts.clientCsr, 'issued');

    // The agent's kubeconfig: JSON, everything named krustlet, cert and key embedded, 0600.
    const kc = JSON.parse(readFileSync(r.kubeconfig, 'utf8')) as {
      'current-context': string;
      clusters: { name: string; cluster: { server: string } }[];
      users: { name: string; user: Record<string, string> }[];
    };
    assert.equal(kc['current-context'], 'krustlet');
    assert.equal(kc.clusters[0].name, 'krustlet');
    assert.equal(kc.clusters[0].cluster.server, cp.server);
    assert.ok(kc.users[0].user['client-certificate-data'] && kc.users[0].user['client-key-data']);
    const clientCert = new X509Certificate(Buffer.from(kc.users[0].user['client-certificate-data'], 'base64'));
    assert.match(clientCert.subject, new RegExp(`CN=system:node:${NODE}`));
    assert.equal(statSync(r.kubeconfig).mode & 0o777, 0o600);

    // The serving CSR: requested by the node's new identity, pending for a person.
    const serving = await cluster.getCsr(`${HOSTNAME}-tls`);
    assert.equal(serving.signerName, 'kubernetes.io/kubelet-serving');
    assert.equal(serving.state, 'pending');
    assert.equal(serving.username, `system:node:${NODE}`);
    assert.ok(serving.groups.includes('system:nodes'));

    await cluster.approveCsr(`${HOSTNAME}-tls`);
    await reached('ready');
    const tReady = Date.now();
    await agent.waitForLine(/^BOOTSTRAP: received TLS certificate approval: continuing$/);
    figures.push(`start→serving CSR pending ${tPending - t0} ms`, `approve→Ready ${tReady - tPending} ms (incl. our approve call)`, `start→Ready ${tReady - t0} ms`);
    assert.ok(model.progress.steps.every((s) => s.state === 'done'), JSON.stringify(model.progress.steps));

    for (const f of [r.certFile, r.privateKeyFile]) assert.equal(statSync(f).mode & 0o777, 0o600, f);
    const cert = new X509Certificate(readFileSync(r.certFile));
    assert.match(cert.subject, new RegExp(`CN=system:node:${HOSTNAME}`));
    assert.match(cert.subjectAltName ?? '', new RegExp(`DNS:${HOSTNAME}`));
    assert.match(cert.subjectAltName ?? '', /IP Address:127\.0\.0\.1/);
    assert.ok(cert.checkPrivateKey(createPrivateKey(readFileSync(r.privateKeyFile))));

    const nodeObj = await cluster.transport.request<{ status?: { addresses?: { type: string; address: string }[] } }>('GET', `/api/v1/nodes/${NODE}`);
    assert.equal(nodeObj.status?.addresses?.find((a) => a.type === 'InternalIP')?.address, '127.0.0.1');
  } finally {
    model.apply({ type: 'agentStopRequested' });
    // SIGINT, the signal the real agent handles once its node runs (kubelet.rs start_signal_task): exit 0.
    const exit = await agent.stop('SIGINT');
    files.dispose();
    csrs.dispose();
    node.dispose();
    assert.deepEqual(exit, { code: 0, signal: null }, agent.lines.slice(-10).join('\n'));
  }
  assert.equal(model.progress.phase, 'stopped');
  // Its whole output: the stand-in's marker and the two BOOTSTRAP prints; no log line at all (RUST_LOG unset).
  assert.deepEqual(agent.lines, [
    'krustlet-wasi (stand-in for tests; simulated)',
    `BOOTSTRAP: TLS certificate requires manual approval. Run kubectl certificate approve ${HOSTNAME}-tls`,
    'BOOTSTRAP: received TLS certificate approval: continuing',
  ]);
});

void test('signals like the real agent: SIGTERM kills it by the signal; SIGINT is handled only once the node runs (exit 0)', async () => {
  // The kubeconfig and serving cert exist from the join: it goes straight to the node. RUST_LOG=kubelet=debug
  // gives the node updater's first "Updating node" line: from then on its SIGINT handler is installed.
  const debug = buildAgentCommandLine(options({ env: { RUST_LOG: 'kubelet=debug' } }), host());
  const a = runAgent(debug);
  const updating = await a.waitForLine(/kubelet::node: Updating node/);
  // tracing-subscriber 0.2: ANSI colours even into a pipe, the span with its fields, the target.
  // eslint-disable-next-line no-control-regex
  assert.match(updating, /^\x1b\[2m\w{3} \d\d \d\d:\d\d:\d\d\.\d{3}\x1b\[0m \x1b\[34mDEBUG\x1b\[0m \x1b\[1mupdate\x1b\[0m\x1b\[1m\{\x1b\[0mnode_name="standin-host"/);
  assert.deepEqual(await a.stop('SIGTERM'), { code: null, signal: 'SIGTERM' }, a.lines.join('\n'));

  const b = runAgent(debug);
  await b.waitForLine(/kubelet::node: Updating node/);
  assert.deepEqual(await b.stop('SIGINT'), { code: 0, signal: null }, b.lines.join('\n'));
  assert.ok(b.lines.some((l) => /WARN.*kubelet::kubelet: Caught keyboard interrupt\.$/.test(l)), b.lines.join('\n'));

  // Before its node runs (here: waiting for its serving CSR), SIGINT has no handler yet: killed by the signal.
  const waiting = buildAgentCommandLine(options({ env: { RUST_LOG: '' }, certFile: join(work, 'sig', 'k.crt'), privateKeyFile: join(work, 'sig', 'k.key'), hostname: 'Sig-Host' }), host());
  const c = runAgent(waiting);
  await c.waitForLine(/^BOOTSTRAP: TLS certificate requires manual approval/);
  assert.deepEqual(await c.stop('SIGINT'), { code: null, signal: 'SIGINT' }, c.lines.join('\n'));
  await cluster.deleteCsr('Sig-Host-tls');
});

void test('checks after the run: kubeconfig exists (bootstrap skipped), stale serving CSR when the cert is gone', async () => {
  const withCert = await runAgentChecks(buildAgentCommandLine(options(), host()).resolved, { cluster });
  assert.equal(byId(withCert, 'kubeconfig-exists')[0].severity, 'warning');
  assert.equal(byId(withCert, 'kubeconfig-exists')[0].fix?.id, 'move-kubeconfig-aside');
  assert.equal(byId(withCert, 'stale-serving-csr')[0].severity, 'ok');
  const noCert = await runAgentChecks(buildAgentCommandLine(options({ certFile: join(work, 'other', 'k.crt') }), host()).resolved, { cluster });
  const stale = byId(noCert, 'stale-serving-csr')[0];
  assert.equal(stale.severity, 'error');
  assert.deepEqual(stale.fix && { id: stale.fix.id, target: stale.fix.target }, { id: 'delete-csr', target: `${HOSTNAME}-tls` });
});

void test('a stale serving CSR makes the agent fail like the real one (no 409 handling)', async () => {
  const cl = buildAgentCommandLine(options({ certFile: join(work, 'other', 'k.crt'), privateKeyFile: join(work, 'other', 'k.key') }), host());
  const agent = runAgent(cl);
  const exit = await agent.exited;
  // bootstrap_tls: `csrs.create(..).await?` — the kube::Error returned from main: `Error: …`, exit 1.
  assert.deepEqual(exit, { code: 1, signal: null });
  assert.match(agent.lines.join('\n'), new RegExp(`^Error: ApiError: certificatesigningrequests\\.certificates\\.k8s\\.io "${HOSTNAME}-tls" already exists: AlreadyExists \\(ErrorResponse \\{`, 'm'));
  let facts = initialJoinFacts(cl.resolved);
  facts = applyJoinEvent(facts, { type: 'agentStarted' });
  for (const line of agent.lines) facts = applyJoinEvent(facts, { type: 'agentOutput', line });
  facts = applyJoinEvent(facts, { type: 'file', file: 'kubeconfig', exists: true });
  facts = applyJoinEvent(facts, { type: 'agentExited', exitCode: exit.code ?? undefined });
  const p = deriveJoinProgress(facts);
  assert.equal(p.phase, 'failed');
  assert.match(p.failure?.reason ?? '', /already existed/);
});

void test('port in use: the agent exits non-zero with a clear message, and progress shows it', async () => {
  const blocker: Server = createServer();
  await new Promise<void>((resolve) => blocker.listen(port, '127.0.0.1', resolve));
  try {
    const cl = buildAgentCommandLine(options(), host());
    const agent = runAgent(cl);
    const exit = await agent.exited;
    // warp panics when it cannot bind (webserver/mod.rs start → warp::serve(..).run): Rust's exit code 101.
    assert.deepEqual(exit, { code: 101, signal: null });
    const text = agent.lines.join('\n');
    assert.match(text, new RegExp(`^thread 'main' panicked at \\S+/warp-0\\.3\\.2/src/server\\.rs:107:13:\nerror binding to 127\\.0\\.0\\.1:${port}: error creating server listener: Address already in use \\(os error 98\\)$`, 'm'));
    let facts = initialJoinFacts(cl.resolved);
    facts = applyJoinEvent(facts, { type: 'agentStarted' });
    for (const line of agent.lines) facts = applyJoinEvent(facts, { type: 'agentOutput', line });
    for (const file of ['kubeconfig', 'certFile', 'privateKeyFile'] as const) facts = applyJoinEvent(facts, { type: 'file', file, exists: true });
    facts = applyJoinEvent(facts, { type: 'agentExited', exitCode: exit.code ?? undefined });
    const p = deriveJoinProgress(facts);
    assert.equal(p.phase, 'failed');
    assert.match(p.failure?.reason ?? '', /^The agent panicked \(exit code 101\): The port is in use\./);
    assert.ok(p.failure?.tail?.some((l) => l.includes('error binding to')));
    assert.deepEqual(lastErrorLines(p.failure?.tail ?? []), [`panicked: error binding to 127.0.0.1:${port}: error creating server listener: Address already in use (os error 98)`]);
  } finally {
    await new Promise<void>((resolve) => blocker.close(() => resolve()));
  }
});

void test('default node IP like the real agent: a hostname with only loopback addresses, or none, panics (exit 101) before any CSR; the pre-start check said so', async () => {
  for (const [hostname, said] of [
    ['localhost', 'unable to find default IP address for node. Please specify a node IP manually'],
    ['nowhere-at-all.invalid', 'failed to lookup address information: Name or service not known'],
  ] as const) {
    const cl = buildAgentCommandLine(options({ hostname, nodeIp: undefined, env: { RUST_LOG: '' } }), host());
    const findings = await runAgentChecks(cl.resolved, { cluster });
    const check = byId(findings, 'node-ip')[0];
    assert.equal(check.severity, 'error', `${hostname}: ${check.message}`);
    assert.equal(check.fix?.id, 'pick-node-ip');
    assert.match(check.message, /--node-ip/);
    const agent = runAgent(cl);
    const exit = await agent.exited;
    assert.deepEqual(exit, { code: 101, signal: null }, agent.lines.join('\n'));
    assert.deepEqual(agent.lines.slice(1, 3), ["thread 'main' panicked at crates/kubelet/src/config.rs:188:55:", `unable to get default node IP: ${said}`]);
    // nothing was asked of the cluster
    await assert.rejects(cluster.getCsr(hostname.toLowerCase()), /does not exist/);
    let facts = applyJoinEvent(initialJoinFacts(cl.resolved), { type: 'agentStarted' });
    for (const line of agent.lines) facts = applyJoinEvent(facts, { type: 'agentOutput', line });
    const p = deriveJoinProgress(applyJoinEvent(facts, { type: 'agentExited', exitCode: exit.code ?? undefined }));
    assert.equal(p.failure?.reason, 'The agent panicked (exit code 101): The agent found no node IP.');
    assert.match(p.failure?.hint ?? '', /--node-ip/);
  }
});

void test('a bootstrap config without a CA (an insecure-skip-tls-verify context): Bootstrap warns that the agent will fail, the check is an error, the agent stops before any CSR', async () => {
  const doc = yaml.load(readFileSync(cp.kubeconfigPath, 'utf8')) as { clusters: { cluster: Record<string, unknown> }[] };
  delete doc.clusters[0].cluster['certificate-authority'];
  delete doc.clusters[0].cluster['certificate-authority-data'];
  doc.clusters[0].cluster['insecure-skip-tls-verify'] = true;
  const insecureKc = join(work, 'insecure.kubeconfig');
  writeFileSync(insecureKc, yaml.dump(doc));
  const insecure = await connect({ kubeconfigPath: insecureKc });
  const bootPath = join(work, 'noca', 'bootstrap.conf');
  const r = await runBootstrap({ cluster: insecure }, { ttlSeconds: 600, outputPath: bootPath }, fixedAnswers());
  assert.ok(
    r.warnings.some((w) => /names no CA.*krustlet-wasi will fail at once \("Unable to find certificate authority information in bootstrap config"\)/.test(w.message)),
    JSON.stringify(r.warnings),
  );
  const cl = buildAgentCommandLine(options({ bootstrapFile: bootPath, hostname: 'NoCa-Host', dataDir: join(work, 'data-noca'), env: { RUST_LOG: '' } }), host());
  mkdirSync(join(work, 'data-noca', 'config'), { recursive: true });
  const check = byId(await runAgentChecks(cl.resolved, { cluster }), 'bootstrap-config')[0];
  assert.equal(check.severity, 'error');
  assert.match(check.message, /has no CA in its first cluster \(insecure-skip-tls-verify does not help\)/);
  const agent = runAgent(cl);
  assert.deepEqual(await agent.exited, { code: 1, signal: null });
  assert.deepEqual(agent.lines.slice(1), ['Error: Unable to find certificate authority information in bootstrap config']);
  await assert.rejects(cluster.getCsr('noca-host'), /does not exist/);
});

void test('the agent takes the CA file over the CA data, and the FIRST cluster of the bootstrap config for its kubeconfig; the check warns about a second cluster', async () => {
  // first cluster: the real CA as a file, garbage as data; a second, unused cluster listed after it
  const token = tokenFromBootstrapKubeconfig(readFileSync(join(work, '.krustlet', 'bootstrap.conf'), 'utf8'));
  const bootPath = join(work, 'cafile', 'bootstrap.conf');
  mkdirSync(dirname(bootPath), { recursive: true });
  const twoClusters = (firstServer: string) =>
    yaml.dump({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [
        { name: 'first', cluster: { server: firstServer, 'certificate-authority': cp.caPath, 'certificate-authority-data': Buffer.from('not a CA').toString('base64') } },
        { name: 'second', cluster: { server: cp.server, 'certificate-authority': cp.caPath } },
      ],
      users: [{ name: 'tls-bootstrap-token-user', user: { token } }],
      contexts: [{ name: 'tls-bootstrap-token-user@kubernetes', context: { cluster: 'second', user: 'tls-bootstrap-token-user', namespace: 'kube-system' } }],
      'current-context': 'tls-bootstrap-token-user@kubernetes',
    });
  writeFileSync(bootPath, twoClusters(cp.server.replace('127.0.0.1', 'localhost')));
  const dataDir = join(work, 'data-cafile');
  mkdirSync(join(dataDir, 'config'), { recursive: true });
  const cl = buildAgentCommandLine(options({ bootstrapFile: bootPath, hostname: 'CaFile-Host', dataDir, env: { RUST_LOG: '' } }), host());
  const check = byId(await runAgentChecks(cl.resolved, { cluster }), 'bootstrap-config')[0];
  assert.equal(check.severity, 'warning', check.message);
  assert.match(check.message, /writes its kubeconfig for the first cluster, https:\/\/localhost:/);
  const agent = runAgent(cl);
  try {
    // the client certificate is issued and the kubeconfig written before the serving CSR's BOOTSTRAP line
    await agent.waitForLine(/^BOOTSTRAP: TLS certificate requires manual approval/);
    const kc = JSON.parse(readFileSync(cl.resolved.kubeconfig, 'utf8')) as { clusters: { cluster: Record<string, string> }[] };
    assert.equal(kc.clusters[0].cluster.server, cp.server.replace('127.0.0.1', 'localhost'));
    assert.equal(kc.clusters[0].cluster['certificate-authority-data'], readFileSync(cp.caPath).toString('base64'));
  } finally {
    await agent.stop('SIGINT');
    await cluster.deleteCsr('CaFile-Host-tls').catch(() => undefined);
  }
});

async function runCli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await cli(args, { stdout: (t) => void (out += t), stderr: (t) => void (err += t), env: { ...process.env, HOME: join(work, 'home'), KUBECONFIG: '' } });
  return { code, out, err };
}

void test('CLI: agent command prints the shared command line; agent check finds the stale CSR and exits 1', async () => {
  const agentArgs = ['--agent-path', standinPath(), '--bootstrap-file', join(work, '.krustlet', 'bootstrap.conf'), '--data-dir', join(work, 'data'), '--hostname', HOSTNAME, '--node-ip', '127.0.0.1'];
  const cmd = await runCli(['agent', 'command', ...agentArgs, '--json']);
  assert.equal(cmd.code, 0, cmd.err);
  const printed = JSON.parse(cmd.out) as { command: string; args: string[]; env: Record<string, string> };
  const expected = buildAgentCommandLine(
    { command: standinPath(), bootstrapFile: join(work, '.krustlet', 'bootstrap.conf'), dataDir: join(work, 'data'), hostname: HOSTNAME, nodeIp: '127.0.0.1' },
    host(),
  );
  assert.deepEqual({ command: printed.command, args: printed.args, env: printed.env }, { command: expected.command, args: expected.args, env: expected.env });
  const line = await runCli(['agent', 'command', ...agentArgs]);
  assert.match(line.out, new RegExp(`^KUBECONFIG=${join(work, 'data', 'config', 'kubeconfig').replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} `));

  // the kubeconfig and cert exist from the join: with a new cert path the stale <hostname>-tls CSR is an error
  const check = await runCli(['agent', 'check', ...agentArgs, '--cert-file', join(work, 'other2', 'k.crt'), '--kubeconfig', cp.kubeconfigPath, '--json']);
  assert.equal(check.code, 1, check.out + check.err);
  const report = JSON.parse(check.out) as { ok: boolean; findings: AgentCheckFinding[] };
  assert.equal(report.ok, false);
  assert.equal(byId(report.findings, 'stale-serving-csr')[0].severity, 'error');
  assert.equal(byId(report.findings, 'kubeconfig-exists')[0].severity, 'warning');
  const text = await runCli(['agent', 'check', ...agentArgs, '--kubeconfig', cp.kubeconfigPath]);
  assert.equal(text.code, 0, text.out + text.err);
  assert.match(text.out, /warn {2}kubeconfig-exists: /);
  assert.ok(!/[a-z0-9]{6}\.[a-z0-9]{16}/.test(text.out + text.err), 'no bootstrap token in the output');
});
