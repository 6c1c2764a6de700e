/**
 * Nothing left behind once a Secret may exist (issue 10 item 3) and the token a replaced
 * bootstrap.conf held (issue 11 item 6), against the real control plane with a fault-injecting
 * proxy in front of it (test/support/faultProxy.ts): the Secret POST whose answer is lost or late,
 * a rollback that itself fails, a token check that cannot run, Ctrl-C / SIGTERM mid-way (the CLI),
 * an AbortSignal mid-way (the use case the extension runs), and --force over a file whose token is
 * still valid.
 */
import { after, afterEach, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import * as yaml from 'js-yaml';
import { fixedAnswers, runBootstrap } from '../../src/core/bootstrap';
import { connect, type Cluster } from '../../src/core/cluster';
import { isKrustletError } from '../../src/core/errors';
import { tokenFromBootstrapKubeconfig } from '../../src/core/kubeconfig';
import { startControlPlane, type ControlPlane } from '../support/controlPlane';
import { FaultProxy, SECRET_DELETE, SECRET_POST, TOKEN_CHECK } from '../support/faultProxy';
import { kubectl } from '../support/kubectl';
import { CLI, runCli, startCli, type CliRun } from '../support/process';

let cp: ControlPlane;
let admin: Cluster;
let proxy: FaultProxy;
let work: string;
let viaProxy: string;

before(async () => {
  work = mkdtempSync(join(tmpdir(), 'kb-rollback-'));
  cp = await startControlPlane();
  admin = await connect({ kubeconfigPath: cp.kubeconfigPath });
  proxy = new FaultProxy(cp);
  await proxy.start();
  viaProxy = proxy.kubeconfig(join(work, 'proxied.kubeconfig'));
});

afterEach(() => proxy.reset());

after(async () => {
  await proxy.stop();
  await cp.stop();
  rmSync(work, { recursive: true, force: true });
});

const cli = (args: string[]): Promise<CliRun> => runCli(args, { home: join(work, 'home') });
const start = (args: string[]) => startCli(args, { home: join(work, 'home') });
const tokenIds = async (): Promise<string[]> => (await admin.listTokens()).map((t) => t.id).sort();
const out = (name: string): string => join(work, name, 'bootstrap.conf');
/** The id in the Secret POST's answer (the proxy saw it). */
const idFromStderr = (stderr: string): string => /bootstrap-token-([a-z0-9]{6})/.exec(stderr)?.[1] ?? '';

/** The error must never carry a token secret; it may name the id. */
function assertNoSecret(text: string): void {
  assert.doesNotMatch(text, /\b[a-z0-9]{6}\.[a-z0-9]{16}\b/, 'no token in the output');
}

void test('the Secret POST reaches the API server but its answer is lost: the Secret is deleted again and the error says so', async () => {
  proxy.fault = (r) => (SECRET_POST(r) ? 'lose-answer' : 'pass');
  const before = await tokenIds();
  const file = out('lost');
  const r = await cli(['bootstrap', '--kubeconfig', viaProxy, '-o', file]);
  assert.equal(r.code, 1, r.stderr);
  const posted = await proxy.answered(SECRET_POST);
  assert.equal(posted.status, 201, 'the API server created it');
  assert.match(r.stderr, /^error: .*Rolled back: the Secret kube-system\/bootstrap-token-[a-z0-9]{6} had been created; it was deleted again\./m);
  assert.deepEqual(await tokenIds(), before, 'no Secret left behind');
  assert.ok(!existsSync(dirname(file)), 'no file, no folder');
  assertNoSecret(r.stderr + r.stdout);
});

void test('the Secret POST is answered too late (after --timeout): the Secret is deleted again', async () => {
  proxy.fault = (r) => (SECRET_POST(r) ? 'hold' : 'pass');
  const before = await tokenIds();
  const r = await cli(['bootstrap', '--kubeconfig', viaProxy, '-o', out('late'), '--timeout', '2']);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /did not answer within 2 s\..*Rolled back: the Secret kube-system\/bootstrap-token-[a-z0-9]{6} had been created; it was deleted again\./);
  assert.deepEqual(await tokenIds(), before);
  assert.ok(!existsSync(out('late')));
});

