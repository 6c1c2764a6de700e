/**
 * Event sources for the join progress, without VS Code: files appearing (fs.watch on their folders,
 * re-armed up the tree while a folder does not exist yet — no polling) and the Node object (the
 * core's list+watch informer, filtered to one name).
 */
import { watch, statSync, type FSWatcher } from 'node:fs';
import { dirname } from 'node:path';
import type { Cluster } from '../cluster';
import { createInformer } from '../cluster/informer';
import type { Logger } from '../log';
import type { JoinEvent } from './progress';

export interface Disposable {
  dispose(): void;
}

function existsNow(p: string): boolean {
  try {
    statSync(p);
    return true;
  } catch {
    return false;
  }
}

function nearestExisting(dir: string): string {
  let d = dir;
  while (!existsNow(d) && dirname(d) !== d) d = dirname(d);
  return d;
}

/**
 * Calls `onChange(path, exists)` once per path right away, then whenever a path appears or goes away.
 * Each path's folder is watched; a folder that does not exist yet is waited for by watching its
 * nearest existing ancestor.
 */
export function watchFiles(
  paths: string[],
  onChange: (path: string, exists: boolean) => void,
  opts: { log?: Logger; /** Keep the process alive while watching (default false). */ persistent?: boolean } = {},
): Disposable {
  const state = new Map<string, boolean>();
  const watchers = new Map<string, FSWatcher>();
  let disposed = false;

  const check = () => {
    if (disposed) return;
    for (const p of paths) {
      const now = existsNow(p);
      if (state.get(p) !== now) {
        state.set(p, now);
        onChange(p, now);
      }
    }
    arm();
  };

  const arm = () => {
    const wanted = new Set(paths.map((p) => nearestExisting(dirname(p))));
    for (const [dir, w] of watchers) {
      if (!wanted.has(dir)) {
        w.close();
        watchers.delete(dir);
      }
    }
    for (const dir of wanted) {
      if (watchers.has(dir)) continue;
      try {
        const w = watch(dir, { persistent: opts.persistent ?? false }, () => check());
        w.on('error', () => {
          // The folder went away: forget it and wait on its parent instead.
          w.close();
          watchers.delete(dir);
          check();
        });
        watchers.set(dir, w);
      } catch (e) {
        opts.log?.debug(`Cannot watch ${dir}: ${(e as Error).message}`);
      }
    }
  };

  for (const p of paths) {
    const now = existsNow(p);
    state.set(p, now);
    onChange(p, now);
  }
  arm();
  // A file may have appeared between the first stat and the watch starting.
  check();
  return {
    dispose() {
      disposed = true;
      for (const w of watchers.values()) w.close();
      watchers.clear();
    },
  };
}

interface RawNode {
  metadata?: { name?: string; resourceVersion?: string };
  status?: { conditions?: { type?: string; status?: string; reason?: string; message?: string; lastHeartbeatTime?: string }[] };
}

export interface NodeFact {
  name: string;
  ready?: boolean;
  reason?: string;
  message?: string;
  heartbeat?: Date;
  resourceVersion?: string;
}

export function toNodeFact(raw: RawNode): NodeFact | undefined {
  const name = raw.metadata?.name;
  if (!name) return undefined;
  const ready = raw.status?.conditions?.find((c) => c.type === 'Ready');
  return {
    name,
    ready: ready ? ready.status === 'True' : undefined,
    reason: ready?.reason,
    message: ready?.message,
    heartbeat: ready?.lastHeartbeatTime ? new Date(ready.lastHeartbeatTime) : undefined,
    resourceVersion: raw.metadata?.resourceVersion,
  };
}

/** Emits `node` join events for one Node (registered / Ready / gone), from a list+watch. */
export function watchNode(cluster: Cluster, nodeName: string, emit: (e: JoinEvent) => void, log?: Logger): Disposable {
  const informer = createInformer<RawNode, NodeFact>(
    cluster,
    { what: `node ${nodeName}`, path: '/api/v1/nodes', fieldSelector: `metadata.name=${nodeName}`, toItem: toNodeFact, key: (n) => n.name, version: (n) => n.resourceVersion },
    { logger: log },
  );
  const send = (n: NodeFact | undefined) =>
    emit(n ? { type: 'node', name: nodeName, registered: true, ready: n.ready, reason: n.reason, message: n.message, heartbeat: n.heartbeat } : { type: 'node', name: nodeName, registered: false });
  const offs = [
    informer.onSynced((items) => send(items.find((n) => n.name === nodeName))),
    informer.onEvent((e) => {
      if (e.key !== nodeName) return;
      send(e.type === 'DELETED' ? undefined : e.item);
    }),
  ];
  return {
    dispose() {
      for (const off of offs) off();
      informer.dispose();
    },
  };
}
