/**
 * The join-progress model: what has happened so far when a Krustlet node joins, derived ONLY from
 * events (files appearing, CSR states from the API, the Node's status, the agent process's start,
 * output and exit) — never from timers. `applyJoinEvent` folds an event into the facts;
 * `deriveJoinProgress` turns the facts into steps, the current step, and a failure with where/why.
 * How progress is shown (icons, phase texts, Markdown, CLI lines) is present.ts's job.
 */
import type { CsrInfo, CsrState } from '../types';
import type { ResolvedAgentOptions } from './commandLine';

export type JoinStepId =
  | 'tokenCreated'
  | 'bootstrapConfigWritten'
  | 'agentRunning'
  | 'clientCsrApproved'
  | 'agentKubeconfigWritten'
  | 'servingCsrPending'
  | 'servingCsrApproved'
  | 'servingCertWritten'
  | 'nodeReady';

export const JOIN_STEPS: readonly { id: JoinStepId; label: string }[] = [
  { id: 'tokenCreated', label: 'Token created' },
  { id: 'bootstrapConfigWritten', label: 'Bootstrap config written' },
  { id: 'agentRunning', label: 'Agent running' },
  { id: 'clientCsrApproved', label: 'Client CSR approved' },
  { id: 'agentKubeconfigWritten', label: 'Agent kubeconfig written' },
  { id: 'servingCsrPending', label: 'Serving CSR requested' },
  { id: 'servingCsrApproved', label: 'Serving CSR approved' },
  { id: 'servingCertWritten', label: 'Serving certificate written' },
  { id: 'nodeReady', label: 'Node registered / Ready' },
];

export type StepState = 'done' | 'skipped' | 'active' | 'waiting' | 'failed';

export type CsrFact = CsrState | 'absent';

export interface AgentProcessFact {
  state: 'not-started' | 'running' | 'exited';
  pid?: number;
  startedAt?: Date;
  exitCode?: number;
  signal?: string;
  /** True when we asked it to stop (Stop Agent / task terminated): an exit then is not a failure. */
  stopRequested?: boolean;
}

export interface JoinFacts {
  clientCsrName: string;
  servingCsrName: string;
  nodeName: string;
  /** The token Secret: created (or seen), expired/deleted, or unknown (not watched). */
  token: 'unknown' | 'created' | 'expired' | 'missing';
  bootstrapConfig: boolean;
  kubeconfig: boolean;
  certFile: boolean;
  privateKeyFile: boolean;
  agent: AgentProcessFact;
  /** The last output lines of the agent (stdout+stderr), newest last. */
  tail: string[];
  /** Seen on the agent's stdout: the BOOTSTRAP approval-request line. */
  approvalRequested: boolean;
  clientCsr: CsrFact;
  servingCsr: CsrFact;
  node: { registered: boolean; ready?: boolean; reason?: string; message?: string; heartbeat?: Date };
  /**
   * Whether the API server answers (from the watches that report CSRs, tokens and the Node). While it does not,
   * nothing above is current: the node's Ready may be long gone. `message` says why, in one line.
   */
  apiServer: { reachable: boolean; message?: string };
}

export type JoinEvent =
  | { type: 'token'; state: 'created' | 'expired' | 'missing' }
  | { type: 'file'; file: 'bootstrapConfig' | 'kubeconfig' | 'certFile' | 'privateKeyFile'; exists: boolean }
  /** `at`: when it started (this machine's clock), to tell this run's node heartbeats from older ones. */
  | { type: 'agentStarted'; pid?: number; at?: Date }
  | { type: 'agentOutput'; line: string }
  | { type: 'agentStopRequested' }
  | { type: 'agentExited'; exitCode?: number; signal?: string }
  /** A CSR from the informer/API; `deleted` when it went away. Unrelated names are ignored. */
  | { type: 'csr'; csr: Pick<CsrInfo, 'name' | 'state'>; deleted?: boolean }
  /** `heartbeat`: the Ready condition's lastHeartbeatTime (written by the agent, on this machine's clock). */
  | { type: 'node'; name: string; registered: boolean; ready?: boolean; reason?: string; message?: string; heartbeat?: Date }
  /** The API server stopped (or started again) answering the watches. */
  | { type: 'apiServer'; reachable: boolean; message?: string };

export const TAIL_LINES = 20;

