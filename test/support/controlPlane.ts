// A real, throwaway Kubernetes control plane (etcd + kube-apiserver + kube-controller-manager) for tests,
// the bench and `npm start`. Wraps scripts/cluster/provision.sh (binaries, cached outside the repo) and
// scripts/cluster/controlplane.mjs (start/stop on 127.0.0.1 with a fresh PKI and etcd data dir).
//
//   const cp = await startControlPlane();
//   ... use cp.kubeconfigPath (admin, CA referenced by file path: cp.caPath) ...
//   await cp.stop();
//
// kubeadm's bootstrap RBAC bindings are deliberately NOT created: a fresh cluster lacks them.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { killGroupsSync } from './process';

export interface ControlPlane {
  /** Folder holding admin.kubeconfig, state.json, pki/, logs/, etcd/. */
  dir: string;
  /** Admin kubeconfig (user kubernetes-admin in group system:masters; context krustlet-local-admin). */
  kubeconfigPath: string;
  /** https://127.0.0.1:PORT */
  server: string;
  /** The cluster CA certificate (PEM file). */
  caPath: string;
  clusterName: string;
  contextName: string;
  /** PIDs (each the leader of its own process group) of etcd, kube-apiserver, kube-controller-manager. */
  pids: Record<string, number>;
  /** Log file per process. */
  logs: Record<string, string>;
  /** Idempotent; kills the processes and waits for them. Removes `dir` only if startControlPlane made it. */
  stop(): Promise<void>;
  /** Kills one process (its process group) with SIGKILL, as a crash would, and waits until it is gone. */
  kill(name: ControlPlaneProcess): Promise<void>;
  /** Starts every killed process again with its command line (same port, PKI and data) and waits until it answers. */
  revive(): Promise<void>;
}

export type ControlPlaneProcess = 'etcd' | 'kube-apiserver' | 'kube-controller-manager';

export interface StartOptions {
  /** Where to put everything; default a fresh temp folder (removed again by stop()). */
  dir?: string;
  /**
   * kube-controller-manager's --controllers. Default '*,bootstrapsigner,tokencleaner' (as kubeadm runs it);
   * '*' is kube-controller-manager's own default: no bootstrapsigner (cluster-info unsigned), no tokencleaner.
   */
  controllers?: string;
}

interface StateFile {
  dir: string;
  server: string;
  kubeconfigPath: string;
  caPath: string;
  clusterName: string;
  contextName: string;
  pids: Record<string, number>;
  logs: Record<string, string>;
}

function repoRoot(): string {
  // Works from test/support (ts-node/tsx) and from out/test/support (compiled).
  let d = __dirname;
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(d, 'scripts', 'cluster', 'controlplane.mjs'))) return d;
    d = dirname(d);
  }
  throw new Error(`scripts/cluster/controlplane.mjs not found above ${__dirname}`);
}

function run(cmd: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((res, rej) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
    child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
    child.on('error', rej);
    child.on('close', (code) => res({ code: code ?? 1, stdout, stderr }));
  });
}

const lastLine = (s: string): string => s.trimEnd().split('\n').pop() ?? '';

/** Makes sure etcd, kube-apiserver and kube-controller-manager exist; returns their folder. */
export async function provisionControlPlaneBinaries(): Promise<string> {
  const r = await run('bash', [join(repoRoot(), 'scripts', 'cluster', 'provision.sh')]);
  if (r.code !== 0) throw new Error(`provision.sh failed (exit ${r.code}):\n${r.stderr.slice(-4000)}`);
  return lastLine(r.stdout);
}

// Every running control plane, so a crashing test process still takes them down with it.
const running = new Map<string, Record<string, number>>();
let hooked = false;


// Temp folders made by startControlPlane and not yet removed by stop().
const ownDirs = new Set<string>();

function killAllSync(): void {
  killGroupsSync([...running.values()].flatMap((pids) => Object.values(pids)));
  running.clear();
  if (process.env.KRUSTLET_KEEP_CLUSTER_DIR !== '1') {
    for (const d of ownDirs) rmSync(d, { recursive: true, force: true });
  }
  ownDirs.clear();
}

function hookExit(): void {
  if (hooked) return;
  hooked = true;
  process.on('exit', killAllSync);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const onSignal = (): void => {
      killAllSync();
      process.removeListener(sig, onSignal);
      // With no other listener left, re-raising gives the default behaviour (terminate).
      if (process.listenerCount(sig) === 0) process.kill(process.pid, sig);
    };
    process.on(sig, onSignal);
  }
}

export async function startControlPlane(opts: StartOptions = {}): Promise<ControlPlane> {
  const root = repoRoot();
  const ownDir = !opts.dir;
  hookExit();
  const dir = resolve(opts.dir ?? mkdtempSync(join(tmpdir(), 'krustlet-cp-')));
  if (ownDir) ownDirs.add(dir);
  const bin = await provisionControlPlaneBinaries();
  const script = join(root, 'scripts', 'cluster', 'controlplane.mjs');
  const r = await run(process.execPath, [script, 'start', '--dir', dir, '--bin', bin, ...(opts.controllers ? ['--controllers', opts.controllers] : []), '--json']);
  if (r.code !== 0) {
    ownDirs.delete(dir); // kept for its logs
    throw new Error(`control plane did not start (exit ${r.code}); logs in ${join(dir, 'logs')}:\n${r.stderr.slice(-6000)}`);
  }
  const state = JSON.parse(lastLine(r.stdout)) as StateFile;
  running.set(dir, state.pids);

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      const s = await run(process.execPath, [script, 'stop', '--dir', dir]);
      if (s.code !== 0) killAllSyncFor(dir);
      running.delete(dir);
      if (s.code !== 0) throw new Error(`controlplane stop failed (exit ${s.code}): ${s.stderr.slice(-2000)}`);
      if (ownDir && process.env.KRUSTLET_KEEP_CLUSTER_DIR !== '1') rmSync(dir, { recursive: true, force: true });
      ownDirs.delete(dir);
    })();
    return stopping;
  };

  const pids = { ...state.pids };
  const kill = (name: ControlPlaneProcess): Promise<void> => {
    const pid = pids[name];
    if (!pid) return Promise.reject(new Error(`no ${name} in this control plane`));
    killGroupsSync([pid]);
    return Promise.resolve();
  };
  const revive = async (): Promise<void> => {
    const r = await run(process.execPath, [script, 'revive', '--dir', dir, '--json']);
    if (r.code !== 0) throw new Error(`controlplane revive failed (exit ${r.code}): ${r.stderr.slice(-4000)}`);
    const revived = JSON.parse(lastLine(r.stdout)) as StateFile;
    Object.assign(pids, revived.pids);
    running.set(dir, { ...pids });
  };

  return {
    dir,
    kubeconfigPath: state.kubeconfigPath,
    server: state.server,
    caPath: state.caPath,
    clusterName: state.clusterName,
    contextName: state.contextName,
    pids,
    logs: state.logs,
    stop,
    kill,
    revive,
  };
}

function killAllSyncFor(dir: string): void {
  killGroupsSync(Object.values(running.get(dir) ?? {}));
}