void test('when the rollback itself fails, the error names the Secret that remains and the commands that remove it (never the secret)', async () => {
  proxy.fault = (r) => (SECRET_POST(r) ? 'lose-answer' : SECRET_DELETE(r) ? 'hang' : 'pass');
  const before = await tokenIds();
  const r = await cli(['bootstrap', '--kubeconfig', viaProxy, '-o', out('stuck'), '--timeout', '2']);
  assert.equal(r.code, 1, r.stderr);
  const id = idFromStderr(r.stderr);
  assert.ok(id, r.stderr);
  const lines = r.stderr.split('\n').filter((l) => l.startsWith('error:'));
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0], new RegExp(`The Secret kube-system/bootstrap-token-${id} may remain \\(deleting it failed: .*\\): \`kubectl -n kube-system delete secret bootstrap-token-${id}\` removes it\\.`));
  assert.match(lines[0], new RegExp(`Delete it with \`krustlet-bootstrap token delete ${id}\`\\.$`));
  assertNoSecret(r.stderr);
  assert.deepEqual(await tokenIds(), [...before, id].sort(), 'exactly what the message names remains');
  assert.ok(!existsSync(out('stuck')));
  // The command the message names removes it.
  const del = await cli(['token', 'delete', id, '--kubeconfig', cp.kubeconfigPath]);
  assert.equal(del.code, 0, del.stderr);
  assert.deepEqual(await tokenIds(), before);
});