export function initialJoinFacts(r: Pick<ResolvedAgentOptions, 'clientCsrName' | 'servingCsrName' | 'nodeName'>): JoinFacts {
  return {
    clientCsrName: r.clientCsrName,
    servingCsrName: r.servingCsrName,
    nodeName: r.nodeName,
    token: 'unknown',
    bootstrapConfig: false,
    kubeconfig: false,
    certFile: false,
    privateKeyFile: false,
    agent: { state: 'not-started' },
    tail: [],
    approvalRequested: false,
    clientCsr: 'absent',
    servingCsr: 'absent',
    node: { registered: false },
    apiServer: { reachable: true },
  };
}

/**
 * The real agent's stderr carries ANSI colour codes even into a pipe (tracing-subscriber 0.2 always colours):
 * strip them (and other control characters) so the tail, the failure notice and the patterns below see plain text.
 */
export function plainAgentLine(line: string): string {
  // eslint-disable-next-line no-control-regex
  return line.replace(/\x1b\[[0-9;?]*[ -/]*[@-~]/g, '').replace(/\x1b[@-_]/g, '').replace(/[\x00-\x08\x0b-\x1f\x7f]/g, '');
}

/**
 * Rust's panic message in the agent's output: `thread 'main' panicked at <file>:<l>:<c>:` then the message on
 * the next line (Rust ≥ 1.73), or `thread 'main' panicked at '<message>', <file>:<l>:<c>` (older compilers).
 */
export function panicMessage(tail: readonly string[]): string | undefined {
  for (let i = tail.length - 1; i >= 0; i--) {
    const old = /^thread '[^']*' panicked at '(.*)', \S+:\d+:\d+$/.exec(tail[i]);
    if (old) return old[1];
    if (/^thread '[^']*' panicked at \S+:\d+:\d+:$/.test(tail[i])) return tail[i + 1]?.trim() || undefined;
  }
  return undefined;
}

/** Exit code 101: the agent panicked (Rust's exit code for a panic that ends `main`). */
export const PANIC_EXIT_CODE = 101;

export const APPROVAL_REQUEST_RE = /^BOOTSTRAP: TLS certificate requires manual approval\. Run kubectl certificate approve (\S+)/;
export const APPROVAL_RECEIVED_RE = /^BOOTSTRAP: received TLS certificate approval: continuing/;

/** Pure: the facts after one event. */
export function applyJoinEvent(f: JoinFacts, e: JoinEvent): JoinFacts {
  switch (e.type) {
    case 'token':
      return { ...f, token: e.state };
    case 'file':
      return { ...f, [e.file]: e.exists };
    case 'agentStarted':
      // A new run: forget the previous process's output and exit.
      return { ...f, agent: { state: 'running', pid: e.pid, startedAt: e.at }, tail: [], approvalRequested: false };
    case 'agentOutput': {
      const lines = e.line.split(/\r?\n/).map(plainAgentLine).filter((l) => l.length > 0);
      if (!lines.length) return f;
      const tail = [...f.tail, ...lines].slice(-TAIL_LINES);
      const approvalRequested = f.approvalRequested || lines.some((l) => APPROVAL_REQUEST_RE.test(l));
      return { ...f, tail, approvalRequested };
    }
    case 'agentStopRequested':
      return { ...f, agent: { ...f.agent, stopRequested: true } };
    case 'agentExited':
      return { ...f, agent: { ...f.agent, state: 'exited', exitCode: e.exitCode, signal: e.signal } };
    case 'csr': {
      const state: CsrFact = e.deleted ? 'absent' : e.csr.state;
      if (e.csr.name === f.clientCsrName) return { ...f, clientCsr: state };
      if (e.csr.name === f.servingCsrName) return { ...f, servingCsr: state };
      return f;
    }
    case 'node':
      if (e.name !== f.nodeName) return f;
      return { ...f, node: { registered: e.registered, ready: e.ready, reason: e.reason, message: e.message, heartbeat: e.heartbeat } };
    case 'apiServer':
      if (f.apiServer.reachable === e.reachable && f.apiServer.message === e.message) return f;
      return { ...f, apiServer: { reachable: e.reachable, message: e.message } };
  }
}

export interface JoinStep {
  id: JoinStepId;
  label: string;
  state: StepState;
  detail?: string;
}

export type JoinPhase = 'idle' | 'joining' | 'awaiting-approval' | 'ready' | 'failed' | 'stopped';

