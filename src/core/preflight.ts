/**
 * Preflight: can the current identity do what bootstrapping needs, are kubeadm's bootstrap RBAC
 * bindings there, and does the API server accept a bootstrap token? Each finding says what was
 * found and how to fix it. `applyBootstrapRbac` is the explicit opt-in that creates the bindings.
 */
import { describeError, isKrustletError } from './errors';
import type { Cluster } from './cluster';
import type { AccessAttributes } from './cluster';
import { DEFAULT_EXTRA_GROUP, TOKEN_NAMESPACE, formatToken } from './token';
import type { BootstrapToken, PreflightFinding } from './types';

export interface BootstrapBinding {
  name: string;
  role: string;
  group: string;
  why: string;
}

/** kubeadm's three ClusterRoleBindings (kind and minikube have them; plain clusters do not). */
export const BOOTSTRAP_BINDINGS: readonly BootstrapBinding[] = [
  {
    name: 'kubeadm:kubelet-bootstrap',
    role: 'system:node-bootstrapper',
    group: DEFAULT_EXTRA_GROUP,
    why: 'lets bootstrap tokens create certificate signing requests',
  },
  {
    name: 'kubeadm:node-autoapprove-bootstrap',
    role: 'system:certificates.k8s.io:certificatesigningrequests:nodeclient',
    group: DEFAULT_EXTRA_GROUP,
    why: "lets the cluster approve a new node's first client certificate automatically",
  },
  {
    name: 'kubeadm:node-autoapprove-certificate-rotation',
    role: 'system:certificates.k8s.io:certificatesigningrequests:selfnodeclient',
    group: 'system:nodes',
    why: 'lets the cluster approve renewals of node client certificates automatically',
  },
];

interface PermissionCheck {
  id: string;
  attrs: AccessAttributes;
  what: string;
  needed: string;
}

const PERMISSIONS: PermissionCheck[] = [
  {
    id: 'create-secrets',
    attrs: { verb: 'create', group: '', resource: 'secrets', namespace: TOKEN_NAMESPACE },
    what: `create Secrets in ${TOKEN_NAMESPACE}`,
    needed: 'needed to create bootstrap tokens',
  },
  {
    id: 'list-csrs',
    attrs: { verb: 'list', group: 'certificates.k8s.io', resource: 'certificatesigningrequests' },
    what: 'list CertificateSigningRequests',
    needed: 'needed to see joining nodes',
  },
  {
    id: 'watch-csrs',
    attrs: { verb: 'watch', group: 'certificates.k8s.io', resource: 'certificatesigningrequests' },
    what: 'watch CertificateSigningRequests',
    needed: 'needed to follow joining nodes live',
  },
  {
    id: 'approve-csrs',
    attrs: { verb: 'update', group: 'certificates.k8s.io', resource: 'certificatesigningrequests', subresource: 'approval' },
    what: 'update certificatesigningrequests/approval',
    needed: 'needed to approve or deny CSRs',
  },
  {
    id: 'approve-serving-signer',
    attrs: { verb: 'approve', group: 'certificates.k8s.io', resource: 'signers', name: 'kubernetes.io/kubelet-serving' },
    what: "approve for signer 'kubernetes.io/kubelet-serving'",
    needed: "needed to approve the node's serving certificate",
  },
];

function rbacRule(p: PermissionCheck): string {
  const a = p.attrs;
  const res = a.subresource ? `${a.resource}/${a.subresource}` : a.resource;
  return `verb '${a.verb}' on ${res}${a.group ? ` (group ${a.group})` : ''}${a.name ? ` named ${a.name}` : ''}${a.namespace ? ` in namespace ${a.namespace}` : ''}`;
}

async function checkPermission(cluster: Cluster, p: PermissionCheck): Promise<PreflightFinding> {
  try {
    const r = await cluster.accessReview(p.attrs);
    if (r.allowed) return { id: p.id, ok: true, message: `You may ${p.what}.` };
    return {
      id: p.id,
      ok: false,
      message: `You may not ${p.what} (${p.needed}).`,
      fix: `Ask a cluster admin for a Role/ClusterRole granting ${rbacRule(p)}, or use a context with more rights.`,
      action: { kind: 'ask-admin', data: { permission: rbacRule(p) } },
    };
  } catch (e) {
    if (isKrustletError(e, 'unreachable') || isKrustletError(e, 'timeout') || isKrustletError(e, 'unauthorized')) throw e;
    return { id: p.id, ok: false, message: `Could not check whether you may ${p.what}: ${describeError(e)}`, fix: 'Retry, or check the permission with kubectl auth can-i.', action: { kind: 'retry' } };
  }
}

