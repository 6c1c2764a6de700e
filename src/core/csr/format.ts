/** Small display helpers shared by the tree, the tooltip and the CLI. */

export const SIGNER_KUBELET_SERVING = 'kubernetes.io/kubelet-serving';
export const SIGNER_KUBELET_CLIENT = 'kubernetes.io/kube-apiserver-client-kubelet';
export const SIGNER_APISERVER_CLIENT = 'kubernetes.io/kube-apiserver-client';
export const SIGNER_LEGACY_UNKNOWN = 'kubernetes.io/legacy-unknown';

const SHORT_SIGNERS: Record<string, string> = {
  [SIGNER_KUBELET_SERVING]: 'kubelet-serving',
  [SIGNER_KUBELET_CLIENT]: 'kubelet-client',
  [SIGNER_APISERVER_CLIENT]: 'apiserver-client',
  [SIGNER_LEGACY_UNKNOWN]: 'legacy-unknown',
};

/** `kubernetes.io/kubelet-serving` → `kubelet-serving`; unknown signers are returned unchanged. */
export function shortSignerName(signer: string): string {
  return SHORT_SIGNERS[signer] ?? signer;
}

/**
 * Age the way kubectl prints it: `45s`, `3m20s`, `42m`, `5h10m`, `20h`, `3d4h`, `120d`, `2y30d`.
 * Future dates (clock skew) read as `0s`.
 */
export function formatAge(from: Date, now: Date = new Date()): string {
  const s = Math.max(0, Math.floor((now.getTime() - from.getTime()) / 1000));
  return humanDuration(s);
}

/** A duration in seconds, kubectl style (see {@link formatAge}). */
export function humanDuration(totalSeconds: number): string {
  const s = Math.max(0, Math.floor(totalSeconds));
  const m = Math.floor(s / 60);
  const h = Math.floor(s / 3600);
  const d = Math.floor(s / 86400);
  if (s < 120) return `${s}s`;
  if (m < 10) return s % 60 === 0 ? `${m}m` : `${m}m${s % 60}s`;
  if (h < 3) return `${m}m`;
  if (h < 8) return m % 60 === 0 ? `${h}h` : `${h}h${m % 60}m`;
  if (h < 48) return `${h}h`;
  if (h < 192) return h % 24 === 0 ? `${d}d` : `${d}d${h % 24}h`;
  if (d < 365 * 2) return `${d}d`;
  const y = Math.floor(d / 365);
  return d % 365 === 0 ? `${y}y` : `${y}y${d % 365}d`;
}

/** A requested certificate lifetime: `1h`, `24h`, `30d`, `365d` (exact, not rounded like an age). */
export function formatLifetime(seconds: number): string {
  if (seconds % 86400 === 0 && seconds >= 2 * 86400) return `${seconds / 86400}d`;
  if (seconds % 3600 === 0) return `${seconds / 3600}h`;
  if (seconds % 60 === 0) return `${seconds / 60}m`;
  return `${seconds}s`;
}
