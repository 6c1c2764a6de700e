/**
 * `bootstrap -o PATH [--force]` on the real file system, against the real control plane: only a
 * regular file is ever replaced, and anything else is refused before a Secret exists; folders reached
 * through symbolic links are followed; a trailing slash means a folder; concurrent --force runs to one
 * path never lose a file without its backup.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startControlPlane, type ControlPlane } from '../support/controlPlane';
import { runCli, type CliRun } from '../support/process';
import { connect, type Cluster } from '../../src/core/cluster';
import { tokenFromBootstrapKubeconfig } from '../../src/core/kubeconfig';

let cp: ControlPlane;
let admin: Cluster;
let work: string;

const cli = (args: string[]): Promise<CliRun> => runCli(['bootstrap', '--kubeconfig', cp.kubeconfigPath, ...args], { home: join(work, 'home') });
const tokenIds = async () => (await admin.listTokens()).map((t) => t.id).sort();

before(async () => {
  work = mkdtempSync(join(tmpdir(), 'kb-output-'));
  cp = await startControlPlane();
  admin = await connect({ kubeconfigPath: cp.kubeconfigPath });
});

after(async () => {
  await cp?.stop();
  rmSync(work, { recursive: true, force: true });
});

/** Refused with one error line, before any Secret was created, and the thing at the path untouched. */
async function refused(path: string, mention: RegExp): Promise<CliRun> {
  const before = await tokenIds();
  const st = statSync(path, { throwIfNoEntry: false });
  const r = await cli(['-o', path, '--force']);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /^error: /);
  assert.match(r.stderr, mention);
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  assert.deepEqual(await tokenIds(), before, 'no Secret created');
  if (st) assert.equal(statSync(path).ino, st.ino, 'the same thing is still there');
  return r;
}

void test('a FIFO, a device node, a socket-less folder or a symbolic link at the output path is refused before any Secret exists, also with --force', async () => {
  const dir = join(work, 'special');
  mkdirSync(dir);
  const fifo = join(dir, 'fifo.conf');
  execFileSync('mkfifo', [fifo]);
  // Was: the Secret was created, then the run hung on the FIFO (leaving a temp file with the token).
  await refused(fifo, /is a FIFO \(named pipe\), not a regular file/);
  const dev = join(dir, 'null.conf');
  execFileSync('mknod', [dev, 'c', '1', '3']); // a second /dev/null: as root, -o /dev/null --force replaced the real one
  await refused(dev, /is a device, not a regular file/);
  assert.ok(statSync(dev).isCharacterDevice());
  await refused(dir, /is a folder\. End the path with a slash/);
  writeFileSync(join(dir, 'real.conf'), 'mine');
  symlinkSync(join(dir, 'real.conf'), join(dir, 'link.conf'));
  await refused(join(dir, 'link.conf'), /is a symbolic link, not a regular file/);
  assert.equal(readFileSync(join(dir, 'real.conf'), 'utf8'), 'mine');
  assert.deepEqual(readdirSync(dir).sort(), ['fifo.conf', 'link.conf', 'null.conf', 'real.conf'], 'no temp or backup file left');
});

void test('a parent folder reached through a symbolic link is followed; a trailing slash means a folder', async () => {
  const real = join(work, 'real-config');
  mkdirSync(real);
  symlinkSync(real, join(work, 'linked-config'));
  // Was: "…/linked-config is a file, not a folder".
  const r = await cli(['-o', join(work, 'linked-config', 'bootstrap.conf')]);
  assert.equal(r.code, 0, r.stderr);
  assert.ok(tokenFromBootstrapKubeconfig(readFileSync(join(real, 'bootstrap.conf'), 'utf8')));
  // A symlinked folder deeper up, the file's folder still to be made.
  const deep = await cli(['-o', join(work, 'linked-config', 'node-7', 'bootstrap.conf')]);
  assert.equal(deep.code, 0, deep.stderr);
  assert.ok(existsSync(join(real, 'node-7', 'bootstrap.conf')));
  // Was: `-o out/` wrote a file named "out".
  const slash = await cli(['-o', `${join(work, 'into')}/`]);
  assert.equal(slash.code, 0, slash.stderr);
  assert.ok(statSync(join(work, 'into')).isDirectory());
  assert.ok(tokenFromBootstrapKubeconfig(readFileSync(join(work, 'into', 'bootstrap.conf'), 'utf8')));
  assert.match(slash.stdout, /into\/bootstrap\.conf/);
});

void test('concurrent --force runs to one path: every file that was there survives, at the path or as a backup', async () => {
  const dir = join(work, 'race');
  mkdirSync(dir);
  const target = join(dir, 'bootstrap.conf');
  writeFileSync(target, 'the original\n', { mode: 0o600 });
  const runs = await Promise.all([1, 2, 3, 4].map(() => cli(['-o', target, '--force', '--json'])));
  for (const r of runs) assert.equal(r.code, 0, r.stderr);
  const written = runs.map((r) => (JSON.parse(r.stdout) as { tokenId: string }).tokenId).sort();
  const files = readdirSync(dir).sort();
  const contents = files.map((f) => readFileSync(join(dir, f), 'utf8'));
  assert.ok(contents.includes('the original\n'), 'the original is kept');
  const tokens = contents.map((c) => tokenFromBootstrapKubeconfig(c)?.slice(0, 6)).filter((t): t is string => !!t).sort();
  assert.deepEqual(tokens, written, `every run's file survives: ${files.join(' ')}`);
  assert.equal(files.filter((f) => f.startsWith('.')).length, 0, 'no hidden temp file left');
  for (const f of files) assert.equal(statSync(join(dir, f)).mode & 0o777, 0o600, f);
});
