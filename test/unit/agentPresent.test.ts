// The one presenter of join progress: the status bar, the tree's agent node, the quick pick and the CLI
// all word and mark the same progress the same way.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  failureNotice,
  failureText,
  phaseIcon,
  phaseText,
  progressLines,
  progressMarkdown,
  statusBarText,
  stepDescription,
  stepIcon,
  stepPickItems,
  summaryText,
  waitingText,
} from '../../src/core/agent/present';
import { applyJoinEvent, deriveJoinProgress, initialJoinFacts, type JoinEvent, type JoinProgress } from '../../src/core/agent/progress';

const names = { clientCsrName: 'box', servingCsrName: 'Box-tls', nodeName: 'box', hostname: 'Box' };
const progress = (events: JoinEvent[]): JoinProgress => deriveJoinProgress(events.reduce(applyJoinEvent, initialJoinFacts(names)));

const started: JoinEvent[] = [
  { type: 'token', state: 'created' },
  { type: 'file', file: 'bootstrapConfig', exists: true },
  { type: 'agentStarted', pid: 42 },
  { type: 'csr', csr: { name: 'box', state: 'issued' } },
  { type: 'file', file: 'kubeconfig', exists: true },
];
const pending: JoinEvent[] = [...started, { type: 'csr', csr: { name: 'Box-tls', state: 'pending' } }];
const ready: JoinEvent[] = [
  ...pending,
  { type: 'csr', csr: { name: 'Box-tls', state: 'issued' } },
  { type: 'file', file: 'certFile', exists: true },
  { type: 'file', file: 'privateKeyFile', exists: true },
  { type: 'node', name: 'box', registered: true, ready: true },
];

void test('each phase has one text, one icon and one status bar line, and the status bar carries the phase icon', () => {
  const cases: [JoinEvent[], string, string, string, string][] = [
    [[], 'not started', 'circle-large-outline', 'Not started (next: Token created)', 'Krustlet: agent not started'],
    [started, 'Serving CSR requested…', 'sync~spin', 'Joining: Serving CSR requested…', 'Krustlet: Serving CSR requested…'],
    [pending, 'awaiting approval', 'bell-dot', 'Serving CSR Box-tls awaits approval', 'Krustlet: Approve Box-tls'],
    [ready, 'Ready', 'pass-filled', 'Node box Ready', 'Krustlet: box Ready'],
    [[...ready, { type: 'agentStopRequested' }, { type: 'agentExited', signal: 'SIGINT' }], 'stopped (was Ready)', 'debug-stop', 'Agent stopped (node box was Ready)', 'Krustlet: agent stopped'],
    [[...started, { type: 'agentExited', exitCode: 101 }], 'failed: agent panicked (exit code 101)', 'error', 'Failed at "Serving CSR requested": The agent panicked (exit code 101).', 'Krustlet: failed at Serving CSR requested'],
  ];
  for (const [events, text, icon, summary, bar] of cases) {
    const p = progress(events);
    assert.equal(phaseText(p), text, p.phase);
    assert.equal(phaseIcon(p).id, icon, p.phase);
    assert.equal(summaryText(p, names), summary, p.phase);
    assert.equal(statusBarText(p, names), `$(${icon}) ${bar}`, p.phase);
  }
});

void test('the current step is marked with the arrow everywhere, a failed one with its error', () => {
  const p = progress(pending);
  const current = p.steps.find((s) => s.id === p.current);
  assert.ok(current);
  assert.equal(stepIcon(current, p).id, 'arrow-right');
  assert.equal(stepIcon(p.steps[0], p).id, 'check');
  assert.equal(stepIcon(p.steps.at(-1) ?? p.steps[0], p).id, 'circle-large-outline');
  assert.ok(progressMarkdown(p, names).includes(`$(arrow-right) ${current.label}`));
  assert.ok(stepPickItems(p).some((i) => i.label === `$(arrow-right) ${current.label}`));
  assert.ok(progressLines(p, names).some((l) => l.startsWith(`  [>] ${current.label}`)));
  // not running: the first open step is still the one marked
  const idle = progress([]);
  assert.equal(stepDescription(idle.steps[0], idle), 'current');
  assert.equal(stepDescription(idle.steps[1], idle), 'pending');
  const failed = progress([...started, { type: 'agentExited', exitCode: 1 }]);
  const where = failed.steps.find((s) => s.state === 'failed');
  assert.ok(where);
  assert.equal(stepIcon(where, failed).id, 'error');
  assert.ok(progressLines(failed, names).some((l) => l.startsWith(`  [!] ${where.label}`)));
});

