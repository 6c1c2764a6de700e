/**
 * The `krustlet-bootstrap` CLI (dist/cli.js, as users run it) against a real control plane:
 * the "Done when" check, token list/delete, and every bad input from the issue: one-line
 * error, non-zero exit, nothing left behind (no Secret, no file).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import * as yaml from 'js-yaml';
import { startControlPlane, type ControlPlane } from '../support/controlPlane';
import { kubectl, type KubectlError } from '../support/kubectl';
import { runCli, type CliRun } from '../support/process';
import { connect, type Cluster } from '../../src/core/cluster';
import { tokenFromBootstrapKubeconfig } from '../../src/core/kubeconfig';

const FIX = resolve(__dirname, '../../../test/fixtures/kubeconfigs');

let cp: ControlPlane;
let admin: Cluster;
let work: string;
let hang: Server;
let hangPort: number;
const hangSockets: Socket[] = [];

function cli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliRun> {
  return runCli(args, { home: join(work, 'home'), env });
}

/** A variant of the admin kubeconfig, written to the work folder. */
function variant(name: string, edit: (doc: { clusters: { cluster: Record<string, unknown> }[]; users: { user: Record<string, unknown> }[] }) => void): string {
  const doc = yaml.load(readFileSync(cp.kubeconfigPath, 'utf8')) as Parameters<typeof edit>[0];
  edit(doc);
  const p = join(work, `${name}.kubeconfig`);
  writeFileSync(p, yaml.dump(doc));
  return p;
}

async function tokenIds(): Promise<string[]> {
  return (await admin.listTokens()).map((t) => t.id).sort();
}

/** The bad-input contract: one line `error: …` on stderr, exit 1, nothing on stdout, nothing left behind. */
async function expectCleanFailure(args: string[], mentions: RegExp[], env: NodeJS.ProcessEnv = {}): Promise<CliRun> {
  const out = join(work, `out-${Math.random().toString(36).slice(2)}`, 'bootstrap.conf');
  const hasOutput = args.includes('-o');
  const before = await tokenIds();
  const r = await cli(hasOutput ? args : [...args, '-o', out], env);
  assert.equal(r.code, 1, `exit code; stderr: ${r.stderr}`);
  assert.equal(r.stdout, '', 'nothing on stdout');
  const lines = r.stderr.split('\n').filter(Boolean);
  assert.equal(lines.length, 1, `exactly one line on stderr, got: ${r.stderr}`);
  assert.match(lines[0], /^error: \S/);
  for (const m of mentions) assert.match(lines[0], m);
  if (!hasOutput) assert.ok(!existsSync(join(out, '..')), 'no output file or folder');
  assert.deepEqual(await tokenIds(), before, 'no Secret left behind');
  return r;
}

before(async () => {
  work = mkdtempSync(join(tmpdir(), 'kb-cli-'));
  cp = await startControlPlane();
  admin = await connect({ kubeconfigPath: cp.kubeconfigPath });
  // Accepts TCP connections and never answers: the "no answer" case.
  hang = createServer((s) => {
    hangSockets.push(s);
    s.on('error', () => undefined);
  });
  await new Promise<void>((r) => hang.listen(0, '127.0.0.1', r));
  hangPort = (hang.address() as { port: number }).port;
});

after(async () => {
  for (const s of hangSockets) s.destroy();
  await new Promise<void>((r) => hang.close(() => r()));
  await cp.stop();
  rmSync(work, { recursive: true, force: true });
});

