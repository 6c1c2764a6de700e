import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import * as yaml from 'js-yaml';
import { errorLine } from '../../src/cli/errors';
import { isKrustletError, type ErrorCode } from '../../src/core/errors';
import { buildBootstrapKubeconfig, kubeconfigCandidates, kubeconfigFiles, listContexts, loadKubeconfig, readCaData, tokenFromBootstrapKubeconfig } from '../../src/core/kubeconfig';

const FIX = resolve(__dirname, '../../../test/fixtures/kubeconfigs');
const first = join(FIX, 'first.yaml');
const second = join(FIX, 'second.yaml');
const env = { KUBECONFIG: [first, second].join(delimiter) };

/** CLI flags and commands: the core's words never name them (each front end words `fix` itself). */
const CLI_WORDS = /--kubeconfig|--context|--force|-o\/--output|krustlet-bootstrap/;

/** `needles`: what the CLI's line (message, hint and the fix in the CLI's words) mentions. */
function rejects(fn: () => unknown, code: ErrorCode, ...needles: string[]) {
  assert.throws(fn, (e: unknown) => {
    assert.ok(isKrustletError(e, code), `expected ${code}, got ${String(e)}`);
    assert.ok(e.fix, 'has a fix');
    assert.doesNotMatch(e.toLine(), CLI_WORDS, 'the core names no CLI flag');
    const line = errorLine(e);
    assert.ok(!line.includes('\n'), 'one line');
    for (const n of needles) assert.ok(line.includes(n), `'${line}' mentions '${n}'`);
    assert.ok(!line.includes('not-a-real-credential'), 'never shows credentials');
    return true;
  });
}

void test('bootstrap kubeconfig has exactly the shape of the seed example', () => {
  const seed = readFileSync(join(FIX, 'seed-bootstrap.conf'), 'utf8');
  const seedDoc = yaml.load(seed) as { clusters: { cluster: Record<string, string>; name: string }[] };
  const c = seedDoc.clusters[0];
  const built = buildBootstrapKubeconfig(
    { clusterName: c.name, server: c.cluster.server, caData: c.cluster['certificate-authority-data'] },
    { id: 'ke3uxh', secret: 'vhxb3ttj1nquno5t' },
  );
  assert.equal(built, seed);
  assert.equal(tokenFromBootstrapKubeconfig(built), 'ke3uxh.vhxb3ttj1nquno5t');
});

void test('bootstrap kubeconfig carries insecure-skip-tls-verify over instead of a CA', () => {
  const built = yaml.load(buildBootstrapKubeconfig({ clusterName: 'c', server: 'https://h:6443', caData: 'QUJD', insecureSkipTlsVerify: true }, { id: 'abcdef', secret: '0123456789abcdef' })) as {
    clusters: { cluster: Record<string, unknown> }[];
  };
  assert.deepEqual(built.clusters[0].cluster, { 'insecure-skip-tls-verify': true, server: 'https://h:6443' });
});

void test('KUBECONFIG with several files: first definition wins, first current-context wins', () => {
  const k = loadKubeconfig({ env });
  assert.deepEqual(k.files, [first, second]);
  assert.equal(k.context.name, 'dev');
  assert.equal(k.context.namespace, 'apps');
  assert.equal(k.cluster.server, 'https://dev.example:6443', 'trailing slash dropped');
  assert.equal(k.cluster['certificate-authority'], join(FIX, 'ca.crt'), 'relative CA path resolved against its file');
  const shared = loadKubeconfig({ env, context: 'insecure' });
  assert.equal(shared.cluster.server, 'https://from-first.example:6443');
  assert.equal(shared.cluster['insecure-skip-tls-verify'], true);
  const prod = loadKubeconfig({ env, context: 'prod' });
  assert.equal(prod.cluster.server, 'https://prod.example:6443');
  assert.equal(prod.user['client-certificate-data'], 'bm90LWEtcmVhbC1jcmVkZW50aWFs');
});

void test('listContexts puts the current context first', () => {
  const names = listContexts({ env }).map((c) => `${c.name}${c.current ? '*' : ''}`);
  assert.deepEqual(names, ['dev*', 'dangling', 'insecure', 'missing-ca', 'no-server', 'prod']);
  assert.equal(listContexts({ env }).find((c) => c.name === 'prod')?.server, 'https://prod.example:6443');
});

