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
    [started, 'Serving CSR pending…', 'sync~spin', 'Joining: Serving CSR pending…', 'Krustlet: Serving CSR pending…'],
    [pending, 'serving CSR pending', 'bell-dot', 'Serving CSR Box-tls awaits approval', 'Krustlet: Approve Box-tls'],
    [ready, 'Ready', 'pass-filled', 'Node box Ready', 'Krustlet: box Ready'],
    [[...ready, { type: 'agentStopRequested' }, { type: 'agentExited', signal: 'SIGINT' }], 'stopped (was Ready)', 'debug-stop', 'Agent stopped (node box was Ready)', 'Krustlet: agent stopped'],
    [[...started, { type: 'agentExited', exitCode: 101 }], 'failed: agent exited with code 101', 'error', 'Failed at "Serving CSR pending": The agent exited with code 101.', 'Krustlet: failed at Serving CSR pending'],
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
  assert.match(failureText(p) ?? '', /^Agent join failed at "Node registered \/ Ready": The agent exited with code 101: The port is in use\. Stop/);
  assert.match(failureNotice(p) ?? '', /^Krustlet agent: The agent exited with code 101: The port is in use\./);
  const md = progressMarkdown(p, names);
  assert.match(md, /\*\*The agent exited with code 101: The port is in use\\\.\*\*/);
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
