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
  /** Registered by the agent feature (src/vscode/agent); Bootstrap offers it when present. */
  startAgent: 'krustlet.startAgent',
} as const;

export const Views = {
  container: 'krustlet',
  cluster: 'krustlet.clusterView',
} as const;

/** Context keys set with `setContext`, read by `viewsWelcome` and menus `when` clauses. */
export const ContextKeys = {
  /** One of {@link ConnectionKind}. */
  state: 'krustlet.state',
} as const;

/** The values of the `krustlet.state` context key. */
export type ConnectionKind = 'idle' | 'connecting' | 'connected' | 'noKubeconfig' | 'unreachable' | 'forbidden' | 'error';

/**
 * The fixed set of tree-item contextValues. Menus match them exactly (`viewItem == csr.pending`);
 * nothing concatenates or regex-matches them.
 */
export const ContextValues = {
  cluster: 'cluster',
  tokensGroup: 'group.tokens',
  csrsGroup: 'group.csrs',
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
  agentPath: 'agentPath',
} as const;

export const DEFAULT_BOOTSTRAP_CONFIG_PATH = '.krustlet/bootstrap.conf';
export const DEFAULT_TOKEN_TTL = '1h';

/** workspaceState keys. */
export const StateKeys = {
  gitignoreOffered: 'krustlet.gitignoreOffered',
  bootstrappedHostnames: 'krustlet.bootstrappedHostnames',
} as const;

export const KUBELET_SERVING_SIGNER = 'kubernetes.io/kubelet-serving';