void test('an explicit --kubeconfig beats KUBECONFIG; ~/.kube/config is the fallback', () => {
  assert.equal(loadKubeconfig({ kubeconfigPath: second, env }).context.name, 'prod');
  const home = mkdtempSync(join(tmpdir(), 'kb-home-'));
  try {
    mkdirSync(join(home, '.kube'));
    writeFileSync(join(home, '.kube', 'config'), readFileSync(second));
    assert.equal(loadKubeconfig({ env: {}, home }).context.name, 'prod');
    rmSync(join(home, '.kube', 'config'));
    rejects(() => loadKubeconfig({ env: {}, home }), 'kubeconfig-missing', join(home, '.kube', 'config'));
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});

void test('bad kubeconfigs give one-line errors with hints', () => {
  rejects(() => loadKubeconfig({ kubeconfigPath: join(FIX, 'nope.yaml') }), 'kubeconfig-missing', 'nope.yaml', '--kubeconfig');
  rejects(() => loadKubeconfig({ env: { KUBECONFIG: '/nonexistent/a:/nonexistent/b' } }), 'kubeconfig-missing', 'KUBECONFIG');
  rejects(() => loadKubeconfig({ kubeconfigPath: join(FIX, 'malformed.yaml') }), 'kubeconfig-invalid', 'malformed.yaml', 'line');
  rejects(() => loadKubeconfig({ kubeconfigPath: join(FIX, 'not-a-kubeconfig.yaml') }), 'kubeconfig-invalid');
  rejects(() => loadKubeconfig({ kubeconfigPath: FIX }), 'kubeconfig-missing');
  rejects(() => loadKubeconfig({ env, context: 'staging' }), 'context-unknown', "'staging'", 'dev, insecure, prod');
  rejects(() => loadKubeconfig({ env, context: 'no-server' }), 'no-server', "'serverless'", '--server');
  rejects(() => loadKubeconfig({ env, context: 'dangling' }), 'kubeconfig-invalid', "'nowhere'");
});

void test('a kubeconfig without current-context asks for --context (or, without contexts, says so)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kb-'));
  try {
    const f = join(dir, 'config');
    writeFileSync(f, 'apiVersion: v1\nkind: Config\nclusters: []\ncontexts: []\nusers: []\n');
    rejects(() => loadKubeconfig({ kubeconfigPath: f }), 'context-unknown', 'defines no contexts');
    writeFileSync(f, 'apiVersion: v1\nkind: Config\nclusters: []\ncontexts: [{name: a, context: {cluster: c}}, {name: b, context: {cluster: c}}]\nusers: []\n');
    rejects(() => loadKubeconfig({ kubeconfigPath: f }), 'context-unknown', 'Pass --context with one of: a, b.');
    writeFileSync(f, '');
    rejects(() => loadKubeconfig({ kubeconfigPath: f }), 'context-unknown');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

void test('readCaData embeds the CA file, keeps inline data, reports a missing file', () => {
  assert.equal(readCaData(loadKubeconfig({ env })), readFileSync(join(FIX, 'ca.crt')).toString('base64'));
  assert.equal(readCaData(loadKubeconfig({ env, context: 'prod' })), 'UFJPRC1DQQ==');
  assert.equal(readCaData(loadKubeconfig({ env, context: 'insecure' })), undefined);
  rejects(() => readCaData(loadKubeconfig({ env, context: 'missing-ca' })), 'ca-missing', 'does-not-exist/ca.crt');
});

void test('kubeconfigCandidates: where kubectl looks, existing or not; kubeconfigFiles: those that exist', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kb-candidates-'));
  try {
    const a = join(dir, 'a.yaml');
    const b = join(dir, 'b.yaml');
    writeFileSync(b, 'apiVersion: v1\nkind: Config\n');
    assert.deepEqual(kubeconfigCandidates({ kubeconfigPath: a, env: { KUBECONFIG: b } }), [a], 'the explicit path wins');
    assert.deepEqual(kubeconfigCandidates({ env: { KUBECONFIG: `${a}${delimiter}${delimiter}${b}` } }), [a, b]);
    assert.deepEqual(kubeconfigCandidates({ env: {}, home: dir }), [join(dir, '.kube', 'config')]);
    assert.deepEqual(kubeconfigFiles({ env: { KUBECONFIG: `${a}${delimiter}${b}` } }), [b], 'only the files that exist are read');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
