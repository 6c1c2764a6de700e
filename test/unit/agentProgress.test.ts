import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  applyJoinEvent,
  deriveJoinProgress,
  initialJoinFacts,
  JoinProgressModel,
  TAIL_LINES,
  type JoinEvent,
  type JoinFacts,
  type JoinStepId,
  type StepState,
} from '../../src/core/agent/progress';
import { failureNotice, lastErrorLines, phaseText, summaryText } from '../../src/core/agent/present';

const names = { clientCsrName: 'box', servingCsrName: 'Box-tls', nodeName: 'box' };

function run(events: JoinEvent[], facts: JoinFacts = initialJoinFacts(names)): JoinFacts {
  return events.reduce(applyJoinEvent, facts);
}
function states(f: JoinFacts): Record<JoinStepId, StepState> {
  return Object.fromEntries(deriveJoinProgress(f).steps.map((s) => [s.id, s.state])) as Record<JoinStepId, StepState>;
}

const happy: JoinEvent[] = [
  { type: 'token', state: 'created' },
  { type: 'file', file: 'bootstrapConfig', exists: true },
  { type: 'agentStarted', pid: 42 },
  { type: 'agentOutput', line: 'krustlet-wasi (stand-in for tests; simulated)' },
  { type: 'csr', csr: { name: 'box', state: 'pending' } },
  { type: 'csr', csr: { name: 'box', state: 'issued' } },
  { type: 'file', file: 'kubeconfig', exists: true },
  { type: 'csr', csr: { name: 'Box-tls', state: 'pending' } },
  { type: 'agentOutput', line: 'BOOTSTRAP: TLS certificate requires manual approval. Run kubectl certificate approve Box-tls' },
  { type: 'csr', csr: { name: 'Box-tls', state: 'approved' } },
  { type: 'csr', csr: { name: 'Box-tls', state: 'issued' } },
  { type: 'agentOutput', line: 'BOOTSTRAP: received TLS certificate approval: continuing' },
  { type: 'file', file: 'certFile', exists: true },
  { type: 'file', file: 'privateKeyFile', exists: true },
  { type: 'node', name: 'box', registered: true, ready: false },
  { type: 'node', name: 'box', registered: true, ready: true },
];

void test('initially idle; nothing done', () => {
  const p = deriveJoinProgress(initialJoinFacts(names));
  assert.equal(p.phase, 'idle');
  assert.equal(p.current, 'tokenCreated');
  assert.ok(p.steps.every((s) => s.state === 'waiting'));
  assert.equal(p.steps.length, 9);
});

void test('the happy path step by step, approve offered exactly while the serving CSR is pending', () => {
  let f = initialJoinFacts(names);
  const seen: { phase: string; current?: string; approve?: string }[] = [];
  for (const e of happy) {
    f = applyJoinEvent(f, e);
    const p = deriveJoinProgress(f);
    seen.push({ phase: p.phase, current: p.current, approve: p.approve?.csrName });
  }
  assert.deepEqual(seen.map((s) => s.current), [
    'bootstrapConfigWritten',
    'agentRunning',
    'clientCsrApproved',
    'clientCsrApproved',
    'clientCsrApproved',
    'agentKubeconfigWritten',
    'servingCsrPending',
    'servingCsrApproved',
    'servingCsrApproved',
    'servingCertWritten',
    'servingCertWritten',
    'servingCertWritten',
    'servingCertWritten',
    'nodeReady',
    'nodeReady',
    undefined,
  ]);
  assert.deepEqual(seen.filter((s) => s.approve).map((s) => s.approve), ['Box-tls', 'Box-tls']);
  assert.equal(seen[7].phase, 'awaiting-approval');
  assert.equal(seen[14].phase, 'joining');
  const p = deriveJoinProgress(f);
  assert.equal(p.phase, 'ready');
  assert.equal(summaryText(p, names), 'Node box Ready');
  assert.ok(p.steps.every((s) => s.state === 'done'));
  assert.equal(p.steps.find((s) => s.id === 'nodeReady')?.detail, 'box Ready');
});

void test('the active step is marked while the agent runs', () => {
  const f = run(happy.slice(0, 5));
  const s = states(f);
  assert.equal(s.agentRunning, 'done');
  assert.equal(s.clientCsrApproved, 'active');
  assert.equal(s.agentKubeconfigWritten, 'waiting');
  assert.equal(deriveJoinProgress(f).steps.find((x) => x.id === 'clientCsrApproved')?.detail, 'box: pending');
});

