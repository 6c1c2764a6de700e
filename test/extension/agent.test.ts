// The agent feature in a real VS Code against the real control plane (KRUSTLET_TEST_KUBECONFIG), with
// the stand-in krustlet-wasi (test/fixtures/agent) as `krustlet.agentPath`: the task provider, debug
// resolution in both debugger shapes and without a debugger, each pre-start check through Start Agent,
// and Start Agent joining a node — serving CSR pending in the status bar, approved through the tree's
// command, progress Ready — plus a port in use failing visibly. Waits are on events (or polls bounded
// by mocha's timeout); nothing asserts on elapsed time.
import * as assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import * as vscode from 'vscode';
import { buildAgentCommandLine } from '../../src/core/agent/commandLine';
import { summaryText } from '../../src/core/agent/present';
import type { JoinProgress } from '../../src/core/agent/progress';
import { connect, type Cluster } from '../../src/core/cluster';
import type { KrustletTestApi } from '../../src/extension';
import { EXTENSION_ID } from '../../src/vscode/constants';
import { KrustletDebugConfigurationProvider, type DebugProviderDeps } from '../../src/vscode/agent/debug';
import type { BootstrapCommandResult, BootstrapOptions } from '../../src/vscode/commands/bootstrap';
import { agentHost, agentOptionsFor } from '../../src/vscode/agent/definition';
import type { StartAgentOptions, StartAgentResult } from '../../src/vscode/agent/start';
import { KrustletTaskProvider } from '../../src/vscode/agent/tasks';
import type { ExtensionLog } from '../../src/vscode/log';
import { krustletServingSpec, makeCsr, SERVING_USAGES } from '../support/csrFactory';
import { freePort } from '../support/process';
import { activateForTests } from '../support/extension';
import { testEnded, until } from '../support/poll';
import { FakePrompter } from '../support/prompter';

const kubeconfig = process.env.KRUSTLET_TEST_KUBECONFIG ?? '';


const labelOf = (item: vscode.TreeItem): string => (typeof item.label === 'string' ? item.label : (item.label?.label ?? ''));

/** The presenter's one line, for assertion messages. */
const said = (p: JoinProgress): string => summaryText(p, { nodeName: 'the node' });

/** The debug configuration provider with a fake UI; Bootstrap (for preLaunchBootstrap) answers nothing unless given. */
const debugProvider = (deps: Partial<DebugProviderDeps>) =>
  new KrustletDebugConfigurationProvider({ prompter: new FakePrompter(), bootstrap: () => Promise.resolve(undefined), ...deps });

const silentLog = { debug() {}, info() {}, warn() {}, error() {}, channel: undefined, recentLines: () => [], show() {}, dispose() {} } as unknown as ExtensionLog;


