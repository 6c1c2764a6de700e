/** kube-public/cluster-info: read it, and create it as kubeadm does (the ConfigMap, and the Role + RoleBinding that let anonymous joiners read it). */
import { isKrustletError } from '../errors';
import type { Transport } from './transport';

export const CLUSTER_INFO_NAMESPACE = 'kube-public';
export const CLUSTER_INFO_NAME = 'cluster-info';
/** kubeadm's name for the Role and RoleBinding (phases/bootstraptoken/clusterinfo: BootstrapSignerClusterRoleName). */
export const CLUSTER_INFO_ROLE = 'kubeadm:bootstrap-signer-clusterinfo';

const CM_PATH = `/api/v1/namespaces/${CLUSTER_INFO_NAMESPACE}/configmaps`;
const RBAC_PATH = `/apis/rbac.authorization.k8s.io/v1/namespaces/${CLUSTER_INFO_NAMESPACE}`;

/** The ConfigMap's data, or undefined when there is no cluster-info ConfigMap. */
export async function getClusterInfo(t: Transport): Promise<Record<string, string> | undefined> {
  try {
    const cm = await t.request<{ data?: Record<string, string> }>('GET', `${CM_PATH}/${CLUSTER_INFO_NAME}`);
    return cm.data ?? {};
  } catch (e) {
    if (isKrustletError(e, 'not-found')) return undefined;
    throw e;
  }
}

async function createOrKeep(t: Transport, path: string, body: unknown): Promise<'created' | 'exists'> {
  try {
    await t.request('POST', path, { body });
    return 'created';
  } catch (e) {
    if (isKrustletError(e, 'conflict')) return 'exists';
    throw e;
  }
}

export interface ClusterInfoCreateResult {
  configMap: 'created' | 'exists';
  role: 'created' | 'exists';
  roleBinding: 'created' | 'exists';
}

/** Creates what is missing; an existing ConfigMap, Role or RoleBinding is left unchanged. */
export async function createClusterInfo(t: Transport, kubeconfig: string): Promise<ClusterInfoCreateResult> {
  const configMap = await createOrKeep(t, CM_PATH, {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: CLUSTER_INFO_NAME, namespace: CLUSTER_INFO_NAMESPACE },
    data: { kubeconfig },
  });
  const role = await createOrKeep(t, `${RBAC_PATH}/roles`, {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'Role',
    metadata: { name: CLUSTER_INFO_ROLE, namespace: CLUSTER_INFO_NAMESPACE },
    rules: [{ verbs: ['get'], apiGroups: [''], resources: ['configmaps'], resourceNames: [CLUSTER_INFO_NAME] }],
  });
  const roleBinding = await createOrKeep(t, `${RBAC_PATH}/rolebindings`, {
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'RoleBinding',
    metadata: { name: CLUSTER_INFO_ROLE, namespace: CLUSTER_INFO_NAMESPACE },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: CLUSTER_INFO_ROLE },
    subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'system:anonymous' }],
  });
  return { configMap, role, roleBinding };
}