void test('the token check cannot run after the file is written: success, with a warning saying what could not be checked', async () => {
  proxy.fault = (r) => (TOKEN_CHECK(r) ? 'hang' : 'pass');
  const file = out('unchecked');
  const r = await cli(['bootstrap', '--kubeconfig', viaProxy, '-o', file, '--timeout', '1', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout) as { tokenId: string; tokenAccepted: boolean | null; warnings: string[] };
  assert.equal(j.tokenAccepted, null, 'not checked');
  assert.match(r.stderr, new RegExp(`^warning: Could not check that the API server accepts token ${j.tokenId} \\(.*did not answer within 1 s.*\\)\\. The token and ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} are in place`, 'm'));
  assert.equal(j.warnings.length, 1, r.stderr);
  assert.match(r.stderr, /^warning: The cluster lacks kubeadm's bootstrap RBAC bindings/m, 'the preflight still said so');
  assert.ok((await tokenIds()).includes(j.tokenId), 'the Secret stays: the bootstrap succeeded');
  assert.equal(tokenFromBootstrapKubeconfig(readFileSync(file, 'utf8'))?.slice(0, 6), j.tokenId);
  await admin.deleteToken(j.tokenId);
});

void test('SIGTERM while the Secret POST waits for its answer: rolled back (the Secret deleted), exit 143', async () => {
  proxy.fault = (r) => (SECRET_POST(r) ? 'hold' : 'pass');
  const before = await tokenIds();
  const file = out('sigterm');
  const run = start(['bootstrap', '--kubeconfig', viaProxy, '-o', file, '--timeout', '60']);
  const posted = await proxy.answered(SECRET_POST);
  assert.equal(posted.status, 201);
  assert.equal((await tokenIds()).length, before.length + 1, 'the Secret exists now');
  run.child.kill('SIGTERM');
  const r = await run.done;
  assert.equal(r.code, 143, r.stderr);
  assert.match(r.stderr, /Interrupted \(SIGTERM\): rolling back/);
  assert.match(r.stderr, /^error: Bootstrap was interrupted\. Rolled back: the Secret kube-system\/bootstrap-token-[a-z0-9]{6} had been created; it was deleted again\.$/m);
  assert.deepEqual(await tokenIds(), before);
  assert.ok(!existsSync(dirname(file)));
});

void test('Ctrl-C (SIGINT) during the token check of a --force run: the previous file is restored from its backup, the new Secret deleted, the old token left valid; exit 130', async () => {
  const file = out('sigint');
  const first = await cli(['bootstrap', '--kubeconfig', cp.kubeconfigPath, '-o', file, '--json']);
  assert.equal(first.code, 0, first.stderr);
  const oldId = (JSON.parse(first.stdout) as { tokenId: string }).tokenId;
  const original = readFileSync(file, 'utf8');
  const before = await tokenIds();

  proxy.fault = (r) => (TOKEN_CHECK(r) ? 'hang' : 'pass');
  const run = start(['bootstrap', '--kubeconfig', viaProxy, '-o', file, '--force', '--timeout', '60']);
  await proxy.arrived(TOKEN_CHECK);
  assert.notEqual(readFileSync(file, 'utf8'), original, 'the new file was written');
  run.child.kill('SIGINT');
  const r = await run.done;
  assert.equal(r.code, 130, r.stderr);
  assert.match(r.stderr, new RegExp(`Rolled back: ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} was restored from its backup; the Secret kube-system/bootstrap-token-[a-z0-9]{6} was deleted again\\.`));
  assert.equal(readFileSync(file, 'utf8'), original, 'the previous file is back');
  assert.deepEqual(readdirSync(dirname(file)), ['bootstrap.conf'], 'no backup or temp file left');
  assert.deepEqual(await tokenIds(), before, 'the new Secret is gone, the old token is still there');
  assert.ok(before.includes(oldId));
  await admin.deleteToken(oldId);
});

void test('the use case under an AbortSignal (how the extension cancels, and how VS Code closing stops it): each point rolls back what exists', async () => {
  const before = await tokenIds();
  // Interrupted once the file is written (the extension's progress Cancel, or deactivate()).
  const file = out('abort-written');
  const ac = new AbortController();
  await assert.rejects(
    runBootstrap({ cluster: admin, signal: ac.signal, onWritten: () => ac.abort() }, { ttlSeconds: 600, outputPath: file }, fixedAnswers()),
    (e: unknown) => isKrustletError(e, 'cancelled') && /^Bootstrap was interrupted\. Rolled back: .* was removed again; the Secret kube-system\/bootstrap-token-\w{6} was deleted again\.$/.test(e.message),
  );
  assert.ok(!existsSync(file));
  assert.deepEqual(await tokenIds(), before);

  // Interrupted while the POST is in flight: the request stops at once, the name is checked.
  proxy.fault = (r) => (SECRET_POST(r) ? 'hold' : 'pass');
  const held = await connect({ kubeconfigPath: viaProxy, timeoutMs: 60_000 });
  const ac2 = new AbortController();
  void proxy.answered(SECRET_POST).then(() => ac2.abort());
  await assert.rejects(
    runBootstrap({ cluster: held, signal: ac2.signal }, { ttlSeconds: 600, outputPath: out('abort-post') }, fixedAnswers()),
    (e: unknown) => isKrustletError(e, 'cancelled') && /had been created; it was deleted again/.test(e.message),
  );
  assert.deepEqual(await tokenIds(), before);

  // Interrupted while a question waits: nothing was created, nothing to roll back.
  const existing = out('abort-question');
  mkdirSync(dirname(existing), { recursive: true });
  const ac3 = new AbortController();
  await assert.rejects(
    runBootstrap({ cluster: admin, signal: ac3.signal }, { ttlSeconds: 600, outputPath: existing }, {
      ...fixedAnswers(),
      applyRbac: () => {
        ac3.abort();
        return Promise.resolve(false);
      },
    }),
    (e: unknown) => isKrustletError(e, 'cancelled') && e.message === 'Bootstrap was interrupted; nothing was created.',
  );
  assert.deepEqual(await tokenIds(), before);
});

void test('--force over a file whose token is still valid revokes that token by default; --keep-replaced keeps it', async () => {
  const file = out('replace');
  const a = await cli(['bootstrap', '--kubeconfig', cp.kubeconfigPath, '-o', file, '--json']);
  assert.equal(a.code, 0, a.stderr);
  const idA = (JSON.parse(a.stdout) as { tokenId: string }).tokenId;

  const b = await cli(['bootstrap', '--kubeconfig', cp.kubeconfigPath, '-o', file, '--force']);
  assert.equal(b.code, 0, b.stderr);
  assert.match(b.stdout, new RegExp(`^Revoked the replaced token ${idA}\\.$`, 'm'));
  const idB = tokenFromBootstrapKubeconfig(readFileSync(file, 'utf8'))?.slice(0, 6) ?? '';
  let ids = await tokenIds();
  assert.ok(!ids.includes(idA), 'the replaced token was revoked');
  assert.ok(ids.includes(idB));

  const c = await cli(['bootstrap', '--kubeconfig', cp.kubeconfigPath, '-o', file, '--force', '--keep-replaced', '--json']);
  assert.equal(c.code, 0, c.stderr);
  const jc = JSON.parse(c.stdout) as { tokenId: string; replacedTokenId: string; replacedTokenRevoked: boolean };
  assert.equal(jc.replacedTokenId, idB);
  assert.equal(jc.replacedTokenRevoked, false);
  ids = await tokenIds();
  assert.ok(ids.includes(idB) && ids.includes(jc.tokenId), 'both stay valid');

  // A file whose token is no longer valid (revoked meanwhile) is replaced without a revocation.
  await admin.deleteToken(jc.tokenId);
  const d = await cli(['bootstrap', '--kubeconfig', cp.kubeconfigPath, '-o', file, '--force', '--json']);
  assert.equal(d.code, 0, d.stderr);
  assert.equal((JSON.parse(d.stdout) as { replacedTokenId: string | null }).replacedTokenId, null);
  const conflicting = await cli(['bootstrap', '--kubeconfig', cp.kubeconfigPath, '-o', file, '--force', '--keep-replaced', '--revoke-replaced']);
  assert.equal(conflicting.code, 1);
  assert.match(conflicting.stderr, /--revoke-replaced and --keep-replaced contradict each other/);
  for (const id of [idB, (JSON.parse(d.stdout) as { tokenId: string }).tokenId]) await admin.deleteToken(id).catch(() => undefined);
});

void test('without a terminal, preflight problems other than the RBAC bindings are refused unless --yes (nothing created); with --yes they are warnings', async () => {
  // A service account that may create Secrets in kube-system and nothing else bootstrap's preflight checks.
  const k = (args: string[]) => kubectl(cp.kubeconfigPath, args);
  await k(['create', 'serviceaccount', 'kb-limited', '-n', 'kube-system']);
  await k(['create', 'role', 'kb-secrets', '-n', 'kube-system', '--verb=create,delete,get,list', '--resource=secrets']);
  await k(['create', 'rolebinding', 'kb-secrets', '-n', 'kube-system', '--role=kb-secrets', '--serviceaccount=kube-system:kb-limited']);
  let secretName = '';
  for (let i = 0; i < 300 && !secretName; i++) {
    secretName = (await k(['get', 'serviceaccount', 'kb-limited', '-n', 'kube-system', '-o', 'jsonpath={.secrets[0].name}'])).trim();
    if (!secretName) await new Promise((r) => setTimeout(r, 100));
  }
  assert.ok(secretName, 'the token controller issued the service account token');
  const saToken = Buffer.from(await k(['get', 'secret', secretName, '-n', 'kube-system', '-o', 'jsonpath={.data.token}']), 'base64').toString('utf8');
  const doc = yaml.load(readFileSync(cp.kubeconfigPath, 'utf8')) as { users: { user: Record<string, unknown> }[] };
  doc.users[0].user = { token: saToken };
  const limited = join(work, 'limited.kubeconfig');
  writeFileSync(limited, yaml.dump(doc));

  const before = await tokenIds();
  const refused = await cli(['bootstrap', '--kubeconfig', limited, '-o', out('limited')]);
  assert.equal(refused.code, 1, refused.stderr);
  const lines = refused.stderr.split('\n').filter(Boolean);
  assert.equal(lines.length, 1, refused.stderr);
  assert.match(lines[0], /^error: The preflight found \d+ problems: You may not list CertificateSigningRequests .*Pass --yes to bootstrap anyway/);
  assert.deepEqual(await tokenIds(), before, 'nothing created');
  assert.ok(!existsSync(dirname(out('limited'))));

  const forced = await cli(['bootstrap', '--kubeconfig', limited, '-o', out('limited'), '--yes', '--json']);
  assert.equal(forced.code, 0, forced.stderr);
  assert.match(forced.stderr, /^warning: You may not approve for signer 'kubernetes\.io\/kubelet-serving'/m);
  const id = (JSON.parse(forced.stdout) as { tokenId: string }).tokenId;
  assert.ok((await tokenIds()).includes(id));
  await admin.deleteToken(id);
});

/** The CLI in a pseudo-terminal (util-linux `script`): stdin and stderr are terminals, so it asks. */
function onTerminal(args: string[]) {
  const quote = (s: string) => `'${s.replace(/'/g, "'\\''")}'`;
  const child = spawn('script', ['-qfec', [process.execPath, CLI, ...args].map(quote).join(' '), '/dev/null'], {
    env: { PATH: process.env.PATH, HOME: join(work, 'home'), TERM: 'dumb' },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  const waiters: { re: RegExp; resolve: () => void }[] = [];
  const check = () => {
    for (const w of [...waiters]) {
      if (!w.re.test(out)) continue;
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve();
    }
  };
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    out += d;
    check();
  });
  child.stderr.setEncoding('utf8').on('data', (d: string) => (out += d));
  const done = new Promise<number>((resolve) => child.on('close', (code) => resolve(code ?? -1)));
  return {
    output: () => out,
    /** Waits until the terminal shows `re`, then types `keys`. */
    answer(re: RegExp, keys: string): Promise<void> {
      return new Promise<void>((resolve) => {
        waiters.push({ re, resolve });
        check();
      }).then(() => void child.stdin.write(keys));
    },
    done,
  };
}

void test('on a terminal the CLI asks: replace (y), revoke the replaced token (Enter = revoke), apply RBAC (Enter = no); Ctrl-C at a question stops with nothing created (exit 130)', async () => {
  const file = out('terminal');
  const a = await cli(['bootstrap', '--kubeconfig', cp.kubeconfigPath, '-o', file, '--json']);
  assert.equal(a.code, 0, a.stderr);
  const idA = (JSON.parse(a.stdout) as { tokenId: string }).tokenId;

  const t = onTerminal(['bootstrap', '--kubeconfig', cp.kubeconfigPath, '-o', file]);
  await t.answer(/already exists\. Replace it \(the current file is kept as a backup\)\? \[y\/N\] $/, 'y\r');
  await t.answer(new RegExp(`holds bootstrap token ${idA} \\(still valid, expires .*\\)\\. Revoke it once the new file is written\\? \\[Y/n\\] $`), '\r');
  await t.answer(/Create kubeadm's three bootstrap bindings now\? \[y\/N\] $/, '\r');
  assert.equal(await t.done, 0, t.output());
  assert.match(t.output(), new RegExp(`Revoked the replaced token ${idA}\\.`));
  const idB = tokenFromBootstrapKubeconfig(readFileSync(file, 'utf8'))?.slice(0, 6) ?? '';
  const ids = await tokenIds();
  assert.ok(!ids.includes(idA) && ids.includes(idB), 'A revoked, B in place');

  const before = await tokenIds();
  const c = onTerminal(['bootstrap', '--kubeconfig', cp.kubeconfigPath, '-o', file]);
  await c.answer(/Replace it .*\[y\/N\] $/, '\x03');
  assert.equal(await c.done, 130, c.output());
  assert.match(c.output(), /error: Bootstrap was interrupted; nothing was created\./);
  assert.deepEqual(await tokenIds(), before);
  assert.equal(tokenFromBootstrapKubeconfig(readFileSync(file, 'utf8'))?.slice(0, 6), idB, 'the file is untouched');
  await admin.deleteToken(idB);
});
