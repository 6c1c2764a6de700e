/**
 * The cluster adapter: the one place that owns @kubernetes/client-node. Everything else sees plain
 * data (src/core/types.ts). `connect()` loads client-node lazily.
 */
export { connect, Cluster, DEFAULT_TIMEOUT_MS, type ConnectOptions, type RequestOptions } from './connect';
export { secretToTokenInfo, type ListTokensOptions } from './tokens';
export { toCsrInfo, csrState, CSR_PATH, type CreateCsrOptions, type V1Csr } from './csr';
export type { ClusterRoleBindingInfo, RbacSubject } from './rbac';
export type { AccessAttributes, AccessResult, TokenReviewResult } from './access';
export { parseForbidden } from './errors';