/** The real agent's panic when warp cannot bind (Rust ≥ 1.73 shape), exit code 101. */
const BIND_PANIC = [
  "thread 'main' panicked at /home/u/.cargo/registry/src/index.crates.io-6f17d22bba15001f/warp-0.3.2/src/server.rs:107:13:",
  'error binding to 0.0.0.0:3000: error creating server listener: Address already in use (os error 98)',
  'note: run with `RUST_BACKTRACE=1` environment variable to display a backtrace',
];

void test('agent panics (exit 101): failure where it stopped, "panicked", the reason, the panic message and the tail', () => {
  const f = run([
    ...happy.slice(0, 3),
    { type: 'agentOutput', line: 'krustlet-wasi (stand-in for tests; simulated)' },
    ...BIND_PANIC.map((line): JoinEvent => ({ type: 'agentOutput', line })),
    { type: 'file', file: 'kubeconfig', exists: true },
    { type: 'file', file: 'certFile', exists: true },
    { type: 'file', file: 'privateKeyFile', exists: true },
    { type: 'agentExited', exitCode: 101 },
  ]);
  const p = deriveJoinProgress(f);
  assert.equal(p.phase, 'failed');
  assert.equal(p.failure?.step, 'nodeReady');
  assert.equal(p.failure?.exitCode, 101);
  assert.equal(p.failure?.reason, 'The agent panicked (exit code 101): The port is in use.');
  assert.match(p.failure?.hint ?? '', /another port/);
  assert.deepEqual(p.failure?.tail?.slice(-3), BIND_PANIC);
  assert.equal(states(f).nodeReady, 'failed');
  assert.equal(phaseText(p), 'failed: agent panicked (exit code 101)');
  assert.deepEqual(lastErrorLines(p.failure?.tail ?? []), ['panicked: error binding to 0.0.0.0:3000: error creating server listener: Address already in use (os error 98)']);
  assert.match(failureNotice(p) ?? '', /Last output: “panicked: error binding to 0\.0\.0\.0:3000: .*Address already in use/);
});

