/**
 * The cluster adapter: the one place that owns @kubernetes/client-node (reached only through
 * loadKube(), see connect.ts). Everything else sees plain data (src/core/types.ts). `connect()`
 * loads client-node lazily.
 */
export { connect, Cluster, type ConnectOptions } from './connect';
export { objectSegment, type RequestOptions } from './transport';
export { secretToTokenInfo, type ListTokensOptions } from './tokens';
export type { CreateCsrOptions } from './csr';
export type { ClusterRoleBindingInfo, RbacSubject } from './rbac';
export type { AccessAttributes, AccessResult, TokenReviewResult } from './access';
export { CLUSTER_INFO_NAME, CLUSTER_INFO_NAMESPACE, CLUSTER_INFO_ROLE, type ClusterInfoCreateResult } from './clusterInfo';
