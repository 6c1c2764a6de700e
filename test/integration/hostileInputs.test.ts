/**
 * Inputs validated before anything happens, and text from the cluster that cannot drive the terminal:
 * the CLI (dist/cli.js) against the real control plane, with the hostile inputs of issue 10 — a CSR
 * made by a real bootstrap-token identity whose name carries terminal escapes, a token description
 * of 500 characters, kubeconfigs that are FIFOs, alias bombs or huge, and option values out of range.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startControlPlane, type ControlPlane } from '../support/controlPlane';
import { krustletClientSpec, makeCsr } from '../support/csrFactory';
import { runCli, type CliRun } from '../support/process';
import { connect, type Cluster } from '../../src/core/cluster';
import { applyBootstrapRbac } from '../../src/core/preflight';
import { generateToken, tokenSecretManifest } from '../../src/core/token';

let cp: ControlPlane;
let admin: Cluster;
let work: string;

const cli = (args: string[]): Promise<CliRun> => runCli(args, { home: join(work, 'home') });
const tokenIds = async () => (await admin.listTokens()).map((t) => t.id).sort();
const csrNames = async () => (await admin.listCsrs()).items.map((c) => c.name).sort();

/** Anything a terminal acts on: C0 (but \n), DEL, C1, bidi and zero-width characters. */
// eslint-disable-next-line no-control-regex
const RAW_CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2066-\u2069]/;

/** One `error:` line, exit 1, nothing on stdout, no Secret and no CSR made or changed. */
async function rejected(args: string[], mention: RegExp): Promise<CliRun> {
  const [tokens, csrs] = [await tokenIds(), await csrNames()];
  const r = await cli(args);
  assert.equal(r.code, 1, `${args.join(' ')}: ${r.stderr}`);
  assert.equal(r.stdout, '', `${args.join(' ')}: nothing on stdout`);
  const lines = r.stderr.split('\n').filter(Boolean);
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0], /^error: /);
  assert.match(lines[0], mention);
  assert.doesNotMatch(r.stderr, /Warning|TimeoutOverflow|ambiguous/, 'no Node warning, no parseArgs jargon');
  assert.deepEqual(await tokenIds(), tokens, 'no Secret created');
  assert.deepEqual(await csrNames(), csrs);
  return r;
}

before(async () => {
  work = mkdtempSync(join(tmpdir(), 'kb-hostile-'));
  cp = await startControlPlane();
  admin = await connect({ kubeconfigPath: cp.kubeconfigPath });
});

after(async () => {
  await cp?.stop();
  rmSync(work, { recursive: true, force: true });
});

void test('--timeout out of range or junk, --ttl -1, empty and dot names: a clear error before anything happens', async () => {
  const k = ['--kubeconfig', cp.kubeconfigPath];
  // Was: 0 was refused, but 1e12 gave a Node TimeoutOverflowWarning and a "did not answer within 1000000000 s".
  for (const t of ['0', '1e12', '-5', 'abc', '99999', 'NaN', 'Infinity', '']) await rejected(['token', 'list', ...k, '--timeout', t], /--timeout '.*' (is out of range|is not a number)/);
  assert.equal((await cli(['token', 'list', ...k, '--timeout', '30s'])).code, 0, 'a duration is fine, as kubectl --request-timeout');
  // Was: "argument is ambiguous".
  await rejected(['bootstrap', ...k, '--ttl', '-1', '-o', join(work, 'ttl', 'bootstrap.conf')], /TTL|ttl/);
  // Was: `csr review ''` exited 0 with a "review" of the API's list document.
  for (const sub of ['review', 'approve', 'deny']) {
    for (const name of ['', '.', '..', 'a/b', '%2e']) await rejected(['csr', sub, name, ...k], /is not a CertificateSigningRequest name/);
  }
  for (const id of ['', '.', '..', 'abc/def']) await rejected(['token', 'delete', id, ...k], /neither a token id nor a bootstrap token/);
});

