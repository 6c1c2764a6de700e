import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { errorLine } from '../../src/cli/errors';
import { isKrustletError } from '../../src/core/errors';
import { backupStamp, checkWritable, defaultBootstrapPath, moveAside, writeFileSafely } from '../../src/core/files';

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'kb-files-'));
}

void test('default path follows scripts/bootstrap.sh: CONFIG_DIR and FILE_NAME', () => {
  assert.equal(defaultBootstrapPath({}, '/home/u'), '/home/u/.krustlet/config/bootstrap.conf');
  assert.equal(defaultBootstrapPath({ CONFIG_DIR: '/etc/krustlet' }, '/home/u'), '/etc/krustlet/bootstrap.conf');
  assert.equal(defaultBootstrapPath({ FILE_NAME: 'node1.conf' }, '/home/u'), '/home/u/.krustlet/config/node1.conf');
  assert.equal(defaultBootstrapPath({ CONFIG_DIR: '/c', FILE_NAME: 'b.conf' }, '/home/u'), '/c/b.conf');
  assert.equal(defaultBootstrapPath({ CONFIG_DIR: '', FILE_NAME: '' }, '/home/u'), '/home/u/.krustlet/config/bootstrap.conf', 'empty means default, like ${VAR:-default}');
});

void test('writeFileSafely creates parent folders and writes mode 0600 whatever the umask', async () => {
  const dir = tmp();
  const old = process.umask(0o000);
  try {
    const r = await writeFileSafely(join(dir, 'a', 'b', 'bootstrap.conf'), 'hello');
    assert.equal(r.path, join(dir, 'a', 'b', 'bootstrap.conf'));
    assert.equal(r.backupPath, undefined);
    assert.equal(readFileSync(r.path, 'utf8'), 'hello');
    if (process.platform !== 'win32') assert.equal(statSync(r.path).mode & 0o777, 0o600);
    assert.deepEqual(readdirSync(join(dir, 'a', 'b')), ['bootstrap.conf'], 'no temp file left');
  } finally {
    process.umask(old);
    rmSync(dir, { recursive: true, force: true });
  }
});

void test('an existing file is never overwritten without force', async () => {
  const dir = tmp();
  try {
    const p = join(dir, 'bootstrap.conf');
    writeFileSync(p, 'original');
    await assert.rejects(writeFileSafely(p, 'new'), (e: unknown) => isKrustletError(e, 'output-exists') && e.fix?.kind === 'force' && errorLine(e).includes('--force'));
    assert.equal(readFileSync(p, 'utf8'), 'original');
    assert.deepEqual(readdirSync(dir), ['bootstrap.conf'], 'no temp file left');
    await assert.rejects(checkWritable(p), (e: unknown) => isKrustletError(e, 'output-exists'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

void test('with force, the old file is kept as a 0600 backup', async () => {
  const dir = tmp();
  try {
    const p = join(dir, 'bootstrap.conf');
    writeFileSync(p, 'original', { mode: 0o644 });
    const r = await writeFileSafely(p, 'new', { force: true });
    assert.equal(readFileSync(p, 'utf8'), 'new');
    assert.ok(r.backupPath?.startsWith(`${p}.bak-`), r.backupPath);
    assert.match(r.backupPath ?? '', /\.bak-\d{8}T\d{6}Z$/);
    assert.equal(readFileSync(r.backupPath ?? '', 'utf8'), 'original');
    if (process.platform !== 'win32') {
      assert.equal(statSync(r.backupPath ?? '').mode & 0o777, 0o600);
      assert.equal(statSync(p).mode & 0o777, 0o600);
    }
    assert.equal(readdirSync(dir).length, 2);
    await checkWritable(p, { force: true });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

void test('an unwritable output folder fails before anything is written, leaving nothing behind', async () => {
  const dir = tmp();
  try {
    const blocker = join(dir, 'not-a-folder');
    writeFileSync(blocker, 'x');
    const target = join(blocker, 'sub', 'bootstrap.conf');
    await assert.rejects(checkWritable(target), (e: unknown) => isKrustletError(e, 'output-unwritable') && e.fix?.kind === 'choose-output' && errorLine(e).includes('-o/--output'));
    await assert.rejects(writeFileSafely(target, 'x'), (e: unknown) => isKrustletError(e, 'output-unwritable'));
    await assert.rejects(checkWritable(dir), (e: unknown) => isKrustletError(e, 'output-unwritable') && e.toLine().includes('folder'));
    assert.deepEqual(readdirSync(dir), ['not-a-folder'], 'no probe or temp file left');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

void test('checkWritable accepts a new file in a folder that does not exist yet, and leaves nothing', async () => {
  const dir = tmp();
  try {
    assert.equal(await checkWritable(join(dir, 'x', 'y', 'bootstrap.conf')), join(dir, 'x', 'y', 'bootstrap.conf'));
    assert.deepEqual(readdirSync(dir), []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

void test('overwriting again within the same second keeps every backup (no EEXIST)', async () => {
  const dir = tmp();
  try {
    const p = join(dir, 'bootstrap.conf');
    writeFileSync(p, 'v1');
    const backups: string[] = [];
    for (const next of ['v2', 'v3', 'v4']) {
      const r = await writeFileSafely(p, next, { force: true });
      assert.ok(r.backupPath);
      backups.push(r.backupPath);
    }
    assert.equal(readFileSync(p, 'utf8'), 'v4');
    assert.equal(new Set(backups).size, 3, backups.join(' '));
    assert.deepEqual(backups.map((b) => readFileSync(b, 'utf8')), ['v1', 'v2', 'v3']);
    for (const b of backups) assert.match(b, /\.bak-\d{8}T\d{6}Z(-\d+)?$/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

void test('moveAside twice within the same second keeps both earlier files', async () => {
  const dir = tmp();
  try {
    const p = join(dir, 'kubeconfig');
    writeFileSync(p, 'first');
    const a = await moveAside(p);
    writeFileSync(p, 'second');
    const b = await moveAside(p);
    assert.notEqual(a, b);
    assert.equal(readFileSync(a, 'utf8'), 'first');
    assert.equal(readFileSync(b, 'utf8'), 'second');
    assert.equal(existsSync(p), false);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

void test('backupStamp is compact UTC', () => {
  assert.equal(backupStamp(new Date('2026-11-29T19:20:40.123Z')), '20261129T192040Z');
});