export interface JoinFailure {
  step: JoinStepId;
  /** One line: what went wrong. */
  reason: string;
  /** What to do about it. */
  hint?: string;
  exitCode?: number;
  /** The signal that ended the agent, when no exit code (e.g. SIGKILL). */
  signal?: string;
  /** Last output lines of the agent, when it exited. */
  tail?: string[];
  /** The agent still runs but will never get further (denied CSR): offer to stop it. */
  offerStop?: boolean;
}

export interface JoinProgress {
  phase: JoinPhase;
  steps: JoinStep[];
  /** The first step not yet done (undefined when Ready). */
  current?: JoinStepId;
  /** Set when the serving CSR waits for a person: Approve it by this name. */
  approve?: { csrName: string };
  failure?: JoinFailure;
  /**
   * Set while the API server does not answer and the agent runs: what is shown may be stale (a Ready node goes
   * NotReady when its agent cannot reach the API server). One line: why.
   */
  unreachable?: string;
}

/** Signals that end the agent without a failure: Stop (SIGINT, the one it handles), SIGTERM/SIGHUP (a terminal closing, kill). */
const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'];

const isApproved = (s: CsrFact) => s === 'approved' || s === 'issued';
const isDenied = (s: CsrFact) => s === 'denied' || s === 'failed';

/** Recognises the agent's typical last words, to say why it stopped and what to do. */
export function explainAgentOutput(tail: string[], f: Pick<JoinFacts, 'servingCsrName'>): { reason?: string; hint?: string } {
  const text = tail.join('\n');
  if (/address already in use|EADDRINUSE/i.test(text)) {
    return { reason: 'The port is in use.', hint: 'Stop whatever listens on it (another agent?) or set another port (krustlet.port / --port).' };
  }
  if (/error binding to /i.test(text)) {
    return { reason: 'The agent cannot listen on its address.', hint: 'Set a listen address of this machine (krustlet.addr / --addr, default 0.0.0.0) and a free port.' };
  }
  if (/unable to find default IP address|unable to get default node IP/i.test(text)) {
    return {
      reason: 'The agent found no node IP.',
      hint: 'Its hostname resolves to no address it may take (never a loopback one): set the node IP (KRUSTLET_NODE_IP / --node-ip), e.g. 172.17.0.1 for kind or 10.0.2.2 for minikube.',
    };
  }
  // bootstrapping/mod.rs: the watch on the CSR ends the agent when the CSR is deleted while it waits.
  if (/Serving CSR was deleted before it was approved/.test(text)) {
    return { reason: `CSR ${f.servingCsrName} was deleted before it was approved.`, hint: 'Start the agent again: it asks anew (then approve the new CSR).' };
  }
  if (/Authentication CSR was deleted before it was approved/.test(text)) {
    return { reason: 'The client CSR was deleted before it was approved.', hint: 'Start the agent again: it asks anew (check the bootstrap RBAC if it is not approved by itself).' };
  }
  if (/already exists/i.test(text) && text.includes(f.servingCsrName)) {
    return { reason: `CSR ${f.servingCsrName} already existed from an earlier run.`, hint: `Delete CSR ${f.servingCsrName}, then start the agent again.` };
  }
  if (/bootstrap file .* does not exist|No such file or directory/i.test(text)) {
    return { reason: 'A file the agent needs is missing.', hint: 'Run Bootstrap to write the bootstrap config, or fix the paths in the task.' };
  }
  if (/401|Unauthorized/i.test(text)) {
    return { reason: 'The API server rejected the agent’s credentials.', hint: 'The bootstrap token may have expired: run Bootstrap again.' };
  }
  if (/403|Forbidden|cannot create resource "certificatesigningrequests"/i.test(text)) {
    return { reason: 'The agent is not allowed to do this.', hint: 'The cluster may lack the bootstrap RBAC bindings: run the preflight check and apply them.' };
  }
  return {};
}

/**
 * A Ready Node counts for this run only once the agent started and wrote its heartbeat after that (a
 * Node left Ready by an earlier run stays Ready for a while). Heartbeats have whole seconds.
 */
function heartbeatIsFresh(f: JoinFacts): boolean {
  if (f.agent.state === 'not-started') return false;
  const started = f.agent.startedAt;
  const beat = f.node.heartbeat;
  if (!started || !beat) return true;
  return beat.getTime() >= Math.floor(started.getTime() / 1000) * 1000;
}

