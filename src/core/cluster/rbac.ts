/** ClusterRoleBindings: read, list, create (idempotent). */
import { isKrustletError } from '../errors';
import type { Transport } from './transport';

const CRB_PATH = '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings';

export interface RbacSubject {
  kind: 'Group' | 'User' | 'ServiceAccount';
  name: string;
  namespace?: string;
}

export interface ClusterRoleBindingInfo {
  name: string;
  roleRef: { kind: 'ClusterRole'; name: string };
  subjects: RbacSubject[];
}

interface V1ClusterRoleBinding {
  metadata?: { name?: string };
  roleRef?: { kind?: string; name?: string };
  subjects?: { kind?: string; name?: string; namespace?: string }[];
}

function toInfo(b: V1ClusterRoleBinding): ClusterRoleBindingInfo {
  return {
    name: b.metadata?.name ?? '',
    roleRef: { kind: 'ClusterRole', name: b.roleRef?.name ?? '' },
    subjects: (b.subjects ?? []).map((s) => {
      const out: RbacSubject = { kind: (s.kind ?? 'User') as RbacSubject['kind'], name: s.name ?? '' };
      if (s.namespace) out.namespace = s.namespace;
      return out;
    }),
  };
}

export async function listClusterRoleBindings(t: Transport): Promise<ClusterRoleBindingInfo[]> {
  const list = await t.request<{ items?: V1ClusterRoleBinding[] }>('GET', CRB_PATH);
  return (list.items ?? []).map(toInfo);
}

export async function getClusterRoleBinding(t: Transport, name: string): Promise<ClusterRoleBindingInfo | undefined> {
  try {
    return toInfo(await t.request<V1ClusterRoleBinding>('GET', `${CRB_PATH}/${encodeURIComponent(name)}`));
  } catch (e) {
    if (isKrustletError(e, 'not-found')) return undefined;
    throw e;
  }
}

/** Creates the binding; 'exists' when one with that name is already there (it is left unchanged). */
export async function createClusterRoleBinding(t: Transport, b: ClusterRoleBindingInfo): Promise<'created' | 'exists'> {
  try {
    await t.request('POST', CRB_PATH, {
      body: {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRoleBinding',
        metadata: { name: b.name },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: b.roleRef.name },
        subjects: b.subjects.map((s) => (s.kind === 'ServiceAccount' ? s : { ...s, apiGroup: 'rbac.authorization.k8s.io' })),
      },
    });
    return 'created';
  } catch (e) {
    if (isKrustletError(e, 'conflict')) return 'exists';
    throw e;
  }
}