void test('a panic without a known cause quotes its message; the pre-1.73 panic shape is read too', () => {
  let f = run([
    ...happy.slice(0, 3),
    { type: 'agentOutput', line: "thread 'main' panicked at crates/kubelet/src/node/mod.rs:297:14:" },
    { type: 'agentOutput', line: 'Could not update lease: Api(ErrorResponse { status: "Failure", message: "leases.coordination.k8s.io \\"box\\" not found", reason: "NotFound", code: 404 })' },
    { type: 'agentExited', exitCode: 101 },
  ]);
  assert.match(deriveJoinProgress(f).failure?.reason ?? '', /^The agent panicked \(exit code 101\): “Could not update lease: Api\(ErrorResponse/);
  f = run([...happy.slice(0, 3), { type: 'agentOutput', line: "thread 'main' panicked at 'something odd', src/x.rs:1:2" }, { type: 'agentExited', exitCode: 101 }]);
  const p = deriveJoinProgress(f);
  assert.equal(p.failure?.step, 'clientCsrApproved');
  assert.equal(p.failure?.reason, 'The agent panicked (exit code 101): “something odd”');
});

void test('agent exits early without a recognisable reason: still a failure with the tail', () => {
  const f = run([...happy.slice(0, 3), { type: 'agentOutput', line: 'Error: something else' }, { type: 'agentExited', exitCode: 1 }]);
  const p = deriveJoinProgress(f);
  assert.equal(p.failure?.step, 'clientCsrApproved');
  assert.equal(p.failure?.reason, 'The agent exited with code 1.');
  assert.deepEqual(p.failure?.tail, ['Error: something else']);
});

void test('killed by a signal: SIGKILL/SIGSEGV are failures (with the signal); SIGTERM/SIGHUP/SIGINT from elsewhere are a stop', () => {
  let p = deriveJoinProgress(run([...happy.slice(0, 3), { type: 'agentExited', signal: 'SIGKILL' }]));
  assert.equal(p.phase, 'failed');
  assert.equal(p.failure?.reason, 'The agent was killed by signal SIGKILL.');
  assert.equal(p.failure?.signal, 'SIGKILL');
  assert.match(p.failure?.hint ?? '', /out-of-memory/);
  assert.equal(phaseText(p), 'failed: agent killed by SIGKILL');
  p = deriveJoinProgress(run([...happy.slice(0, 3), { type: 'agentExited', signal: 'SIGSEGV' }]));
  assert.equal(p.failure?.reason, 'The agent was killed by signal SIGSEGV.');
  for (const signal of ['SIGTERM', 'SIGHUP', 'SIGINT']) assert.equal(deriveJoinProgress(run([...happy.slice(0, 3), { type: 'agentExited', signal }])).phase, 'stopped', signal);
});

void test("the real agent's ANSI-coloured log lines are kept as plain text", () => {
  const coloured = '\x1b[2mDec 02 01:50:00.123\x1b[0m \x1b[31mERROR\x1b[0m \x1b[1mcreate\x1b[0m\x1b[1m{\x1b[0mnode_name=box\x1b[1m}\x1b[0m: kubelet::node: Exhausted retries creating node after failed create. Not retrying';
  const f = run([{ type: 'agentStarted' }, { type: 'agentOutput', line: coloured }]);
  assert.deepEqual(f.tail, ['Dec 02 01:50:00.123 ERROR create{node_name=box}: kubelet::node: Exhausted retries creating node after failed create. Not retrying']);
});

void test('stopping the agent is not a failure; a later start clears the old output', () => {
  let f = run([...happy.slice(0, 3), { type: 'agentStopRequested' }, { type: 'agentExited', signal: 'SIGTERM' }]);
  assert.equal(deriveJoinProgress(f).phase, 'stopped');
  f = run([...happy.slice(0, 3), { type: 'agentExited', exitCode: 0 }]);
  assert.equal(deriveJoinProgress(f).phase, 'stopped');
  f = run([{ type: 'agentOutput', line: 'old' }, { type: 'agentStarted', pid: 2 }], f);
  assert.deepEqual(f.tail, []);
  assert.equal(deriveJoinProgress(f).phase, 'joining');
  // stopped after Ready
  f = run([...happy, { type: 'agentStopRequested' }, { type: 'agentExited', signal: 'SIGTERM' }]);
  assert.equal(deriveJoinProgress(f).phase, 'stopped');
  assert.match(summaryText(deriveJoinProgress(f), names), /was Ready/);
});

void test('a denied CSR: the agent waits forever, so say so and offer to stop it', () => {
  let f = run([...happy.slice(0, 8), { type: 'csr', csr: { name: 'Box-tls', state: 'denied' } }]);
  let p = deriveJoinProgress(f);
  assert.equal(p.phase, 'failed');
  assert.equal(p.failure?.step, 'servingCsrApproved');
  assert.match(p.failure?.reason ?? '', /wait forever/);
  assert.equal(p.failure?.offerStop, true);
  assert.equal(p.approve, undefined);
  f = run([...happy.slice(0, 4), { type: 'csr', csr: { name: 'box', state: 'denied' } }]);
  p = deriveJoinProgress(f);
  assert.equal(p.failure?.step, 'clientCsrApproved');
});

void test('token expired before the agent got its kubeconfig', () => {
  const f = run([{ type: 'file', file: 'bootstrapConfig', exists: true }, { type: 'token', state: 'expired' }]);
  const p = deriveJoinProgress(f);
  assert.equal(p.failure?.step, 'tokenCreated');
  assert.match(p.failure?.hint ?? '', /Bootstrap again/);
  // once the kubeconfig exists the token no longer matters
  assert.equal(deriveJoinProgress(applyJoinEvent(f, { type: 'file', file: 'kubeconfig', exists: true })).failure, undefined);
});

void test('existing kubeconfig and cert: bootstrap steps are skipped, not faked', () => {
  const f = run([
    { type: 'file', file: 'kubeconfig', exists: true },
    { type: 'file', file: 'certFile', exists: true },
    { type: 'file', file: 'privateKeyFile', exists: true },
    { type: 'agentStarted' },
  ]);
  const s = states(f);
  assert.equal(s.tokenCreated, 'skipped');
  assert.equal(s.clientCsrApproved, 'skipped');
  assert.equal(s.servingCsrPending, 'skipped');
  assert.equal(s.servingCertWritten, 'done');
  assert.equal(s.nodeReady, 'active');
});

void test('unrelated CSRs and nodes are ignored; deleted CSR goes back to absent; tail is bounded', () => {
  let f = run([{ type: 'csr', csr: { name: 'other', state: 'pending' } }, { type: 'node', name: 'other', registered: true, ready: true }]);
  assert.deepEqual(f, initialJoinFacts(names));
  f = run([{ type: 'csr', csr: { name: 'Box-tls', state: 'pending' } }, { type: 'csr', csr: { name: 'Box-tls', state: 'pending' }, deleted: true }]);
  assert.equal(f.servingCsr, 'absent');
  f = run(Array.from({ length: TAIL_LINES + 5 }, (_, i) => ({ type: 'agentOutput' as const, line: `l${i}` })));
  assert.equal(f.tail.length, TAIL_LINES);
  assert.equal(f.tail.at(-1), `l${TAIL_LINES + 4}`);
});

void test('JoinProgressModel notifies listeners on change only', () => {
  const m = new JoinProgressModel(names);
  const phases: string[] = [];
  const sub = m.onChange((p) => phases.push(p.phase));
  m.apply({ type: 'agentStarted' });
  m.apply({ type: 'csr', csr: { name: 'unrelated', state: 'pending' } });
  m.apply({ type: 'csr', csr: { name: 'Box-tls', state: 'pending' } });
  sub.dispose();
  m.apply({ type: 'agentExited', exitCode: 1 });
  assert.deepEqual(phases, ['joining', 'awaiting-approval']);
  assert.equal(m.progress.phase, 'failed');
});

void test('a Node left Ready by an earlier run does not count until this agent writes a heartbeat', () => {
  const start = new Date('2026-01-01T10:00:00.700Z');
  const base: JoinEvent[] = [
    { type: 'file', file: 'kubeconfig', exists: true },
    { type: 'file', file: 'certFile', exists: true },
    { type: 'file', file: 'privateKeyFile', exists: true },
    { type: 'agentStarted', at: start },
  ];
  // before the agent starts, a Ready node is an earlier run's
  const before = run([{ type: 'node', name: 'box', registered: true, ready: true, heartbeat: new Date('2026-01-01T09:59:00Z') }]);
  assert.equal(deriveJoinProgress(before).phase, 'idle');
  assert.equal(deriveJoinProgress(before).steps.find((x) => x.id === 'nodeReady')?.detail, 'box Ready from an earlier run');
  const old = run([...base, { type: 'node', name: 'box', registered: true, ready: true, heartbeat: new Date('2026-01-01T09:59:00Z') }]);
  assert.equal(deriveJoinProgress(old).phase, 'joining');
  assert.equal(states(old).nodeReady, 'active');
  // same second as the start (heartbeats have whole seconds) counts
  const fresh = run([{ type: 'node', name: 'box', registered: true, ready: true, heartbeat: new Date('2026-01-01T10:00:00Z') }], old);
  assert.equal(deriveJoinProgress(fresh).phase, 'ready');
});

void test('an agent that exits with an error after Ready is a failure (its node goes NotReady); a requested stop is not', () => {
  const ready = run(happy);
  let p = deriveJoinProgress(applyJoinEvent(ready, { type: 'agentExited', exitCode: 1 }));
  assert.equal(p.phase, 'failed');
  assert.equal(p.failure?.step, 'agentRunning');
  p = deriveJoinProgress(run([{ type: 'agentStopRequested' }, { type: 'agentExited', exitCode: 143 }], ready));
  assert.equal(p.phase, 'stopped');
});

void test('a CSR deleted while the agent waits: it exits 1 with the real message, and the failure says which CSR and what to do', () => {
  const f = run([...happy.slice(0, 8), { type: 'agentOutput', line: 'Error: Serving CSR was deleted before it was approved' }, { type: 'agentExited', exitCode: 1 }]);
  const p = deriveJoinProgress(f);
  assert.equal(p.failure?.reason, 'The agent exited with code 1: CSR Box-tls was deleted before it was approved.');
  assert.match(p.failure?.hint ?? '', /Start the agent again/);
  const c = deriveJoinProgress(run([...happy.slice(0, 3), { type: 'agentOutput', line: 'Error: Authentication CSR was deleted before it was approved' }, { type: 'agentExited', exitCode: 1 }]));
  assert.equal(c.failure?.reason, 'The agent exited with code 1: The client CSR was deleted before it was approved.');
});