/** Pure: steps, phase and failure from the facts. */
export function deriveJoinProgress(f: JoinFacts): JoinProgress {
  const agentRan = f.agent.state !== 'not-started';
  const skipClient = f.kubeconfig && f.clientCsr === 'absent';
  const servingDone = f.certFile;
  const done: Record<JoinStepId, boolean> = {
    tokenCreated: f.token === 'created' || f.bootstrapConfig || f.kubeconfig,
    bootstrapConfigWritten: f.bootstrapConfig || f.kubeconfig,
    agentRunning: agentRan,
    clientCsrApproved: isApproved(f.clientCsr) || f.kubeconfig,
    agentKubeconfigWritten: f.kubeconfig,
    servingCsrPending: f.servingCsr !== 'absent' || servingDone || f.approvalRequested,
    servingCsrApproved: isApproved(f.servingCsr) || servingDone,
    servingCertWritten: f.certFile && f.privateKeyFile,
    nodeReady: f.node.registered && f.node.ready === true && heartbeatIsFresh(f),
  };
  const skipped: Partial<Record<JoinStepId, string>> = {};
  if (skipClient) {
    skipped.tokenCreated = 'agent kubeconfig exists: no token needed';
    skipped.bootstrapConfigWritten = 'agent kubeconfig exists: bootstrap skipped';
    skipped.clientCsrApproved = 'agent kubeconfig exists: bootstrap skipped';
  }
  if (f.certFile && f.servingCsr === 'absent' && !f.approvalRequested) {
    skipped.servingCsrPending = 'serving certificate exists: no CSR needed';
    skipped.servingCsrApproved = 'serving certificate exists: no CSR needed';
  }

  // Failures, the most specific first.
  let failure: JoinFailure | undefined;
  if (isDenied(f.clientCsr) && !f.kubeconfig) {
    failure = {
      step: 'clientCsrApproved',
      reason: `CSR ${f.clientCsrName} was ${f.clientCsr}: the agent will wait forever.`,
      hint: `Stop the agent, delete CSR ${f.clientCsrName}, check the bootstrap RBAC, then start again.`,
      offerStop: f.agent.state === 'running',
    };
  } else if (isDenied(f.servingCsr) && !f.certFile) {
    failure = {
      step: 'servingCsrApproved',
      reason: `CSR ${f.servingCsrName} was ${f.servingCsr}: the agent will wait forever.`,
      hint: `Stop the agent, delete CSR ${f.servingCsrName}, then start again (and approve it).`,
      offerStop: f.agent.state === 'running',
    };
  } else if ((f.token === 'expired' || f.token === 'missing') && !f.kubeconfig) {
    failure = {
      step: 'tokenCreated',
      reason: f.token === 'expired' ? 'The bootstrap token has expired.' : 'The bootstrap token no longer exists in the cluster.',
      hint: 'Run Bootstrap again for a new token and bootstrap config.',
    };
  }

  const firstOpen = JOIN_STEPS.find((s) => !done[s.id] && !skipped[s.id])?.id;
  // A stopped agent is not a failure; one that exits on its own with an error is, even after Ready
  // (its node goes NotReady).
  if (!failure && f.agent.state === 'exited' && (!done.nodeReady || (f.agent.exitCode !== undefined && f.agent.exitCode !== 0 && !f.agent.stopRequested))) {
    const a = f.agent;
    // The real agent handles only SIGINT (and only once its node runs); SIGTERM or SIGHUP end it by the signal
    // itself: from someone else that is a stop too. Any other signal (SIGKILL, SIGSEGV, SIGABRT …) is a failure.
    const stopped = a.stopRequested || a.exitCode === 0 || (a.exitCode === undefined && STOP_SIGNALS.includes(a.signal ?? ''));
    if (!stopped) {
      const why = explainAgentOutput(f.tail, f);
      let reason: string;
      if (a.exitCode === PANIC_EXIT_CODE) {
        const said = panicMessage(f.tail);
        reason = `The agent panicked (exit code ${PANIC_EXIT_CODE})${why.reason ? `: ${why.reason}` : said ? `: “${said}”` : '.'}`;
      } else if (a.exitCode !== undefined) {
        reason = `The agent exited with code ${a.exitCode}${why.reason ? `: ${why.reason}` : '.'}`;
      } else {
        reason = `The agent was killed by signal ${a.signal ?? 'unknown'}${why.reason ? `: ${why.reason}` : '.'}`;
      }
      failure = {
        step: firstOpen ?? 'agentRunning',
        reason,
        hint: why.hint ?? (a.exitCode === undefined && a.signal === 'SIGKILL' ? 'Something killed it (the kernel’s out-of-memory killer, or kill -9): see the system log.' : undefined),
        exitCode: f.agent.exitCode,
        signal: f.agent.exitCode === undefined ? f.agent.signal : undefined,
        tail: f.tail.slice(-10),
      };
    }
  }
  // An agent that stops after Ready is not a failure, but the node will go NotReady.

  const steps: JoinStep[] = JOIN_STEPS.map(({ id, label }) => {
    let state: StepState;
    let detail: string | undefined;
    if (failure && failure.step === id) {
      state = 'failed';
      detail = failure.reason;
    } else if (skipped[id]) {
      state = 'skipped';
      detail = skipped[id];
    } else if (done[id]) {
      state = 'done';
    } else if (id === firstOpen && f.agent.state === 'running') {
      state = 'active';
    } else {
      state = 'waiting';
    }
    if (!detail) detail = stepDetail(id, f);
    return { id, label, state, detail };
  });

  const approve =
    !failure && f.servingCsr === 'pending' && !f.certFile ? { csrName: f.servingCsrName } : undefined;
  let phase: JoinPhase;
  if (failure) phase = 'failed';
  else if (done.nodeReady) phase = f.agent.state === 'exited' ? 'stopped' : 'ready';
  else if (f.agent.state === 'exited') phase = 'stopped';
  else if (approve) phase = 'awaiting-approval';
  else if (f.agent.state === 'running') phase = 'joining';
  else phase = 'idle';

  const current = done.nodeReady ? undefined : firstOpen;
  const unreachable =
    !f.apiServer.reachable && f.agent.state === 'running' && phase !== 'failed' ? `The API server is unreachable${f.apiServer.message ? ` (${f.apiServer.message})` : ''}.` : undefined;
  return { phase, steps, current, approve, failure, ...(unreachable ? { unreachable } : {}) };
}

