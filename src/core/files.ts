/**
 * Safe writing of files that hold secrets (bootstrap.conf): parent folders created, atomic
 * (temp file + rename/link), mode 0600 on POSIX, never overwriting unless forced (then a backup is kept).
 */
import { randomBytes } from 'node:crypto';
import { constants, promises as fs, type Stats } from 'node:fs';
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

/** Like {@link exists}, following symbolic links: a folder reached through a link is a folder, as for every tool. */
function existsFollowing(path: string) {
  return fs.stat(path).then(
    (s) => s,
    () => undefined,
  );
}

/** What a non-regular file is, in words. */
function kindOf(st: Stats): string {
  if (st.isDirectory()) return 'a folder';
  if (st.isSymbolicLink()) return 'a symbolic link';
  if (st.isFIFO()) return 'a FIFO (named pipe)';
  if (st.isSocket()) return 'a socket';
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'a device';
  return 'not a regular file';
}

/** Only a regular file is ever replaced: anything else at the path is refused, forced or not. */
function notRegular(path: string, st: Stats): KrustletError {
  if (st.isDirectory()) {
    return new KrustletError('output-unwritable', `Cannot write ${path}: it is a folder.`, `End the path with a slash (${path}/) to write ${DEFAULT_FILE_NAME} into it.`, { fix: { kind: 'choose-output', data: { path } } });
  }
  return new KrustletError('output-unwritable', `Cannot write ${path}: it is ${kindOf(st)}, not a regular file; only a regular file is ever replaced.`, 'Choose a path that is a regular file or does not exist yet.', {
    fix: { kind: 'choose-output', data: { path } },
  });
}

const DEFAULT_FILE_NAME = 'bootstrap.conf';

/** The absolute path to write: a trailing slash means a folder, into which `fileName` goes. */
export function outputPath(path: string, fileName = DEFAULT_FILE_NAME): string {
  return /[\\/]$/.test(path) ? resolve(path, fileName) : resolve(path);
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
 * Checks, without leaving anything behind, that {@link writeFileSafely} can write `path`: absent,
 * or (when forced) a regular file — never a folder, FIFO, device, socket or symbolic link — and its
 * nearest existing ancestor is a writable folder (symbolic links to folders followed). A trailing
 * slash means a folder (see {@link outputPath}). Returns the path to write. Call it before creating
 * anything in the cluster.
 */
export async function checkWritable(path: string, opts: { force?: boolean } = {}): Promise<string> {
  const target = outputPath(path);
  const st = await exists(target);
  if (st && !st.isFile()) throw notRegular(target, st);
  if (st && !opts.force) throw outputExists(target);
  let dir = dirname(target);
  for (;;) {
    const d = await existsFollowing(dir);
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
 * `<path>.bak-<timestamp>`; anything but a regular file is refused, forced or not. A trailing slash
 * means a folder (see {@link outputPath}).
 */
export async function writeFileSafely(path: string, content: string | Uint8Array, opts: WriteOptions = {}): Promise<WriteResult> {
  const target = outputPath(path);
  const mode = opts.mode ?? 0o600;
  const dir = dirname(target);
  try {
    await fs.mkdir(dir, { recursive: true, mode: 0o700 });
  } catch (e) {
    throw unwritable(target, errnoText(e));
  }
  const st = await exists(target);
  if (st && !st.isFile()) throw notRegular(target, st);
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
    // link() fails with EEXIST if a file is there: never a silent overwrite. With force, whatever is
    // at the path at that instant is first renamed to a fresh backup name (atomic: a concurrent run's
    // file is moved aside too, never lost), and the link is tried again.
    for (let attempt = 1; ; attempt++) {
      try {
        await placeFile(tmp, target);
        break;
      } catch (e) {
        if (!(e instanceof KrustletError && e.code === 'output-exists') || !opts.force || attempt > 20) throw e;
        const now = await exists(target);
        if (!now) continue;
        if (!now.isFile()) throw notRegular(target, now);
        const moved = await renameToFreshBackup(target);
        if (moved) backupPath ??= moved;
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

/** Puts `tmp` at `target` unless something is there (then 'output-exists'). */
async function placeFile(tmp: string, target: string): Promise<void> {
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

/** `<target>.bak-<timestamp>[-n]`: the first name not taken. */
async function freshBackupName(target: string): Promise<string> {
  const base = `${target}.bak-${backupStamp()}`;
  for (let n = 1; n < 1000; n++) {
    const candidate = n === 1 ? base : `${base}-${n}`;
    if (!(await exists(candidate))) return candidate;
  }
  throw unwritable(target, 'too many backups with the same timestamp');
}

/**
 * Moves `target` to a fresh backup name (mode 0600: it may hold a token); undefined when it is gone
 * meanwhile. First an atomic rename to a name only this call uses (so two runs can never both take
 * the same file, nor remove the other's), then a link to the first free `.bak-` name (link never
 * replaces a backup another run made at that name in between).
 */
async function renameToFreshBackup(target: string): Promise<string | undefined> {
  const hidden = join(dirname(target), `.${basename(target)}.bak-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    await fs.rename(target, hidden);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  for (let attempt = 0; attempt < 100; attempt++) {
    const candidate = await freshBackupName(target);
    try {
      await fs.link(hidden, candidate);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') continue;
      if (code === 'EPERM' || code === 'ENOTSUP' || code === 'EXDEV' || code === 'ENOSYS') {
        if (await exists(candidate)) continue;
        await fs.rename(hidden, candidate);
      } else throw e;
    }
    await fs.rm(hidden, { force: true });
    await fs.chmod(candidate, 0o600);
    return candidate;
  }
  throw unwritable(target, `no free backup name (the old file is kept as ${hidden})`);
}

/** Moves `path` aside to a fresh `<path>.bak-<timestamp>[-n]` (never replacing an earlier backup); returns where. */
export async function moveAside(path: string): Promise<string> {
  const to = await renameToFreshBackup(resolve(path));
  if (!to) throw unwritable(resolve(path), 'it is gone');
  return to;
}
