/**
 * Safe writing of files that hold secrets (bootstrap.conf): parent folders created, atomic
 * (temp file + rename/link), mode 0600 on POSIX, never overwriting unless forced (then a backup is kept).
 */
import { randomBytes } from 'node:crypto';
import { constants, promises as fs } from 'node:fs';
import { homedir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { KrustletError } from './errors';

/** `${CONFIG_DIR:-$HOME/.krustlet/config}/${FILE_NAME:-bootstrap.conf}`, like Krustlet's scripts/bootstrap.sh. */
export function defaultBootstrapPath(env: NodeJS.ProcessEnv = process.env, home: string = homedir()): string {
  const dir = env.CONFIG_DIR || join(home, '.krustlet', 'config');
  return resolve(dir, env.FILE_NAME || 'bootstrap.conf');
}

export interface WriteOptions {
  /** Replace an existing file (a backup `<file>.bak-<timestamp>` is kept). */
  force?: boolean;
  /** Default 0o600. */
  mode?: number;
}

export interface WriteResult {
  path: string;
  backupPath?: string;
}

function exists(path: string) {
  return fs.lstat(path).then(
    (s) => s,
    () => undefined,
  );
}

function outputExists(path: string): KrustletError {
  return new KrustletError('output-exists', `${path} already exists.`, undefined, { fix: { kind: 'force', data: { path } } });
}

function unwritable(path: string, why: string): KrustletError {
  return new KrustletError('output-unwritable', `Cannot write ${path}: ${why}.`, 'Fix the folder and its permissions.', { fix: { kind: 'choose-output', data: { path } } });
}

function errnoText(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  switch (err.code) {
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EROFS':
      return 'read-only file system';
    case 'ENOTDIR':
      return 'a parent in the path is a file, not a folder';
    case 'ENOSPC':
      return 'no space left on the device';
    case 'EISDIR':
      return 'it is a folder';
    default:
      return err.code ?? String(err.message).split('\n')[0];
  }
}

/** `20261129T192040Z` */
export function backupStamp(d = new Date()): string {
  return d.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}Z$/, 'Z');
}

/**
 * Checks, without leaving anything behind, that {@link writeFileSafely} can write `path`:
 * not existing (unless forced), not a folder, and its nearest existing ancestor is a writable folder.
 * Call it before creating anything in the cluster.
 */
export async function checkWritable(path: string, opts: { force?: boolean } = {}): Promise<string> {
  const target = resolve(path);
  const st = await exists(target);
  if (st?.isDirectory()) throw unwritable(target, 'it is a folder');
  if (st && !opts.force) throw outputExists(target);
  let dir = dirname(target);
  for (;;) {
    const d = await exists(dir);
    if (d) {
      if (!d.isDirectory()) throw unwritable(target, `${dir} is a file, not a folder`);
      break;
    }
    const up = dirname(dir);
    if (up === dir) throw unwritable(target, 'no existing parent folder');
    dir = up;
  }
  try {
    await fs.access(dir, constants.W_OK | constants.X_OK);
  } catch (e) {
    throw unwritable(target, `${dir}: ${errnoText(e)}`);
  }
  // access() says yes to root even on read-only mounts: probe with a real file and remove it.
  const probe = join(dir, `.krustlet-probe-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    await (await fs.open(probe, 'wx', 0o600)).close();
  } catch (e) {
    throw unwritable(target, `${dir}: ${errnoText(e)}`);
  } finally {
    await fs.rm(probe, { force: true });
  }
  return target;
}

/**
 * Writes `content` to `path` atomically with `mode` (default 0600). Creates parent folders (0700).
 * Refuses to replace an existing file unless `force`, in which case the old one is kept as
 * `<path>.bak-<timestamp>`.
 */
export async function writeFileSafely(path: string, content: string | Uint8Array, opts: WriteOptions = {}): Promise<WriteResult> {
  const target = resolve(path);
  const mode = opts.mode ?? 0o600;
  const dir = dirname(target);
  try {
    await fs.mkdir(dir, { recursive: true, mode: 0o700 });
  } catch (e) {
    throw unwritable(target, errnoText(e));
  }
  const st = await exists(target);
  if (st?.isDirectory()) throw unwritable(target, 'it is a folder');
  if (st && !opts.force) throw outputExists(target);

  const tmp = join(dir, `.${basename(target)}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
  let backupPath: string | undefined;
  try {
    const fh = await fs.open(tmp, 'wx', mode);
    try {
      await fh.writeFile(content);
      await fh.chmod(mode); // the umask may have narrowed or the platform ignored the open mode
      await fh.sync();
    } finally {
      await fh.close();
    }
    if (st && opts.force) {
      backupPath = await copyToFreshBackup(target);
      await fs.rename(tmp, target);
    } else {
      // link() fails with EEXIST if someone created the file meanwhile: no silent overwrite.
      try {
        await fs.link(tmp, target);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'EEXIST') throw outputExists(target);
        if (code === 'EPERM' || code === 'ENOTSUP' || code === 'EXDEV' || code === 'ENOSYS') {
          // File systems without hard links: fall back to rename after a fresh existence check.
          if (await exists(target)) throw outputExists(target);
          await fs.rename(tmp, target);
        } else throw e;
      }
    }
  } catch (e) {
    await fs.rm(tmp, { force: true });
    if (e instanceof KrustletError) throw e;
    throw unwritable(target, errnoText(e));
  }
  await fs.rm(tmp, { force: true });
  return backupPath ? { path: target, backupPath } : { path: target };
}

/**
 * Copies `target` to `<target>.bak-<timestamp>`, never replacing an existing backup: a second
 * overwrite within the same second gets `<target>.bak-<timestamp>-2`, and so on.
 */
async function copyToFreshBackup(target: string): Promise<string> {
  const base = `${target}.bak-${backupStamp()}`;
  for (let n = 1; ; n++) {
    const candidate = n === 1 ? base : `${base}-${n}`;
    try {
      await fs.copyFile(target, candidate, constants.COPYFILE_EXCL);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST' && n < 100) continue;
      throw e;
    }
    await fs.chmod(candidate, 0o600);
    return candidate;
  }
}

/** Moves `path` aside to a fresh `<path>.bak-<timestamp>[-n]` (never replacing an earlier backup); returns where. */
export async function moveAside(path: string): Promise<string> {
  const to = await copyToFreshBackup(path);
  await fs.rm(path);
  return to;
}