void test('a kubeconfig that is a FIFO, a folder, a YAML alias bomb or huge: an error at once, never a hang', async () => {
  const fifo = join(work, 'fifo.kubeconfig');
  execFileSync('mkfifo', [fifo]);
  // Was: the FIFO blocked the read forever.
  const r = await rejected(['token', 'list', '--kubeconfig', fifo], /is a FIFO \(named pipe\), not a file/);
  const dir = join(work, 'kc-folder');
  mkdirSync(dir);
  await rejected(['token', 'list', '--kubeconfig', dir], /is a folder, not a file/);
  // A billion laughs: 9 levels of 9 aliases each = 387,420,489 strings from a few hundred bytes.
  const lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
  for (let i = 1; i < 9; i++) {
    const p = String.fromCharCode(96 + i);
    const n = String.fromCharCode(97 + i);
    lines.push(`${n}: &${n} [${Array(9).fill(`*${p}`).join(',')}]`);
  }
  lines.push('clusters: [{name: c, cluster: {server: "https://127.0.0.1:1", extensions: *i}}]', 'users: [{name: u, user: {token: x}}]', 'contexts: [{name: x, context: {cluster: c, user: u}}]', 'current-context: x');
  const bomb = join(work, 'bomb.kubeconfig');
  writeFileSync(bomb, lines.join('\n') + '\n');
  const b = await rejected(['token', 'list', '--kubeconfig', bomb], /expands to more than 1,000,000 values through YAML aliases/);
  const huge = join(work, 'huge.kubeconfig');
  writeFileSync(huge, `${readFileSync(cp.kubeconfigPath, 'utf8')}\n# ${'x'.repeat(5 * 1024 * 1024)}\n`);
  const h = await rejected(['token', 'list', '--kubeconfig', huge], /is 5\.0 MiB, more than a kubeconfig can be/);
  console.log(`  FIFO kubeconfig: ${r.ms} ms; alias bomb: ${b.ms} ms; 5 MiB file: ${h.ms} ms (CLI start to exit)`);
});

void test('a CSR made by a real bootstrap token, its name full of terminal escapes: every CLI output shows it escaped; --json stays exact', async () => {
  await applyBootstrapRbac(admin);
  const token = generateToken();
  await admin.createTokenSecret(tokenSecretManifest(token, { ttlSeconds: 3600 }));
  const asToken = await admin.asToken(token);
  // OSC title, erase line + carriage return, a forged table row, a bidi override, a Markdown link.
  const name = 'edge-7\u001b]0;pwned\u0007\u001b[2K\r\nnode-x   Approved,Issued   fake\u202egnp.exe [click](command:workbench.action.terminal.new)';
  const made = await makeCsr(krustletClientSpec('edge-7'));
  await asToken.createCsr({ name, requestPem: made.pem, signerName: 'kubernetes.io/kube-apiserver-client-kubelet', usages: ['digital signature', 'key encipherment', 'client auth'] });
  // A token description of 500 characters with escapes in it.
  const desc = `\u001b[31mred\u001b[0m ${'long '.repeat(100)}`;
  await admin.createTokenSecret(tokenSecretManifest(generateToken(), { ttlSeconds: 3600, description: desc }));

  const k = ['--kubeconfig', cp.kubeconfigPath];
  const outputs: [string, CliRun][] = [];
  for (const args of [['csr', 'list'], ['csr', 'review', name], ['token', 'list'], ['csr', 'approve', name, '--force'], ['csr', 'review', name], ['csr', 'deny', name]]) {
    const r = await cli([...args, ...k]);
    outputs.push([args.slice(0, 2).join(' '), r]);
    assert.doesNotMatch(r.stdout + r.stderr, RAW_CONTROL, `${args.join(' ')}: no raw control character reaches the terminal`);
  }
  const list = outputs[0][1].stdout;
  assert.ok(list.includes('edge-7\\x1b]0;pwned\\x07\\x1b[2K\\r\\nnode-x'), list);
  assert.equal(list.split('\n').filter((l) => l.includes('node-x')).length, 1, 'no forged row: the name stays on its own line');
  const tokens = outputs[2][1].stdout.split('\n').find((l) => l.includes('red')) ?? '';
  assert.ok(tokens.includes('\\x1b[31mred'), tokens);
  assert.ok(tokens.length < 200, `a long description does not blow up the row (${tokens.length} characters)`);
  // --json: exact JSON (parsing gives the name back), and still no raw control character.
  for (const args of [['csr', 'list', '--json'], ['csr', 'review', name, '--json'], ['token', 'list', '--json']]) {
    const r = await cli([...args, ...k]);
    assert.equal(r.code, 0, r.stderr);
    assert.doesNotMatch(r.stdout, RAW_CONTROL);
    const j = JSON.parse(r.stdout) as unknown;
    const text = JSON.stringify(j);
    if (args[1] === 'list' && args[0] === 'csr') assert.ok((j as { name: string }[]).some((c) => c.name === name), 'the exact name');
    if (args[0] === 'token') assert.ok(text.includes(JSON.stringify(desc).slice(1, -1)), 'the exact description');
  }
});