void test('--help, --version and an unknown command', async () => {
  const help = await cli(['--help']);
  assert.equal(help.code, 0);
  for (const c of ['bootstrap', 'token', 'csr', 'preflight', 'rbac', 'agent']) assert.match(help.stdout, new RegExp(`\\n  ${c}\\s`));
  // Groups load lazily: `help <group>` still prints the group's own help.
  const hc = await cli(['help', 'csr']);
  assert.equal(hc.code, 0);
  assert.match(hc.stdout, /^Usage: krustlet-bootstrap csr /);
  const bh = await cli(['bootstrap', '--help']);
  assert.equal(bh.code, 0);
  for (const o of ['--kubeconfig', '--context', '--ttl', '--description', '--output', '--force', '--print-token']) assert.ok(bh.stdout.includes(o), o);
  const v = await cli(['--version']);
  assert.equal(v.code, 0);
  assert.equal(v.stdout.trim(), (JSON.parse(readFileSync(resolve(__dirname, '../../../package.json'), 'utf8')) as { version: string }).version);
  const u = await cli(['frobnicate']);
  assert.equal(u.code, 1);
  assert.match(u.stderr, /^error: Unknown command 'frobnicate'.*--help/);
  const o = await cli(['bootstrap', '--frob']);
  assert.equal(o.code, 1);
  assert.equal(o.stderr.split('\n').filter(Boolean).length, 1);
});

void test('Done when: bootstrap writes a file kubectl can use to create CSRs once the bindings exist', async () => {
  const dir = join(work, 'done-when');
  const file = join(dir, 'bootstrap.conf');
  const r = await cli(['bootstrap', '--kubeconfig', cp.kubeconfigPath, '-o', file]);
  assert.equal(r.code, 0, r.stderr);
  const token = tokenFromBootstrapKubeconfig(readFileSync(file, 'utf8')) ?? '';
  assert.match(token, /^[a-z0-9]{6}\.[a-z0-9]{16}$/);
  assert.ok(!r.stdout.includes(token.slice(7)) && !r.stderr.includes(token.slice(7)), 'the secret is not printed');
  assert.ok(r.stdout.includes(`Created bootstrap token ${token.slice(0, 6)}`));
  assert.ok(r.stdout.includes(file));
  assert.equal(statSync(file).mode & 0o777, 0o600);
  // A fresh cluster has no bootstrap RBAC: the CLI says so, and kubectl agrees.
  assert.match(r.stderr, /^warning: .*rbac apply/m);
  // `auth can-i` answers "no" with exit code 1.
  const no = await kubectl(file, ['auth', 'can-i', 'create', 'certificatesigningrequests']).then(
    (stdout) => assert.fail(`the token may create CSRs before rbac apply: ${stdout}`),
    (e: KubectlError) => e,
  );
  assert.equal(no.stdout.trim(), 'no', no.stderr);

  const rbac = await cli(['rbac', 'apply', '--kubeconfig', cp.kubeconfigPath]);
  assert.equal(rbac.code, 0, rbac.stderr);
  const yes = await kubectl(file, ['auth', 'can-i', 'create', 'certificatesigningrequests']);
  assert.equal(yes.trim(), 'yes');
  // The token authenticates as system:bootstrap:<id>.
  const review = await admin.tokenReview(token);
  assert.equal(review.username, `system:bootstrap:${token.slice(0, 6)}`);
});

void test('bootstrap --print-token --json --ttl --description; default path from CONFIG_DIR/FILE_NAME', async () => {
  const cfg = join(work, 'cfg');
  const r = await cli(['bootstrap', '--kubeconfig', cp.kubeconfigPath, '--ttl', '90m', '--description', 'ci node', '--print-token', '--json'], { CONFIG_DIR: cfg, FILE_NAME: 'node-a.conf' });
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout) as { tokenId: string; token: string; path: string; expiration: string; tokenAccepted: boolean; tokenCanCreateCsrs: boolean };
  assert.equal(j.path, join(cfg, 'node-a.conf'));
  assert.equal(tokenFromBootstrapKubeconfig(readFileSync(j.path, 'utf8')), j.token);
  assert.equal(j.tokenAccepted, true);
  const listed = (await admin.listTokens()).find((t) => t.id === j.tokenId);
  assert.equal(listed?.description, 'ci node');
  const minutes = ((listed?.expiration?.getTime() ?? 0) - (listed?.createdAt?.getTime() ?? 0)) / 60000;
  assert.ok(minutes > 89 && minutes <= 90, `expiration is 90 minutes after creation (${minutes})`);
});