/** Which of kubeadm's bindings are missing (by effect: any binding of that role to that group counts). */
async function checkBootstrapBindings(cluster: Cluster): Promise<PreflightFinding[]> {
  let bindings;
  try {
    bindings = await cluster.listClusterRoleBindings();
  } catch (e) {
    if (isKrustletError(e, 'unreachable') || isKrustletError(e, 'timeout') || isKrustletError(e, 'unauthorized')) throw e;
    return BOOTSTRAP_BINDINGS.map((b) => ({
      id: `binding:${b.name}`,
      ok: false,
      message: `Could not check for the ${b.name} binding: ${describeError(e)}`,
      fix: 'Use a context that may list clusterrolebindings, or ask a cluster admin to check.',
      action: { kind: 'select-context' },
    }));
  }
  return BOOTSTRAP_BINDINGS.map((b) => {
    const found = bindings.find((x) => x.roleRef.name === b.role && x.subjects.some((s) => s.kind === 'Group' && s.name === b.group));
    if (found) {
      return { id: `binding:${b.name}`, ok: true, message: `ClusterRole ${b.role} is bound to group ${b.group} (${found.name}).` };
    }
    return {
      id: `binding:${b.name}`,
      ok: false,
      message: `No binding of ClusterRole ${b.role} to group ${b.group}: nothing ${b.why}.`,
      fix: `By hand: kubectl create clusterrolebinding ${b.name} --clusterrole=${b.role} --group=${b.group}`,
      action: { kind: 'apply-rbac' },
    };
  });
}

/** A finding that kubeadm's bootstrap bindings are missing (Apply RBAC fixes it); "could not check" is not one. */
export function isRbacFinding(f: PreflightFinding): boolean {
  return !f.ok && f.id.startsWith('binding:') && f.action?.kind === 'apply-rbac';
}

/** The permission checks (SelfSubjectAccessReview) and the RBAC bindings. */
export async function runPreflight(cluster: Cluster): Promise<PreflightFinding[]> {
  // All at once: one round trip's time, not two (Bootstrap runs it before anything is created).
  const [perms, bindings] = await Promise.all([Promise.all(PERMISSIONS.map((p) => checkPermission(cluster, p))), checkBootstrapBindings(cluster)]);
  return [...perms, ...bindings];
}

export interface RbacApplyResult {
  name: string;
  result: 'created' | 'exists';
}

/** Creates kubeadm's three ClusterRoleBindings; those already present are left alone (idempotent). */
export async function applyBootstrapRbac(cluster: Cluster): Promise<RbacApplyResult[]> {
  const out: RbacApplyResult[] = [];
  for (const b of BOOTSTRAP_BINDINGS) {
    const result = await cluster.createClusterRoleBinding({
      name: b.name,
      roleRef: { kind: 'ClusterRole', name: b.role },
      subjects: [{ kind: 'Group', name: b.group }],
    });
    out.push({ name: b.name, result });
  }
  return out;
}

export interface TokenCheck {
  authenticated: boolean;
  /** Whether the token may create CSRs (undefined when it did not authenticate). */
  canCreateCsrs?: boolean;
  /** From a TokenReview, when the current identity may make one. */
  username?: string;
  groups?: string[];
  findings: PreflightFinding[];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Makes a request as the token (a SelfSubjectAccessReview for creating CSRs). A fresh token may take
 * a moment to reach the API server's authenticator cache, so a 401 is retried a few times.
 */
export async function verifyTokenAuth(cluster: Cluster, token: BootstrapToken, opts: { attempts?: number; delayMs?: number } = {}): Promise<TokenCheck> {
  const asToken = await cluster.asToken(token);
  const attempts = opts.attempts ?? 8;
  for (let i = 0; ; i++) {
    try {
      const r = await asToken.accessReview({ verb: 'create', group: 'certificates.k8s.io', resource: 'certificatesigningrequests' });
      const check: TokenCheck = {
        authenticated: true,
        canCreateCsrs: r.allowed,
        findings: [
          { id: 'token-auth', ok: true, message: `The API server accepts bootstrap token ${token.id}.` },
          r.allowed
            ? { id: 'token-can-create-csrs', ok: true, message: 'The token may create certificate signing requests.' }
            : {
                id: 'token-can-create-csrs',
                ok: false,
                message: 'The token authenticates but may not create certificate signing requests, so the node cannot ask for its certificate.',
                fix: "kubeadm's kubelet-bootstrap binding (system:node-bootstrapper for the token's group) allows it.",
                action: { kind: 'apply-rbac' },
              },
        ],
      };
      try {
        const review = await cluster.tokenReview(formatToken(token));
        if (review.username) check.username = review.username;
        check.groups = review.groups;
      } catch {
        // optional: the current identity may not create TokenReviews
      }
      return check;
    } catch (e) {
      if (isKrustletError(e, 'unauthorized')) {
        if (i + 1 < attempts) {
          await sleep(opts.delayMs ?? 250);
          continue;
        }
        return {
          authenticated: false,
          findings: [
            {
              id: 'token-auth',
              ok: false,
              message: `The API server rejects bootstrap token ${token.id} (401): bootstrap-token authentication is probably disabled.`,
              fix: 'Start kube-apiserver with --enable-bootstrap-token-auth (off by default on some distributions, e.g. microk8s and k3d).',
            },
          ],
        };
      }
      throw e;
    }
  }
}