void test('failure texts: the log line, the notification and the tooltip say where, why and what to do', () => {
  const p = progress([...ready.slice(0, -1), { type: 'agentOutput', line: "thread 'main' panicked at 'error binding to 0.0.0.0:3000: error creating server listener: Address already in use (os error 98)', src/server.rs:1:1" }, { type: 'agentExited', exitCode: 101 }]);
  assert.equal(p.phase, 'failed');
  assert.match(failureText(p) ?? '', /^Agent join failed at "Node registered \/ Ready": The agent panicked \(exit code 101\): The port is in use\. Stop/);
  assert.match(failureNotice(p) ?? '', /^Krustlet agent: The agent panicked \(exit code 101\): The port is in use\./);
  // the reason itself, not only the log: the panic's message is in the notification
  assert.match(failureNotice(p) ?? '', /Last output: “panicked: error binding to 0\.0\.0\.0:3000/);
  const md = progressMarkdown(p, names);
  assert.match(md, /\*\*The agent panicked \\\(exit code 101\\\): The port is in use\\\.\*\*/);
  assert.match(md, /```text\nthread 'main' panicked/);
  assert.equal(failureText(progress(pending)), undefined);
});

void test('untrusted text cannot break out of the Markdown: details and reasons are escaped, output stays in its block', () => {
  const hostile = '**bold** [link](https://x) $(zap) <img src=x>';
  const p = progress([...started, { type: 'agentOutput', line: 'x ``` y' }, { type: 'agentOutput', line: '```` end' }, { type: 'agentExited', exitCode: 1 }]);
  const md = progressMarkdown(p, { hostname: hostile, nodeName: 'a`b' });
  assert.ok(!md.includes('**bold**') && !md.includes('<img') && !md.includes('$(zap)') && !md.includes('[link](https'), md);
  assert.ok(md.includes('node `ab`'), md);
  // a fence longer than any backtick run in the output
  assert.match(md, /\n`{5}text\nx ``` y\n```` end\n`{5}\n$/);
});

void test('the failure notification quotes the agent\'s last error lines (at most two, each cut at 200 characters)', () => {
  const lines = ['starting', 'Error: error trying to connect: tcp connect error: Connection refused (os error 111) to https://127.0.0.1:41953', 'bye'];
  const p = progress([...started.slice(0, 3), ...lines.map((line): JoinEvent => ({ type: 'agentOutput', line })), { type: 'agentExited', exitCode: 1 }]);
  assert.match(failureNotice(p) ?? '', /Last output: “Error: error trying to connect: tcp connect error: Connection refused \(os error 111\) to https:\/\/127\.0\.0\.1:41953”$/);
  const long = progress([...started.slice(0, 3), { type: 'agentOutput', line: `error ${'x'.repeat(400)}` }, { type: 'agentExited', exitCode: 1 }]);
  assert.ok((failureNotice(long) ?? '').endsWith('…”'));
  assert.ok((failureNotice(long) ?? '').length < 500);
  // no output at all: no empty quote
  assert.doesNotMatch(failureNotice(progress([...started.slice(0, 3), { type: 'agentExited', exitCode: 1 }])) ?? '', /Last output/);
});

void test('the API server unreachable while the agent runs: every front end says so instead of a stale "Ready"', () => {
  const down: JoinEvent = { type: 'apiServer', reachable: false, message: 'connect ECONNREFUSED 127.0.0.1:6443' };
  const p = progress([...ready, down]);
  assert.equal(p.phase, 'ready');
  assert.equal(p.unreachable, 'The API server is unreachable (connect ECONNREFUSED 127.0.0.1:6443).');
  assert.equal(statusBarText(p, names), '$(warning) Krustlet: box — API server unreachable');
  assert.equal(phaseText(p), 'API server unreachable (was Ready)');
  assert.equal(phaseIcon(p).id, 'warning');
  assert.match(summaryText(p, names), /^Node box: The API server is unreachable .*; its state is unknown$/);
  assert.match(p.steps.find((s) => s.id === 'nodeReady')?.detail ?? '', /unknown, the API server is unreachable/);
  assert.match(progressMarkdown(p, names), /The API server is unreachable/);
  assert.ok(progressLines(p, names).some((l) => l.includes('The API server is unreachable')));
  // back again: as before
  const back = progress([...ready, down, { type: 'apiServer', reachable: true }]);
  assert.equal(back.unreachable, undefined);
  assert.equal(statusBarText(back, names), '$(pass-filled) Krustlet: box Ready');
  // a stopped agent has nothing to reach the API server for
  assert.equal(progress([...ready, { type: 'agentStopRequested' }, { type: 'agentExited', signal: 'SIGINT' }, down]).unreachable, undefined);
});

void test('the status bar while a command waits on the user', () => {
  assert.equal(waitingText('Start Agent'), '$(question) Krustlet: Start Agent — waiting for your answer');
});