void test('bootstrap --node-name pins the token to that node (lowercased, as Krustlet names it): an annotation on its Secret', async () => {
  const r = await cli(['bootstrap', '--kubeconfig', cp.kubeconfigPath, '-o', join(work, 'pinned', 'bootstrap.conf'), '--node-name', 'Edge-7', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout) as { tokenId: string; nodeName: string | null };
  assert.equal(j.nodeName, 'edge-7');
  const secret = JSON.parse(await kubectl(cp.kubeconfigPath, ['get', 'secret', '-n', 'kube-system', `bootstrap-token-${j.tokenId}`, '-o', 'json'])) as { metadata: { annotations?: Record<string, string> } };
  assert.equal(secret.metadata.annotations?.['krustlet.dev/node-name'], 'edge-7');
  assert.equal((await admin.listTokens()).find((t) => t.id === j.tokenId)?.pinnedNode, 'edge-7');
  const text = await cli(['bootstrap', '--kubeconfig', cp.kubeconfigPath, '-o', join(work, 'pinned', 'b.conf'), '--node-name', 'edge-8']);
  assert.match(text.stdout, /^Created bootstrap token \w{6} \(Secret kube-system\/bootstrap-token-\w{6}, expires .*, pinned to node edge-8\)/);
});

void test('bad input: a --node-name that is no node name (before anything is created)', async () => {
  await expectCleanFailure(['bootstrap', '--kubeconfig', cp.kubeconfigPath, '--node-name', 'my_host'], [/'my_host' is not a node name/, /--node-name/]);
});

void test('token list masks secrets unless asked; token delete by id and by whole token', async () => {
  const a = await cli(['bootstrap', '--kubeconfig', cp.kubeconfigPath, '-o', join(work, 'tl', 'a.conf'), '--print-token', '--json', '--ttl', '0']);
  const b = await cli(['bootstrap', '--kubeconfig', cp.kubeconfigPath, '-o', join(work, 'tl', 'b.conf'), '--print-token', '--json']);
  const ta = (JSON.parse(a.stdout) as { token: string }).token;
  const tb = (JSON.parse(b.stdout) as { token: string }).token;

  const list = await cli(['token', 'list', '--kubeconfig', cp.kubeconfigPath]);
  assert.equal(list.code, 0, list.stderr);
  assert.match(list.stdout, /^TOKEN\s+TTL\s+EXPIRES\s+USAGES\s+DESCRIPTION\s+EXTRA GROUPS/);
  assert.ok(list.stdout.includes(`${ta.slice(0, 6)}.****************   <forever>   <never>`), list.stdout);
  assert.ok(!list.stdout.includes(ta.slice(7)) && !list.stdout.includes(tb.slice(7)));
  const shown = await cli(['token', 'list', '--kubeconfig', cp.kubeconfigPath, '--show-secrets']);
  assert.ok(shown.stdout.includes(ta) && shown.stdout.includes(tb));
  const json = JSON.parse((await cli(['token', 'list', '--kubeconfig', cp.kubeconfigPath, '--json'])).stdout) as { id: string; token?: string; expiration: string | null }[];
  assert.equal(json.find((t) => t.id === ta.slice(0, 6))?.expiration, null);
  assert.ok(json.every((t) => t.token === undefined));

  const d1 = await cli(['token', 'delete', ta.slice(0, 6), '--kubeconfig', cp.kubeconfigPath]);
  assert.equal(d1.code, 0, d1.stderr);
  assert.equal(d1.stdout, `Deleted bootstrap token ${ta.slice(0, 6)} (Secret kube-system/bootstrap-token-${ta.slice(0, 6)}).\n`);
  const d2 = await cli(['token', 'delete', tb, '--kubeconfig', cp.kubeconfigPath]);
  assert.equal(d2.code, 0, d2.stderr);
  assert.ok(!d2.stdout.includes(tb.slice(7)), 'the secret is not echoed');
  const ids = await tokenIds();
  assert.ok(!ids.includes(ta.slice(0, 6)) && !ids.includes(tb.slice(0, 6)));
  const again = await cli(['token', 'delete', ta.slice(0, 6), '--kubeconfig', cp.kubeconfigPath]);
  assert.equal(again.code, 1);
  assert.match(again.stderr, /^error: Bootstrap token '\w{6}' does not exist.*token list/);
});

void test('bad input: kubeconfig missing', async () => {
  await expectCleanFailure(['bootstrap', '--kubeconfig', join(work, 'nope.kubeconfig')], [/does not exist/, /--kubeconfig/]);
  await expectCleanFailure(['bootstrap'], [/No kubeconfig found/, /KUBECONFIG/]);
});

void test('bad input: kubeconfig malformed', async () => {
  await expectCleanFailure(['bootstrap', '--kubeconfig', join(FIX, 'malformed.yaml')], [/not valid YAML at line \d+/]);
});

void test('bad input: unknown context', async () => {
  await expectCleanFailure(['bootstrap', '--kubeconfig', cp.kubeconfigPath, '--context', 'staging'], [/Context 'staging' is not in/, new RegExp(`Pass --context with one of: ${cp.contextName}\\.$`)]);
});

void test('bad input: context without a server', async () => {
  await expectCleanFailure(['bootstrap', '--kubeconfig', join(FIX, 'second.yaml'), '--context', 'no-server'], [/has no server address/, /--server=/]);
});

void test('bad input: CA file missing', async () => {
  const k = variant('ca-missing', (d) => {
    d.clusters[0].cluster['certificate-authority'] = join(work, 'gone', 'ca.crt');
  });
  await expectCleanFailure(['bootstrap', '--kubeconfig', k], [/CA file .*gone\/ca\.crt.* cannot be read/, /certificate-authority/]);
});

void test('bad input: server unreachable (connection refused)', async () => {
  const probe = createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  const port = (probe.address() as { port: number }).port;
  await new Promise<void>((r) => probe.close(() => r()));
  const k = variant('refused', (d) => {
    d.clusters[0].cluster.server = `https://127.0.0.1:${port}`;
  });
  await expectCleanFailure(['bootstrap', '--kubeconfig', k], [/Cannot reach the API server at https:\/\/127\.0\.0\.1:\d+ \(connection refused\)/]);
});

void test('bad input: server does not answer (an error, never a hang)', async () => {
  const k = variant('no-answer', (d) => {
    d.clusters[0].cluster.server = `https://127.0.0.1:${hangPort}`;
  });
  const r = await expectCleanFailure(['bootstrap', '--kubeconfig', k], [/did not answer within 5 s/]);
  console.log(`  no-answer failure after ${r.ms} ms (default request timeout 5 s)`);
});

void test('the bundles: dist/kube.js has what src/core/cluster loads lazily; an exec plugin (client certificate) bootstraps', async () => {
  // dist/kube.js is a narrowed bundle of client-node's Watch and the proxy agents (scripts/build.mjs).
  const kube = createRequire(__filename)(resolve(__dirname, '../../../dist/kube.js')) as Record<string, unknown>;
  for (const name of ['Watch', 'HttpsProxyAgent', 'HttpProxyAgent', 'SocksProxyAgent']) assert.equal(typeof kube[name], 'function', name);
  const user = (yaml.load(readFileSync(cp.kubeconfigPath, 'utf8')) as { users: { user: Record<string, string> }[] }).users[0].user;
  const status = { clientCertificateData: readFileSync(user['client-certificate'], 'utf8'), clientKeyData: readFileSync(user['client-key'], 'utf8') };
  const plugin = join(work, 'exec-cert-plugin.js');
  writeFileSync(plugin, `process.stdout.write(${JSON.stringify(JSON.stringify({ apiVersion: 'client.authentication.k8s.io/v1beta1', kind: 'ExecCredential', status }))});\n`);
  const k = variant('exec-cert', (d) => {
    d.users[0].user = { exec: { apiVersion: 'client.authentication.k8s.io/v1beta1', command: process.execPath, args: [plugin], interactiveMode: 'Never' } };
  });
  const out = join(work, 'exec-cert', 'bootstrap.conf');
  const r = await cli(['bootstrap', '--kubeconfig', k, '-o', out, '--json']);
  assert.equal(r.code, 0, r.stderr);
  const j = JSON.parse(r.stdout) as { tokenId: string; tokenAccepted: boolean };
  assert.equal(j.tokenAccepted, true);
  assert.ok((await tokenIds()).includes(j.tokenId));
});

void test('bad input: 401', async () => {
  const k = variant('unauthorized', (d) => {
    d.users[0].user = { token: 'not-a-valid-credential-for-this-cluster' };
  });
  const r = await expectCleanFailure(['bootstrap', '--kubeconfig', k], [/rejected context '.*' \(401 Unauthorized\)/]);
  assert.ok(!r.stderr.includes('not-a-valid-credential'), 'the credential is not echoed');
});

void test('bad input: 403 names the missing permission', async () => {
  // A bootstrap token may not create Secrets: use a bootstrap.conf as the kubeconfig.
  const file = join(work, 'forbidden', 'bootstrap.conf');
  const ok = await cli(['bootstrap', '--kubeconfig', cp.kubeconfigPath, '-o', file]);
  assert.equal(ok.code, 0, ok.stderr);
  const token = tokenFromBootstrapKubeconfig(readFileSync(file, 'utf8')) ?? '';
  const r = await expectCleanFailure(['bootstrap', '--kubeconfig', file], [/Permission denied: 'system:bootstrap:\w{6}' may not 'create' on secrets in namespace kube-system/, /Ask a cluster admin to grant/]);
  assert.ok(!r.stderr.includes(token.slice(7)));
});

void test('bad input: malformed TTL', async () => {
  await expectCleanFailure(['bootstrap', '--kubeconfig', cp.kubeconfigPath, '--ttl', '1 day'], [/TTL '1 day' is not a duration/, /1h30m/]);
});

void test('bad input: output folder not writable', async () => {
  const blocker = join(work, 'blocker');
  writeFileSync(blocker, 'a file, not a folder');
  await expectCleanFailure(['bootstrap', '--kubeconfig', cp.kubeconfigPath, '-o', join(blocker, 'sub', 'bootstrap.conf')], [/Cannot write .*: .*blocker is a file, not a folder/, /-o\/--output/]);
  assert.equal(readFileSync(blocker, 'utf8'), 'a file, not a folder');
});

void test('bad input: output exists without --force; --force keeps a backup', async () => {
  const dir = join(work, 'exists');
  const file = join(dir, 'bootstrap.conf');
  const first = await cli(['bootstrap', '--kubeconfig', cp.kubeconfigPath, '-o', file]);
  assert.equal(first.code, 0, first.stderr);
  const original = readFileSync(file, 'utf8');
  await expectCleanFailure(['bootstrap', '--kubeconfig', cp.kubeconfigPath, '-o', file], [/already exists/, /--force/]);
  assert.equal(readFileSync(file, 'utf8'), original, 'untouched');
  assert.deepEqual(readdirSync(dir), ['bootstrap.conf']);

  const forced = await cli(['bootstrap', '--kubeconfig', cp.kubeconfigPath, '-o', file, '--force']);
  assert.equal(forced.code, 0, forced.stderr);
  const backups = readdirSync(dir).filter((f) => f.startsWith('bootstrap.conf.bak-'));
  assert.equal(backups.length, 1);
  assert.equal(readFileSync(join(dir, backups[0]), 'utf8'), original);
  assert.notEqual(readFileSync(file, 'utf8'), original);
  assert.ok(forced.stdout.includes(`Kept the previous file as ${join(dir, backups[0])}`));
});

void test('figures: CLI bootstrap wall time against the local control plane', async () => {
  const times: number[] = [];
  for (let i = 0; i < 5; i++) {
    const r = await cli(['bootstrap', '--kubeconfig', cp.kubeconfigPath, '-o', join(work, 'timing', `${i}.conf`), '--json']);
    assert.equal(r.code, 0, r.stderr);
    times.push(r.ms);
    if (i === 4) console.log(`  core bootstrap (in-process, incl. token check): ${(JSON.parse(r.stdout) as { durationMs: number }).durationMs} ms`);
  }
  times.sort((x, y) => x - y);
  console.log(`  CLI bootstrap wall time (process start to exit), 5 runs: min ${times[0]} ms, median ${times[2]} ms, max ${times[4]} ms`);
});
