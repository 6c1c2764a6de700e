/** The one kubectl() of the test tiers: the real kubectl against a kubeconfig, stdin optional. */
import { execFile } from 'node:child_process';

/** kubectl exited non-zero: its exit code and both outputs (`auth can-i` answers "no" this way). */
export class KubectlError extends Error {
  constructor(
    message: string,
    readonly code: number,
    readonly stdout: string,
    readonly stderr: string,
  ) {
    super(message);
    this.name = 'KubectlError';
  }
}

/** Runs `kubectl --kubeconfig FILE ARGS…`; resolves with stdout, rejects with a KubectlError. */
export function kubectl(kubeconfig: string, args: string[], input?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile('kubectl', ['--kubeconfig', kubeconfig, ...args], { timeout: 30_000 }, (err, stdout, stderr) => {
      if (!err) return resolve(stdout);
      const code = typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : -1;
      reject(new KubectlError(`kubectl ${args.join(' ')}: ${stderr.trim() || err.message}`, code, stdout, stderr));
    });
    if (input !== undefined) child.stdin?.end(input);
  });
}
