/**
 * THE presenter of join progress: every word and icon a front end shows for a {@link JoinProgress}
 * — the phase texts, the one-line summary, the step markers, the Markdown tooltip and the CLI's
 * lines — so the status bar, the tree's "Agent <hostname>" node, the progress quick pick and
 * `krustlet-bootstrap agent run` say the same thing the same way. Pure strings: icons are codicon
 * ids (with a theme colour id) that the VS Code side turns into ThemeIcons, and `$(id)` in the
 * Markdown (a MarkdownString with theme icons on renders them).
 */
import { escapeMarkdown } from '../csr/summary';
import { JOIN_STEPS, PANIC_EXIT_CODE, panicMessage, type JoinPhase, type JoinProgress, type JoinStep, type JoinStepId, type StepState } from './progress';

/** A codicon id and an optional theme colour id (`new vscode.ThemeIcon(id, new vscode.ThemeColor(color))`). */
export interface IconSpec {
  readonly id: string;
  readonly color?: string;
}

/** Who is joining: shown in the headings. */
export interface AgentNames {
  hostname: string;
  nodeName: string;
}

const STEP_ICONS: Record<StepState | 'current', IconSpec> = {
  done: { id: 'check', color: 'testing.iconPassed' },
  skipped: { id: 'circle-slash' },
  active: { id: 'arrow-right', color: 'charts.yellow' },
  /** The first open step while the agent does not run (nothing is working on it). */
  current: { id: 'arrow-right', color: 'charts.yellow' },
  waiting: { id: 'circle-large-outline' },
  failed: { id: 'error', color: 'list.errorForeground' },
};

/** Plain-text markers for the CLI, one per icon. */
const STEP_MARKS: Record<StepState | 'current', string> = { done: '[x]', skipped: '[-]', active: '[>]', current: '[>]', waiting: '[ ]', failed: '[!]' };

const PHASE_ICONS: Record<JoinPhase, IconSpec> = {
  idle: { id: 'circle-large-outline' },
  joining: { id: 'sync~spin' },
  'awaiting-approval': { id: 'bell-dot', color: 'charts.yellow' },
  ready: { id: 'pass-filled', color: 'testing.iconPassed' },
  stopped: { id: 'debug-stop' },
  failed: { id: 'error', color: 'list.errorForeground' },
};

export function stepLabel(id: JoinStepId | undefined): string {
  return JOIN_STEPS.find((s) => s.id === id)?.label ?? '';
}

/** The step everybody marks as current: the first open one, unless it failed (then the failure marks it). */
function isCurrent(step: JoinStep, p: JoinProgress): boolean {
  return step.id === p.current && step.state !== 'failed';
}

/** A step's marker: the current step's arrow, else its state's icon. */
export function stepIcon(step: JoinStep, p: JoinProgress): IconSpec {
  return STEP_ICONS[isCurrent(step, p) ? 'current' : step.state];
}

/** A step's short description (the tree row under the label): its detail, else where it stands. */
export function stepDescription(step: JoinStep, p: JoinProgress): string {
  if (step.detail) return step.detail;
  if (isCurrent(step, p)) return 'current';
  return step.state === 'waiting' ? 'pending' : step.state;
}

const UNREACHABLE_HINT = 'The steps show what was last seen; the node goes NotReady while its agent cannot reach the API server.';
const UNREACHABLE_ICON: IconSpec = { id: 'warning', color: 'list.warningForeground' };

export function phaseIcon(p: JoinProgress): IconSpec {
  return p.unreachable ? UNREACHABLE_ICON : PHASE_ICONS[p.phase];
}

function allDone(p: JoinProgress): boolean {
  return p.steps.every((s) => s.state === 'done' || s.state === 'skipped');
}

/** The phase in a few words (the tree node's description): "serving CSR pending", "Ready", "failed: …". */
export function phaseText(p: JoinProgress): string {
  if (p.unreachable) return p.phase === 'ready' ? 'API server unreachable (was Ready)' : 'API server unreachable';
  switch (p.phase) {
    case 'awaiting-approval':
      return 'awaiting approval';
    case 'ready':
      return 'Ready';
    case 'failed': {
      const f = p.failure;
      if (f?.exitCode === PANIC_EXIT_CODE) return `failed: agent panicked (exit code ${f.exitCode})`;
      if (f?.exitCode !== undefined) return `failed: agent exited with code ${f.exitCode}`;
      if (f?.signal) return `failed: agent killed by ${f.signal}`;
      return `failed: ${f?.reason ?? stepLabel(f?.step)}`;
    }
    case 'stopped':
      return allDone(p) ? 'stopped (was Ready)' : 'stopped';
    case 'joining':
      return `${stepLabel(p.current)}…`;
    case 'idle':
      return 'not started';
  }
}

/** One line for a title, a log or the CLI: "Node box Ready", "Failed at "Agent running": …". */
export function summaryText(p: JoinProgress, names: Pick<AgentNames, 'nodeName'>): string {
  if (p.unreachable) return `Node ${names.nodeName}: ${p.unreachable.replace(/\.$/, '')}; its state is unknown`;
  switch (p.phase) {
    case 'failed':
      return `Failed at "${stepLabel(p.failure?.step)}": ${p.failure?.reason ?? ''}`;
    case 'ready':
      return `Node ${names.nodeName} Ready`;
    case 'awaiting-approval':
      return `Serving CSR ${p.approve?.csrName ?? ''} awaits approval`;
    case 'stopped':
      return allDone(p) ? `Agent stopped (node ${names.nodeName} was Ready)` : 'Agent stopped';
    case 'joining':
      return `Joining: ${stepLabel(p.current)}…`;
    case 'idle':
      return `Not started${p.current ? ` (next: ${stepLabel(p.current)})` : ''}`;
  }
}