suite('Krustlet agent: task, debug, pre-start checks and join progress (stand-in agent, real control plane)', function () {
  this.timeout(90_000);
  let api: KrustletTestApi;
  let admin: Cluster;
  let folder: vscode.WorkspaceFolder;
  let standin: string;
  let work: string;
  let port: number;
  const run = randomBytes(3).toString('hex');
  const HOST = `Ag-${run}`; // mixed case on purpose: CSR <hostname>-tls keeps it, the node name is lowercased
  const NODE = HOST.toLowerCase();
  const BOOT_REL = `.krustlet-agent-${run}/bootstrap.conf`;
  let bootPath: string;
  const figures: string[] = [];

  const startAgent = (o: StartAgentOptions) => vscode.commands.executeCommand<StartAgentResult>('krustlet.startAgent', o);
  const base = (): StartAgentOptions => ({ folder: folder.name, hostname: HOST, nodeIp: '127.0.0.1', addr: '127.0.0.1', port, dataDir: join(work, 'data') });

  suiteSetup(async () => {
    assert.ok(kubeconfig && existsSync(kubeconfig), "KRUSTLET_TEST_KUBECONFIG must name the control plane's admin kubeconfig");
    api = await activateForTests();
    admin = await connect({ kubeconfigPath: kubeconfig });
    const f = vscode.workspace.workspaceFolders?.[0];
    assert.ok(f, 'the test run opens a workspace folder');
    folder = f;
    standin = join(vscode.extensions.getExtension(EXTENSION_ID)?.extensionPath ?? '', 'test', 'fixtures', 'agent', 'krustlet-wasi');
    assert.ok(existsSync(standin), `the stand-in agent ${standin} exists`);
    work = mkdtempSync(join(tmpdir(), 'krustlet-agent-ext-'));
    mkdirSync(join(work, 'data', 'config'), { recursive: true });
    port = await freePort();
    const cfg = vscode.workspace.getConfiguration('krustlet');
    await cfg.update('kubeconfig', kubeconfig, vscode.ConfigurationTarget.Global);
    await cfg.update('context', undefined, vscode.ConfigurationTarget.Global);
    await cfg.update('agentPath', standin, vscode.ConfigurationTarget.Global);
    await vscode.workspace.getConfiguration('krustlet', folder.uri).update('bootstrapConfigPath', BOOT_REL, vscode.ConfigurationTarget.WorkspaceFolder);
    bootPath = join(folder.uri.fsPath, BOOT_REL);
    await until('connected with both watches live', () =>
      api.service.state.kind === 'connected' && api.service.csrs.status.state === 'live' && api.service.tokens.status.state === 'live' && api.service.cluster?.server === admin.server,
    );
  });

  suiteTeardown(async () => {
    api?.setPrompter(undefined);
    await vscode.commands.executeCommand('krustlet.stopAgent').then(undefined, () => undefined);
    // The window's last run leaves its "Agent <hostname>" node: the suites after this one expect a tree without one.
    api?.tree.followAgent(undefined);
    await vscode.workspace.getConfiguration('krustlet', folder.uri).update('bootstrapConfigPath', undefined, vscode.ConfigurationTarget.WorkspaceFolder);
    await vscode.workspace.getConfiguration('krustlet').update('agentPath', undefined, vscode.ConfigurationTarget.Global);
    rmSync(dirname(bootPath), { recursive: true, force: true });
    if (work) rmSync(work, { recursive: true, force: true });
    if (figures.length) console.log(`    figures: ${figures.join('; ')}`);
  });

  teardown(function () {
    const waitingFor = testEnded();
    if (this.currentTest?.state === 'failed') console.log(`    (was waiting for: ${waitingFor})\n    last log lines:\n${api?.logLines().slice(-25).map((l) => `      ${l}`).join('\n')}`);
    api?.setPrompter(undefined);
  });

  test('no bootstrap config yet: the provider offers no krustlet task for the folder', async () => {
    const tasks = await vscode.tasks.fetchTasks({ type: 'krustlet' });
    assert.equal(tasks.filter((t) => t.source === 'krustlet' && typeof t.scope === 'object' && t.scope.name === folder.name).length, 0);
  });

  test('after Bootstrap the provider offers "run krustlet-wasi" as a ProcessExecution of the agent with the shared command line', async () => {
    const r = await vscode.commands.executeCommand<{ path: string } | undefined>('krustlet.bootstrap', {
      context: admin.context.name, ttl: '1h', folder: folder.name, overwrite: true, revokeReplaced: true, applyRbac: true, proceed: true, gitignore: false, notify: false,
    });
    assert.ok(r, `Bootstrap returned nothing:\n${api.logLines().slice(-15).join('\n')}`);
    assert.equal(r.path, bootPath);
    const tasks = await vscode.tasks.fetchTasks({ type: 'krustlet' });
    const task = tasks.find((t) => t.source === 'krustlet' && typeof t.scope === 'object' && t.scope.name === folder.name);
    assert.ok(task, `tasks: ${tasks.map((t) => `${t.source}/${t.name}`).join(', ')}`);
    assert.equal(task.name, 'run krustlet-wasi');
    assert.deepEqual(task.definition, { type: 'krustlet', bootstrapFile: BOOT_REL });
    const exec = task.execution;
    assert.ok(exec instanceof vscode.ProcessExecution, 'a ProcessExecution (no shell quoting)');
    assert.equal(exec.process, standin);
    const expected = buildAgentCommandLine(agentOptionsFor(folder, { bootstrapFile: BOOT_REL }), agentHost(folder));
    assert.deepEqual(exec.args, expected.args);
    assert.deepEqual(exec.args.slice(-2), ['--bootstrap-file', bootPath]);
    assert.equal(exec.options?.env?.KUBECONFIG, expected.env.KUBECONFIG);
  });

  test('resolveTask keeps the tasks.json definition object and maps its properties onto flags', () => {
    const provider = new KrustletTaskProvider({ log: silentLog, prompter: new FakePrompter(), findExecutable: () => Promise.resolve(standin) });
    const def = { type: 'krustlet', port: 3100, nodeIp: '10.0.2.2', hostname: 'Edge', nodeLabels: { team: 'wasm' }, kubeconfig: 'agent/kubeconfig', env: { RUST_LOG: 'info' } };
    const resolved = provider.resolveTask(new vscode.Task(def, folder, 'my agent', 'Workspace'));
    assert.ok(resolved);
    assert.equal(resolved.definition, def, 'the same definition object');
    assert.equal(resolved.name, 'my agent');
    const exec = resolved.execution as vscode.ProcessExecution;
    assert.deepEqual(exec.args, ['--port', '3100', '--hostname', 'Edge', '--node-ip', '10.0.2.2', '--bootstrap-file', bootPath, '--node-labels', 'team=wasm']);
    assert.equal(exec.options?.env?.KUBECONFIG, join(folder.uri.fsPath, 'agent', 'kubeconfig'));
    assert.equal(exec.options?.env?.RUST_LOG, 'info');
    assert.equal(provider.resolveTask(new vscode.Task({ type: 'shell' }, folder, 'x', 'Workspace')), undefined);
  });

  test('agent binary not found: a clear message with a button to the krustlet.agentPath setting', async () => {
    const p = new FakePrompter();
    const provider = new KrustletTaskProvider({ log: silentLog, prompter: p, findExecutable: () => Promise.resolve(undefined) });
    assert.equal(await provider.warnIfMissing('krustlet-wasi'), true);
    assert.equal(p.asked.length, 1);
    assert.match(p.asked[0].message, /'krustlet-wasi' was not found on PATH/);
    assert.deepEqual(p.asked[0].items, ['Open Setting']);
    // and through Start Agent, with the setting pointing nowhere
    const rec = new FakePrompter();
    api.setPrompter(rec);
    await vscode.workspace.getConfiguration('krustlet').update('agentPath', join(work, 'no-such-agent'), vscode.ConfigurationTarget.Global);
    try {
      const r = await startAgent({ ...base(), checksOnly: true, fixes: {}, proceed: false });
      assert.equal(r.started, false);
      assert.match(r.reason ?? '', /agent binary was not found/);
      await until('the not-found message', () => rec.asked.find((a) => a.kind === 'error' && a.items.includes('Open Setting')));
    } finally {
      await vscode.workspace.getConfiguration('krustlet').update('agentPath', standin, vscode.ConfigurationTarget.Global);
    }
  });

  test('debug: resolves into CodeLLDB (lldb) when installed, with the same args and env as the task', async () => {
    const provider = debugProvider({ getExtension: (id) => (id === 'vadimcn.vscode-lldb' ? {} : undefined) });
    const c = await provider.resolveDebugConfiguration(folder, { type: 'krustlet', request: 'launch', name: 'agent', program: standin, port: 3200, nodeIp: '127.0.0.1' });
    assert.ok(c);
    const cl = buildAgentCommandLine(agentOptionsFor(folder, { port: 3200, nodeIp: '127.0.0.1' }, standin), agentHost(folder));
    assert.equal(c.type, 'lldb');
    assert.equal(c.request, 'launch');
    assert.equal(c.program, standin);
    assert.deepEqual(c.args, cl.args);
    assert.deepEqual(c.env, cl.env);
    assert.deepEqual(c.sourceLanguages, ['rust']);
    assert.equal(c.cwd, folder.uri.fsPath);
  });

  test('debug: resolves into cppdbg when only C/C++ is installed (environment as a list)', async () => {
    const provider = debugProvider({ getExtension: (id) => (id === 'ms-vscode.cpptools' ? {} : undefined) });
    const c = await provider.resolveDebugConfiguration(folder, { type: 'krustlet', request: 'launch', name: 'agent', program: standin, env: { RUST_LOG: 'debug' } });
    assert.ok(c);
    const cl = buildAgentCommandLine(agentOptionsFor(folder, { env: { RUST_LOG: 'debug' } }, standin), agentHost(folder));
    assert.equal(c.type, 'cppdbg');
    assert.deepEqual(c.args, cl.args);
    assert.deepEqual(c.environment, Object.entries(cl.env).map(([name, value]) => ({ name, value })));
    assert.equal(c.MIMode, 'gdb');
    assert.equal(c.externalConsole, false);
  });

  test('debug: preLaunchBootstrap runs Bootstrap for the bootstrap file first; a cancelled Bootstrap aborts the launch', async () => {
    const calls: (BootstrapOptions | undefined)[] = [];
    const answer: { value: BootstrapCommandResult | undefined } = { value: undefined };
    const provider = debugProvider({
      getExtension: (id) => (id === 'vadimcn.vscode-lldb' ? {} : undefined),
      bootstrap: (o) => {
        calls.push(o);
        return Promise.resolve(answer.value);
      },
    });
    const config = { type: 'krustlet', request: 'launch', name: 'agent', program: standin, bootstrapFile: BOOT_REL, preLaunchBootstrap: true };
    assert.equal(await provider.resolveDebugConfiguration(folder, { ...config }), undefined, 'Bootstrap cancelled → no launch');
    assert.deepEqual(calls[0], { outputPath: bootPath, notify: false });
    answer.value = { path: bootPath, tokenId: 'abcdef', secretName: 'bootstrap-token-abcdef', context: 'test', server: 'https://127.0.0.1:1' };
    const c = await provider.resolveDebugConfiguration(folder, { ...config });
    assert.equal(c?.type, 'lldb');
    assert.equal(calls.length, 2);
  });

  test('debug: neither debugger installed → a message naming both, and the launch is aborted', async () => {
    const p = new FakePrompter();
    const provider = debugProvider({ prompter: p, getExtension: () => undefined });
    const c = await provider.resolveDebugConfiguration(folder, { type: 'krustlet', request: 'launch', name: 'agent', program: standin });
    assert.equal(c, undefined);
    assert.match(p.asked[0].message, /CodeLLDB \(vadimcn\.vscode-lldb\).*C\/C\+\+ \(ms-vscode\.cpptools\)/);
    // F5 without launch.json takes the initial configuration (program ${workspaceFolder}/target/debug/krustlet-wasi)
    const p2 = new FakePrompter();
    const withLldb = debugProvider({ prompter: p2, getExtension: () => ({}) });
    assert.equal(await withLldb.resolveDebugConfiguration(folder, { type: '', request: '', name: '' }), undefined);
    await until('the not-found message for the initial configuration', () => p2.asked.length > 0);
    assert.ok(p2.asked[0].message.includes(join(folder.uri.fsPath, 'target', 'debug', 'krustlet-wasi')), p2.asked[0].message);
    // the registered provider (activated on onDebugResolve:krustlet) says the same in this VS Code, which has neither
    const rec = new FakePrompter();
    api.setPrompter(rec);
    const started = await vscode.debug.startDebugging(folder, { type: 'krustlet', request: 'launch', name: 'agent', program: standin });
    assert.equal(started, false);
    assert.ok(rec.asked.some((a) => /vadimcn\.vscode-lldb/.test(a.message) && /ms-vscode\.cpptools/.test(a.message)), JSON.stringify(rec.asked));
  });

  test('pre-start checks: bootstrap config missing → offer a new Bootstrap', async () => {
    const r = await startAgent({ ...base(), bootstrapFile: join(work, 'missing.conf'), checksOnly: true, fixes: {}, proceed: false });
    const f = r.findings.find((x) => x.id === 'bootstrap-config');
    assert.equal(f?.severity, 'error');
    assert.equal(f?.fix?.id, 'new-bootstrap');
    assert.match(r.reason ?? '', /not started/);
  });

  test('pre-start checks: token gone from the cluster (expired tokens are deleted) → error with new Bootstrap', async () => {
    const other = join(work, 'revoked', 'bootstrap.conf');
    const b = await vscode.commands.executeCommand<{ tokenId: string } | undefined>('krustlet.bootstrap', {
      context: admin.context.name, ttl: '1h', outputPath: other, overwrite: true, revokeReplaced: true, applyRbac: false, proceed: true, gitignore: false, notify: false,
    });
    assert.ok(b);
    await admin.deleteToken(b.tokenId);
    const r = await startAgent({ ...base(), bootstrapFile: other, checksOnly: true, fixes: {}, proceed: true });
    const f = r.findings.find((x) => x.id === 'token');
    assert.equal(f?.severity, 'error', JSON.stringify(r.findings));
    assert.match(f?.message ?? '', /does not exist in the cluster/);
    assert.equal(f?.fix?.id, 'new-bootstrap');
  });

  test('pre-start checks: a bootstrap config for another cluster than the selected context → warning', async () => {
    const other = join(work, 'elsewhere.conf');
    writeFileSync(other, readFileSync(bootPath, 'utf8').replace(/server: \S+/, 'server: https://10.99.0.1:6443'), { mode: 0o600 });
    const r = await startAgent({ ...base(), bootstrapFile: other, checksOnly: true, fixes: {}, proceed: true });
    const f = r.findings.find((x) => x.id === 'other-cluster');
    assert.equal(f?.severity, 'warning');
    assert.match(f?.message ?? '', /10\.99\.0\.1/);
  });

  test('a pre-start question stays on screen (modal) and, while it is open, the Agent row says Start Agent waits for your answer', async () => {
    const fresh = join(work, `fresh-data-${randomBytes(2).toString('hex')}`);
    const seen: string[] = [];
    const rec = new FakePrompter((a) => {
      if (!/does not exist/.test(a.message)) return undefined;
      const rows = api.tree.getChildren(api.tree.clusterNode).map((n) => labelOf(api.tree.getTreeItem(n)));
      seen.push(rows.join(' | '));
      return a.items.find((b) => b.startsWith('Create '));
    });
    api.setPrompter(rec);
    const r = await startAgent({ ...base(), dataDir: fresh, checksOnly: true });
    const asked = rec.asked.find((a) => /does not exist/.test(a.message));
    assert.ok(asked, `asked: ${JSON.stringify(rec.asked.map((a) => a.message))}`);
    assert.equal(asked.kind, 'modal', 'a notification hides itself after a few seconds: the question is a modal dialog');
    assert.ok(seen.every((rows) => rows.includes('Agent: Start Agent waiting for your answer')), seen.join('\n'));
    assert.ok(existsSync(fresh), 'the answer (Create) created the folder');
    assert.ok(r.fixed.some((f) => f.startsWith('create-data-dir')), JSON.stringify(r.fixed));
    // answered: the row is gone again
    const after = api.tree.getChildren(api.tree.clusterNode).map((n) => labelOf(api.tree.getTreeItem(n)));
    assert.ok(!after.some((l) => /waiting for your answer/.test(l)), after.join(' | '));
  });

  test('pre-start checks: the agent kubeconfig exists → explained, and moved aside when asked', async () => {
    const kc = join(work, 'data', 'config', 'kubeconfig');
    writeFileSync(kc, '{"current-context":"krustlet"}');
    const r = await startAgent({ ...base(), checksOnly: true, fixes: { 'move-kubeconfig-aside': true }, proceed: true });
    assert.ok(r.fixed.some((x) => x.startsWith('move-kubeconfig-aside')), JSON.stringify(r));
    assert.equal(existsSync(kc), false);
    assert.ok(readdirSync(dirname(kc)).some((n) => n.startsWith('kubeconfig.bak-')));
    assert.equal(r.findings.find((x) => x.id === 'kubeconfig-exists')?.severity, 'ok');
  });

  test('pre-start checks: a stale <hostname>-tls CSR → the agent would fail; deleted when asked', async () => {
    const made = await makeCsr(krustletServingSpec(HOST, '127.0.0.1'));
    await admin.createCsr({ name: `${HOST}-tls`, requestPem: made.pem, signerName: 'kubernetes.io/kubelet-serving', usages: SERVING_USAGES });
    const seen = await startAgent({ ...base(), checksOnly: true, fixes: {}, proceed: true });
    const f = seen.findings.find((x) => x.id === 'stale-serving-csr');
    assert.equal(f?.severity, 'error');
    assert.equal(f?.fix?.target, `${HOST}-tls`);
    const fixed = await startAgent({ ...base(), checksOnly: true, fixes: { 'delete-csr': true }, proceed: true });
    assert.ok(fixed.fixed.includes(`delete-csr ${HOST}-tls`), JSON.stringify(fixed));
    await assert.rejects(admin.getCsr(`${HOST}-tls`), /does not exist|not found/i);
  });

  test('pre-start checks: no node IP and the hostname does not resolve → choices offered, the pick is used', async () => {
    const o = { ...base(), nodeIp: undefined, hostname: `nowhere-${run}.invalid` };
    const seen = await startAgent({ ...o, checksOnly: true, fixes: {}, proceed: true });
    const f = seen.findings.find((x) => x.id === 'node-ip');
    assert.equal(f?.severity, 'error');
    assert.deepEqual(f?.fix?.choices?.slice(0, 2).map((c) => c.address), ['172.17.0.1', '10.0.2.2']);
    const picked = await startAgent({ ...o, checksOnly: true, fixes: { 'pick-node-ip': '127.0.0.1' }, proceed: true });
    assert.ok(picked.fixed.some((x) => x.startsWith('pick-node-ip')));
    assert.equal(picked.findings.find((x) => x.id === 'node-ip')?.severity, 'ok');
  });

  test('pre-start checks: a data folder that cannot be used → error', async () => {
    const file = join(work, 'a-file');
    writeFileSync(file, '');
    const r = await startAgent({ ...base(), dataDir: join(file, 'data'), checksOnly: true, fixes: {}, proceed: false });
    assert.ok(r.findings.some((x) => x.id === 'data-dir' && x.severity === 'error'), JSON.stringify(r.findings));
  });

  test('Start Agent with the stand-in: serving CSR pending in the status bar, approved through the tree command, progress Ready', async () => {
    const t0 = Date.now();
    const r = await startAgent({ ...base(), fixes: {}, proceed: false });
    assert.ok(r.started, `not started: ${r.reason}\n${JSON.stringify(r.findings, null, 1)}`);
    assert.ok(r.run && r.statusBarItem);
    const runObj = r.run;
    const pending = await runObj.whenPhase('awaiting-approval', 'failed');
    assert.equal(pending.phase, 'awaiting-approval', `${said(pending)}\n${pending.failure?.tail?.join('\n') ?? ''}`);
    const tPending = Date.now();
    assert.deepEqual(pending.approve, { csrName: `${HOST}-tls` });
    assert.equal(r.statusBarItem.text, `$(bell-dot) Krustlet: Approve ${HOST}-tls`);
    const cmd = r.statusBarItem.command as vscode.Command;
    assert.equal(cmd.command, 'krustlet.approveCsr');
    assert.deepEqual(cmd.arguments, [`${HOST}-tls`]);
    for (const id of ['tokenCreated', 'bootstrapConfigWritten', 'agentRunning', 'clientCsrApproved', 'agentKubeconfigWritten', 'servingCsrPending'] as const) {
      assert.equal(pending.steps.find((s) => s.id === id)?.state, 'done', id);
    }
    // the agent's own line arrives through its terminal (it may come just after the CSR watch event)
    await until('the BOOTSTRAP line in the agent output', () =>
      runObj.model.facts.tail.some((l) => l.startsWith(`BOOTSTRAP: TLS certificate requires manual approval. Run kubectl certificate approve ${HOST}-tls`)),
    );
    // Approve, as the status bar and the tree item do (confirm: the request's loopback IP may only warn).
    await until(`the tree lists ${HOST}-tls`, () => api.tree.csrNode(`${HOST}-tls`));
    const approved = await vscode.commands.executeCommand<{ done: string[] }>('krustlet.approveCsr', `${HOST}-tls`, undefined, { confirm: true });
    assert.deepEqual(approved.done, [`${HOST}-tls`]);
    const ready = await runObj.whenPhase('ready', 'failed');
    assert.equal(ready.phase, 'ready', `${said(ready)}\n${ready.failure?.tail?.join('\n') ?? ''}`);
    const tReady = Date.now();
    figures.push(`Start Agent→serving CSR pending ${tPending - t0} ms`, `approve→Ready ${tReady - tPending} ms`, `Start Agent→Ready ${tReady - t0} ms (incl. checks)`);
    assert.ok(ready.steps.every((s) => s.state === 'done'), JSON.stringify(ready.steps));
    assert.equal(r.statusBarItem.text, `$(pass-filled) Krustlet: ${NODE} Ready`);
    const res = runObj.resolved;
    for (const f of [res.kubeconfig, res.certFile, res.privateKeyFile]) assert.equal(statSync(f).mode & 0o777, 0o600, f);
    const stopped = await vscode.commands.executeCommand<boolean>('krustlet.stopAgent');
    assert.equal(stopped, true);
    const end = await runObj.whenPhase('stopped', 'failed');
    assert.equal(end.phase, 'stopped', said(end));
    // Stop sends SIGINT, which the real agent handles once its node runs: a graceful exit 0
    assert.equal(runObj.model.facts.agent.exitCode, 0);
  });

  test('port in use: the agent exits non-zero and the progress shows where, why and its last output', async () => {
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(port, '127.0.0.1', resolve));
    const rec = new FakePrompter();
    api.setPrompter(rec);
    try {
      // the kubeconfig and serving cert exist from the previous test: the agent goes straight to listening
      const r = await startAgent({ ...base(), fixes: {}, proceed: true, restart: true });
      assert.ok(r.started && r.run && r.statusBarItem, r.reason);
      // it registers its Node (Ready, briefly) and then fails to listen, like the real agent
      const p = await r.run.whenPhase('failed', 'stopped');
      assert.equal(p.phase, 'failed', said(p));
      // warp panics when it cannot bind: exit code 101, like the real agent
      assert.equal(p.failure?.exitCode, 101);
      assert.match(p.failure?.reason ?? '', /^The agent panicked \(exit code 101\): The port is in use/);
      assert.ok(p.failure?.tail?.some((l) => l.includes(`error binding to 127.0.0.1:${port}`)), p.failure?.tail?.join('\n'));
      assert.match(r.statusBarItem.text, /^\$\(error\) Krustlet: failed at /);
      await until('the failure notification', () => rec.asked.find((a) => a.kind === 'error' && /port is in use.*Last output: “panicked: error binding to/.test(a.message)));
    } finally {
      await new Promise<void>((resolve) => blocker.close(() => resolve()));
    }
  });

  test('the tree: an "Agent <hostname>" node under the cluster follows the join, its inline Approve approves the serving CSR, then Ready', async () => {
    // Its own hostname, data folder and port: independent of the runs above (their CSRs and files stay).
    const host = `Tr-${run}`;
    const dataDir = join(work, 'data-tree');
    mkdirSync(join(dataDir, 'config'), { recursive: true });
    const treePort = await freePort();
    const fired: unknown[] = [];
    const sub = api.tree.onDidChangeTreeData((e) => fired.push(e));
    const rec = new FakePrompter((a) => a.items.find((i) => i === 'Approve Anyway'));
    api.setPrompter(rec);
    const menus = (vscode.extensions.getExtension(EXTENSION_ID)?.packageJSON as { contributes: { menus: Record<string, { command: string; when?: string; group?: string }[]> } }).contributes.menus['view/item/context'];
    const inline = (contextValue: string) =>
      menus.filter((m) => m.group?.startsWith('inline') && new RegExp(`viewItem == ${contextValue.replace(/\./g, '\\.')}(?![\\w.])`).test(m.when ?? '')).map((m) => m.command);
    try {
      const r = await startAgent({ ...base(), hostname: host, port: treePort, dataDir, fixes: {}, proceed: false, restart: true });
      assert.ok(r.started && r.run, `not started: ${r.reason}\n${JSON.stringify(r.findings, null, 1)}`);
      const runObj = r.run;
      const node = api.tree.agent;
      assert.ok(node, 'the tree has an agent node');
      // after the Bootstrap Tokens and Certificate Signing Requests groups
      const roots = api.tree.getChildren(api.tree.clusterNode);
      assert.deepEqual(roots.map((n) => n.kind), ['group', 'group', 'nodesGroup', 'agent']);
      assert.equal(roots[3], node);
      assert.equal(api.tree.getParent(node), api.tree.clusterNode);
      assert.equal(api.tree.getTreeItem(node).label, `Agent ${host}`);

      const pending = await runObj.whenPhase('awaiting-approval', 'failed');
      assert.equal(pending.phase, 'awaiting-approval', `${said(pending)}\n${pending.failure?.tail?.join('\n') ?? ''}`);
      const item = api.tree.getTreeItem(node);
      assert.equal(item.contextValue, 'agent.servingPending');
      assert.equal(item.description, 'awaiting approval');
      assert.equal((item.iconPath as vscode.ThemeIcon).id, 'bell-dot');
      // the tooltip lists every step with its marker, from the progress model's steps
      const tip = (item.tooltip as vscode.MarkdownString).value;
      for (const label of ['Token created', 'Bootstrap config written', 'Agent running', 'Client CSR approved', 'Agent kubeconfig written', 'Serving CSR requested']) {
        assert.ok(tip.includes(`$(check) ${label}`), `${label} done in:\n${tip}`);
      }
      assert.ok(tip.includes('$(arrow-right) Serving CSR approved'), tip);
      assert.ok(tip.includes('$(circle-large-outline) Node registered / Ready'), tip);
      const steps = api.tree.getChildren(node);
      assert.deepEqual(steps.map((s) => api.tree.getTreeItem(s).label), pending.steps.map((s) => s.label));
      // progress events refresh that node itself
      assert.ok(fired.includes(node), 'onDidChangeTreeData fired for the agent node');
      // the inline actions while the serving CSR waits: Approve, and Stop Agent
      const actions = inline('agent.servingPending');
      assert.deepEqual(actions, ['krustlet.approveAgentServingCsr', 'krustlet.stopAgent']);
      await until(`the tree lists ${host}-tls`, () => api.tree.csrNode(`${host}-tls`));
      // run the inline Approve as VS Code does: (clicked node, selection)
      const approved = await vscode.commands.executeCommand<{ done: string[] }>(actions[0], node, [node]);
      assert.deepEqual(approved?.done, [`${host}-tls`], JSON.stringify(approved));
      const csr = await admin.getCsr(`${host}-tls`);
      assert.ok(csr.state === 'approved' || csr.state === 'issued', csr.state);
      const asked = rec.of('warning', 'modal');
      if (asked.length) figures.push(`tree approve confirmed: ${asked.map((a) => a.message).join(' | ')}`);

      const ready = await runObj.whenPhase('ready', 'failed');
      assert.equal(ready.phase, 'ready', `${said(ready)}\n${ready.failure?.tail?.join('\n') ?? ''}`);
      const readyItem = api.tree.getTreeItem(node);
      assert.equal(readyItem.description, 'Ready');
      assert.equal(readyItem.contextValue, 'agent.running');
      assert.equal((readyItem.iconPath as vscode.ThemeIcon).id, 'pass-filled');
      assert.ok(!(readyItem.tooltip as vscode.MarkdownString).value.includes('$(circle-large-outline)'));
      assert.deepEqual(inline('agent.running'), ['krustlet.stopAgent']);

      // the inline Stop Agent
      assert.equal(await vscode.commands.executeCommand<boolean>('krustlet.stopAgent', node, [node]), true);
      const end = await runObj.whenPhase('stopped', 'failed');
      assert.equal(end.phase, 'stopped', said(end));
      assert.equal(api.tree.getTreeItem(node).contextValue, 'agent.notRunning');
      assert.deepEqual(inline('agent.notRunning'), []);
    } finally {
      sub.dispose();
    }
  });
});
