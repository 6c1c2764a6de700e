/**
 * Every id the manifest (package.json `contributes`) and the code share: commands, views, context keys,
 * tree-item contextValues and settings. One place, so a rename cannot leave a menu pointing nowhere.
 */

export const EXTENSION_ID = 'krustlet-tools.krustlet-bootstrap';

export const Commands = {
  bootstrap: 'krustlet.bootstrap',
  refresh: 'krustlet.refresh',
  approveCsr: 'krustlet.approveCsr',
  denyCsr: 'krustlet.denyCsr',
  reviewCsr: 'krustlet.reviewCsr',
  deleteCsr: 'krustlet.deleteCsr',
  copyToken: 'krustlet.copyToken',
  revokeToken: 'krustlet.revokeToken',
  selectContext: 'krustlet.selectContext',
  applyRbac: 'krustlet.applyRbac',
  runPreflight: 'krustlet.runPreflight',
  showLog: 'krustlet.showLog',
  // The agent feature (src/vscode/agent).
  startAgent: 'krustlet.startAgent',
  stopAgent: 'krustlet.stopAgent',
  showAgentProgress: 'krustlet.showAgentProgress',
  /** The agent node's inline Approve: approves the run's pending serving CSR (with the same review and confirmation). */
  approveAgentServingCsr: 'krustlet.approveAgentServingCsr',
} as const;

export type CommandId = (typeof Commands)[keyof typeof Commands];

/** Commands of VS Code itself (and of its built-in extensions) that the extension runs. */
export const BuiltinCommands = {
  setContext: 'setContext',
  openSettings: 'workbench.action.openSettings',
  openFolder: 'workbench.action.files.openFolder',
  focusTerminal: 'workbench.action.terminal.focus',
  searchExtensions: 'workbench.extensions.search',
  showMarkdownPreview: 'markdown.showPreview',
} as const;

export const Views = {
  container: 'krustlet',
  cluster: 'krustlet.clusterView',
} as const;

/** The status bar item that follows the agent's join progress. */
export const AGENT_STATUS_BAR_ID = 'krustlet.agentProgress';

/** The `krustlet` task type and debug type (package.json `taskDefinitions` and `debuggers`). */
export const TASK_TYPE = 'krustlet';
export const DEBUG_TYPE = 'krustlet';
/** The source and name of the task the provider offers (and Start Agent runs). */
export const TASK_SOURCE = 'krustlet';
export const TASK_NAME = 'run krustlet-wasi';

/** The URI scheme of the read-only CSR review documents (krustlet-csr:/<name>.md). */
export const REVIEW_SCHEME = 'krustlet-csr';

/** Context keys set with `setContext`, read by `viewsWelcome` and menus `when` clauses. */
export const ContextKeys = {
  /** One of {@link ConnectionKind}. */
  state: 'krustlet.state',
  /** True while a workspace folder's bootstrap config (bootstrap.conf) exists: the walkthrough's Bootstrap step. */
  bootstrapConfigExists: 'krustlet.bootstrapConfigExists',
} as const;

/** The values of the `krustlet.state` context key. */
export type ConnectionKind = 'idle' | 'connecting' | 'connected' | 'noKubeconfig' | 'unreachable' | 'forbidden' | 'error';

/**
 * The fixed set of tree-item contextValues. Menus match them exactly (`viewItem == csr.pending`);
 * nothing concatenates or regex-matches them.
 */
/** The reason on the Approved condition of a request krustlet.autoApproveIdenticalRenewals approved (the tree marks it). */
export const AUTO_RENEWAL_REASON = 'KrustletIdenticalRenewal';

export const ContextValues = {
  cluster: 'cluster',
  tokensGroup: 'group.tokens',
  csrsGroup: 'group.csrs',
  nodesGroup: 'group.nodes',
  /** A cluster Node (Ready or not). */
  node: 'node',
  /** A Node whose serving certificate expires soon (or did). */
  nodeCertExpiring: 'node.certExpiring',
  token: 'token',
  tokenExpired: 'token.expired',
  /** Pending and the review passes or only warns: approvable inline and in multi-select. */
  csrPending: 'csr.pending',
  /** Pending and the review fails (or the request does not decode): approval needs a modal confirmation. */
  csrPendingFailing: 'csr.pending.failing',
  csrApproved: 'csr.approved',
  csrIssued: 'csr.issued',
  csrDenied: 'csr.denied',
  csrFailed: 'csr.failed',
  message: 'message',
  /** The agent node: the serving CSR awaits approval (inline Approve + Stop Agent). */
  agentServingPending: 'agent.servingPending',
  /** The agent node: the agent runs (inline Stop Agent). */
  agentRunning: 'agent.running',
  /** The agent node: no agent process runs. */
  agentNotRunning: 'agent.notRunning',
  /** A join step under the agent node (no menus). */
  agentStep: 'agent.step',
} as const;

export type ContextValue = (typeof ContextValues)[keyof typeof ContextValues];

export const Settings = {
  section: 'krustlet',
  kubeconfig: 'kubeconfig',
  context: 'context',
  bootstrapConfigPath: 'bootstrapConfigPath',
  tokenTtl: 'tokenTtl',
  expectedHostnames: 'expectedHostnames',
  certificateExpiryWarningDays: 'certificateExpiryWarningDays',
  autoApproveIdenticalRenewals: 'autoApproveIdenticalRenewals',
  agentPath: 'agentPath',
} as const;

/** A setting's key under `krustlet.` (what config.ts reads). */
export type SettingKey = Exclude<(typeof Settings)[keyof typeof Settings], typeof Settings.section>;

export const DEFAULT_BOOTSTRAP_CONFIG_PATH = '.krustlet/bootstrap.conf';
export const DEFAULT_TOKEN_TTL = '1h';
export const DEFAULT_AGENT_PATH = 'krustlet-wasi';

/** workspaceState keys. */
export const StateKeys = {
  gitignoreOffered: 'krustlet.gitignoreOffered',
  bootstrappedHostnames: 'krustlet.bootstrappedHostnames',
  /** Start Agent's answers per workspace folder (node IP, data folder), reused on the next start. */
  agentOverrides: 'krustlet.agentOverrides',
} as const;