/** The status bar's text, a call to action while the serving CSR waits (clicking it approves). */
export function statusBarText(p: JoinProgress, names: Pick<AgentNames, 'nodeName'>): string {
  const icon = `$(${phaseIcon(p).id})`;
  if (p.unreachable) return `${icon} Krustlet: ${names.nodeName} — API server unreachable`;
  switch (p.phase) {
    case 'awaiting-approval':
      return `${icon} Krustlet: Approve ${p.approve?.csrName ?? ''}`;
    case 'failed':
      return `${icon} Krustlet: failed at ${stepLabel(p.failure?.step)}`;
    case 'ready':
      return `${icon} Krustlet: ${names.nodeName} Ready`;
    case 'stopped':
      return `${icon} Krustlet: agent stopped`;
    case 'joining':
      return `${icon} Krustlet: ${stepLabel(p.current)}…`;
    case 'idle':
      return `${icon} Krustlet: agent not started`;
  }
}

/** "Agent join failed at "X": reason. hint" — the log line and the notification's text. */
export function failureText(p: JoinProgress): string | undefined {
  const f = p.failure;
  if (!f) return undefined;
  return `Agent join failed at "${stepLabel(f.step)}": ${f.reason}${f.hint ? ` ${f.hint}` : ''}`;
}

/**
 * "Krustlet agent: reason hint Last output: “…”" — the failure notification. It carries the agent's last error
 * lines itself: the reason (e.g. a connection refused by a cluster that is gone) must not need the log to be found.
 */
export function failureNotice(p: JoinProgress): string | undefined {
  const f = p.failure;
  if (!f) return undefined;
  const last = lastErrorLines(f.tail ?? []);
  return `Krustlet agent: ${f.reason}${f.hint ? ` ${f.hint}` : ''}${last.length ? ` Last output: “${last.join(' ⏎ ')}”` : ''}`;
}

/** Up to two of the agent's last lines that say what went wrong (else its last line), each at most 200 characters. */
export function lastErrorLines(tail: readonly string[]): string[] {
  const lines = tail.map((l) => l.trim()).filter(Boolean);
  // A panic says what went wrong on the line after "thread 'main' panicked at <file>:<line>:<col>:".
  const panicked = panicMessage(lines);
  if (panicked) return [`panicked: ${panicked.length > 190 ? `${panicked.slice(0, 189)}…` : panicked}`];
  const errors = lines.filter((l) => /error|fail|refused|denied|panic|unauthori[sz]ed|forbidden|no such|not found|timed? ?out/i.test(l));
  const chosen = (errors.length ? errors : lines).slice(-2);
  return chosen.map((l) => (l.length > 200 ? `${l.slice(0, 199)}…` : l));
}

/** The status bar while a command waits on a question of the user (Start Agent's pre-start checks). */
export function waitingText(command: string): string {
  return `$(question) Krustlet: ${command} — waiting for your answer`;
}

/**
 * The tooltip of the status bar item and of the tree's agent node: a heading, every step with its
 * marker and detail, then the failure with what to do and the agent's last
 * output. Untrusted text (details, reasons, output) is escaped; the output goes into a code block.
 */
export function progressMarkdown(p: JoinProgress, names: AgentNames): string {
  const lines: string[] = [];
  lines.push(`**Krustlet agent ${escapeMarkdown(names.hostname)}** — node \`${names.nodeName.replace(/`/g, '')}\``);
  for (const s of p.steps) lines.push(`$(${stepIcon(s, p).id}) ${escapeMarkdown(s.label)}${s.detail ? ` — ${escapeMarkdown(s.detail)}` : ''}`);
  const f = p.failure;
  if (f) lines.push(`**${escapeMarkdown(f.reason)}**${f.hint ? ` ${escapeMarkdown(f.hint)}` : ''}`);
  if (p.unreachable) lines.push(`**${escapeMarkdown(p.unreachable)}** ${UNREACHABLE_HINT}`);
  let md = lines.join('\n\n') + '\n\n';
  const tail = f?.tail;
  if (tail?.length) {
    // A fence longer than any run of backticks in the output, so nothing in it can close the block.
    const text = tail.join('\n');
    const fence = '`'.repeat(Math.max(3, ...Array.from(text.matchAll(/`+/g), (m) => m[0].length + 1)));
    md += `${fence}text\n${text}\n${fence}\n`;
  }
  return md;
}

/** The quick pick's rows: one per step, `$(icon) label` with the detail as description. */
export function stepPickItems(p: JoinProgress): { label: string; description?: string }[] {
  return p.steps.map((s) => ({ label: `$(${stepIcon(s, p).id}) ${s.label}`, description: s.detail }));
}

/** Plain-text lines for the CLI: the summary, then `[x] Token created`, `[>] Serving CSR approved — …`. */
export function progressLines(p: JoinProgress, names: AgentNames): string[] {
  const out = [summaryText(p, names)];
  for (const s of p.steps) out.push(`  ${STEP_MARKS[isCurrent(s, p) ? 'current' : s.state]} ${s.label}${s.detail ? ` — ${s.detail}` : ''}`);
  if (p.failure?.hint) out.push(`  ${p.failure.hint}`);
  if (p.unreachable) out.push(`  ${p.unreachable} ${UNREACHABLE_HINT}`);
  return out;
}