function stepDetail(id: JoinStepId, f: JoinFacts): string | undefined {
  switch (id) {
    case 'agentRunning':
      return f.agent.state === 'running' ? (f.agent.pid ? `pid ${f.agent.pid}` : undefined) : f.agent.state === 'exited' ? `exited (${f.agent.exitCode ?? f.agent.signal})` : undefined;
    case 'clientCsrApproved':
      return f.clientCsr !== 'absent' ? `${f.clientCsrName}: ${f.clientCsr}` : undefined;
    case 'servingCsrPending':
    case 'servingCsrApproved':
      return f.servingCsr !== 'absent' ? `${f.servingCsrName}: ${f.servingCsr}` : undefined;
    case 'nodeReady':
      if (!f.node.registered) return undefined;
      if (!f.apiServer.reachable) return `${f.nodeName}: unknown, the API server is unreachable`;
      if (!f.node.ready) return `${f.nodeName} registered, not Ready${f.node.reason ? ` (${f.node.reason})` : ''}`;
      return heartbeatIsFresh(f) ? `${f.nodeName} Ready` : `${f.nodeName} Ready from an earlier run`;
    default:
      return undefined;
  }
}

/** Convenience for consumers: a model that keeps its facts and tells listeners about changes. */
export class JoinProgressModel {
  #facts: JoinFacts;
  #listeners = new Set<(p: JoinProgress, f: JoinFacts) => void>();

  constructor(r: Pick<ResolvedAgentOptions, 'clientCsrName' | 'servingCsrName' | 'nodeName'>) {
    this.#facts = initialJoinFacts(r);
  }
  get facts(): JoinFacts {
    return this.#facts;
  }
  get progress(): JoinProgress {
    return deriveJoinProgress(this.#facts);
  }
  apply(e: JoinEvent): JoinProgress {
    const next = applyJoinEvent(this.#facts, e);
    if (next !== this.#facts) {
      this.#facts = next;
      const p = deriveJoinProgress(next);
      for (const l of this.#listeners) l(p, next);
      return p;
    }
    return deriveJoinProgress(next);
  }
  onChange(listener: (p: JoinProgress, f: JoinFacts) => void): { dispose(): void } {
    this.#listeners.add(listener);
    return { dispose: () => this.#listeners.delete(listener) };
  }
}
