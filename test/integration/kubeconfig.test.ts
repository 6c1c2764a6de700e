/**
 * Kubeconfig compatibility with kubectl, field by field, against the real API server: for each user
 * and cluster field client-go reads, the identity this tool acts as is the one kubectl (the real one,
 * run on the same file) acts as — or, where kubectl would act as system:anonymous by mistake, a clear
 * error. Plus the credential step's bounds: an exec plugin that never answers, or answers nothing.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { execFileSync } from 'node:child_process';
import * as yaml from 'js-yaml';
import { startControlPlane, type ControlPlane } from '../support/controlPlane';
import { startConnectProxy, startPrefixProxy, type ConnectProxy, type PrefixProxy } from '../support/httpProxies';
import { kubectl, KubectlError } from '../support/kubectl';
import { pidAlive, runCli } from '../support/process';
import { until } from '../support/poll';
import { connect, type Cluster } from '../../src/core/cluster';
import { createTokenInformer } from '../../src/core/cluster/informer';
import { isKrustletError } from '../../src/core/errors';

let cp: ControlPlane;
let admin: Cluster;
let work: string;
let saToken: string;
let connectProxy: ConnectProxy;
let prefixProxy: PrefixProxy;
let pki: { ca: string; adminCert: string; adminKey: string };

const ADMIN = 'kubernetes-admin (system:masters)';
const PROBE = ['get', 'secret', 'kb-whoami', '-n', 'kube-system'];
const SA = 'system:serviceaccount:default:kb-reader';

type Doc = { clusters: { name: string; cluster: Record<string, unknown> }[]; users: { name: string; user: Record<string, unknown> }[]; contexts: { name: string; context: Record<string, unknown> }[]; 'current-context': string };

/** The admin kubeconfig with its cluster and user entries edited, written to work/<name>/kubeconfig. */
function variant(name: string, edit: (d: Doc, dir: string) => void): string {
  const dir = join(work, name);
  mkdirSync(dir, { recursive: true });
  const d = yaml.load(readFileSync(cp.kubeconfigPath, 'utf8')) as Doc;
  edit(d, dir);
  const p = join(dir, 'kubeconfig');
  writeFileSync(p, yaml.dump(d));
  return p;
}
const withUser = (name: string, user: Record<string, unknown> | ((dir: string) => Record<string, unknown>)) =>
  variant(name, (d, dir) => {
    d.users[0].user = typeof user === 'function' ? user(dir) : user;
  });

/** Who this tool acts as with kubeconfig `k` (the API server names the user in a 403; the admin gets a 404). */
async function whoamiHere(k: string): Promise<string> {
  const c = await connect({ kubeconfigPath: k, env: {} });
  try {
    await c.transport.request('GET', '/api/v1/namespaces/kube-system/secrets/kb-whoami');
    return 'found?';
  } catch (e) {
    if (isKrustletError(e, 'not-found')) return ADMIN;
    const m = /'([^']+)' may not/.exec(String((e as Error).message));
    if (m) return m[1];
    throw e;
  }
}

/** Who the real kubectl acts as with the same file. */
async function whoamiKubectl(k: string): Promise<string> {
  try {
    await kubectl(k, PROBE);
    return 'found?';
  } catch (e) {
    const err = e as KubectlError;
    if (!(err instanceof KubectlError)) throw e;
    if (/NotFound|not found/.test(err.stderr)) return ADMIN;
    const m = /User "([^"]*)" cannot/.exec(err.stderr);
    if (m) return m[1];
    throw new Error(`kubectl: ${err.stderr}`, { cause: e });
  }
}

async function sameAsKubectl(k: string, expected: string): Promise<void> {
  assert.equal(await whoamiKubectl(k), expected, 'kubectl');
  assert.equal(await whoamiHere(k), expected, 'krustlet-bootstrap');
}

async function rejectsWith(k: string, code: string, ...needles: RegExp[]): Promise<string> {
  let msg = '';
  await assert.rejects(
    async () => whoamiHere(k),
    (e: unknown) => {
      assert.ok(isKrustletError(e), String(e));
      assert.equal(e.code, code, e.toLine());
      msg = e.toLine();
      for (const n of needles) assert.match(msg, n);
      assert.doesNotMatch(msg, /'system:anonymous' may not/, 'never anonymous by mistake');
      return true;
    },
  );
  return msg;
}

const PLUGIN = `#!${process.execPath}
// A client-go credential plugin with a behaviour per first argument.
const fs = require('node:fs');
const [mode, arg] = process.argv.slice(2);
const api = process.env.KB_API || 'client.authentication.k8s.io/v1beta1';
const out = (status) => process.stdout.write(JSON.stringify({ apiVersion: api, kind: 'ExecCredential', status }));
if (arg && mode !== 'hang') fs.writeFileSync(arg, process.env.KUBERNETES_EXEC_INFO || '');
if (mode === 'token') out({ token: process.env.KB_TOKEN });
else if (mode === 'empty') out({});
else if (mode === 'no-status') process.stdout.write(JSON.stringify({ apiVersion: api, kind: 'ExecCredential' }));
else if (mode === 'fail') { process.stderr.write('error: you must log in first\\n'); process.exit(3); }
else if (mode === 'hang') { fs.writeFileSync(arg, String(process.pid)); process.on('SIGTERM', () => undefined); setInterval(() => undefined, 1000); }
`;

before(async () => {
  work = mkdtempSync(join(tmpdir(), 'kb-kubeconfig-'));
  cp = await startControlPlane();
  admin = await connect({ kubeconfigPath: cp.kubeconfigPath });
  const u = (yaml.load(readFileSync(cp.kubeconfigPath, 'utf8')) as Doc).users[0].user;
  pki = { ca: cp.caPath, adminCert: String(u['client-certificate']), adminKey: String(u['client-key']) };
  // A service account's token (1.20: its Secret is made by the token controller).
  await kubectl(cp.kubeconfigPath, ['create', 'serviceaccount', 'kb-reader', '-n', 'default']);
  const secret = await until('the service account token Secret', async () => {
    const name = await kubectl(cp.kubeconfigPath, ['get', 'sa', 'kb-reader', '-n', 'default', '-o', 'jsonpath={.secrets[0].name}']);
    return name.trim() || undefined;
  });
  saToken = Buffer.from(await kubectl(cp.kubeconfigPath, ['get', 'secret', secret, '-n', 'default', '-o', 'jsonpath={.data.token}']), 'base64').toString('utf8');
  writeFileSync(join(work, 'plugin.js'), PLUGIN);
  chmodSync(join(work, 'plugin.js'), 0o755);
  connectProxy = await startConnectProxy();
  prefixProxy = await startPrefixProxy(cp.server, '/k8s/edge', { ca: readFileSync(pki.ca), cert: readFileSync(pki.adminCert), key: readFileSync(pki.adminKey) });
});

after(async () => {
  await connectProxy?.close();
  await prefixProxy?.close();
  await cp?.stop();
  rmSync(work, { recursive: true, force: true });
});

void test('user token and tokenFile (relative to the kubeconfig, trimmed, re-read, winning over token) act as kubectl does', async () => {
  await sameAsKubectl(withUser('token', { token: saToken }), SA);
  // tokenFile was ignored before (only a non-standard 'token-file' key was read): system:anonymous.
  const k = withUser('token-file', (dir) => {
    mkdirSync(join(dir, 'secrets'));
    writeFileSync(join(dir, 'secrets', 'sa.token'), `${saToken}\n`);
    return { tokenFile: 'secrets/sa.token' };
  });
  await sameAsKubectl(k, SA);
  // Both: the file wins (client-go's rule), so a rotated file is what counts.
  await sameAsKubectl(withUser('token-and-file', (dir) => {
    writeFileSync(join(dir, 'sa.token'), saToken);
    return { token: 'not-a-valid-token', tokenFile: 'sa.token' };
  }), SA);
  // Re-read on every request: a connection made before the rotation uses the new token.
  const c = await connect({ kubeconfigPath: k, env: {} });
  writeFileSync(join(dirname(k), 'secrets', 'sa.token'), 'rotated-but-invalid\n');
  await assert.rejects(c.version(), (e: unknown) => isKrustletError(e, 'unauthorized'));
  writeFileSync(join(dirname(k), 'secrets', 'sa.token'), '');
  await assert.rejects(c.version(), (e: unknown) => isKrustletError(e, 'unauthorized') && /tokenFile .* is empty/.test(e.message));
  rmSync(join(dirname(k), 'secrets', 'sa.token'));
  await assert.rejects(c.version(), (e: unknown) => isKrustletError(e, 'unauthorized') && /tokenFile .* cannot be read \(ENOENT\)/.test(e.message));
  // A tokenFile that is a FIFO: an error at once, never a read that waits for a writer.
  execFileSync('mkfifo', [join(dirname(k), 'secrets', 'fifo.token')]);
  await rejectsWith(withUser('token-fifo', { tokenFile: join(dirname(k), 'secrets', 'fifo.token') }), 'unauthorized', /tokenFile .* cannot be read \(is a FIFO \(named pipe\), not a file\)/);
  // The non-standard key kubectl ignores is an error here, never anonymous.
  await rejectsWith(withUser('legacy-token-file', { 'token-file': '/nonexistent' }), 'kubeconfig-invalid', /'token-file'.*tokenFile/);
});

void test('client-certificate(-data) and client-key(-data): files relative to the kubeconfig, or embedded', async () => {
  const dir = join(work, 'certs');
  mkdirSync(dir, { recursive: true });
  const ossl = (args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  ossl(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', 'u.key', '-out', 'u.csr', '-subj', '/O=kb-group/CN=kb-cert-user']);
  writeFileSync(join(dir, 'u.ext'), 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n');
  ossl(['x509', '-req', '-in', 'u.csr', '-CA', pki.ca, '-CAkey', join(dirname(pki.ca), 'ca.key'), '-set_serial', '0x4b42', '-days', '1', '-out', 'u.crt', '-extfile', 'u.ext']);
  const files = variant('certs', (d) => {
    d.users[0].user = { 'client-certificate': 'u.crt', 'client-key': 'u.key' };
  });
  await sameAsKubectl(files, 'kb-cert-user');
  const data = withUser('cert-data', {
    'client-certificate-data': readFileSync(join(dir, 'u.crt')).toString('base64'),
    'client-key-data': readFileSync(join(dir, 'u.key')).toString('base64'),
  });
  await sameAsKubectl(data, 'kb-cert-user');
  // kubectl's own validation errors: here each is a clear error too.
  await rejectsWith(withUser('cert-no-key', { 'client-certificate': join(dir, 'u.crt') }), 'kubeconfig-invalid', /no client-key/);
  await rejectsWith(withUser('cert-both', { 'client-certificate': join(dir, 'u.crt'), 'client-certificate-data': 'QQ==', 'client-key': join(dir, 'u.key') }), 'kubeconfig-invalid', /both client-certificate and client-certificate-data/);
  await rejectsWith(withUser('cert-missing', { 'client-certificate': 'nope.crt', 'client-key': 'nope.key' }), 'unauthorized', /client-certificate file .*nope\.crt cannot be read \(ENOENT\)/);
  await rejectsWith(withUser('cert-wrong-key', { 'client-certificate': join(dir, 'u.crt'), 'client-key': pki.adminKey }), 'unauthorized', /cannot be used together/);
});

void test('impersonation (as, as-groups) acts as the impersonated user, as kubectl does', async () => {
  const k = variant('impersonate', (d) => {
    d.users[0].user = { ...d.users[0].user, as: 'kb-impersonated', 'as-groups': ['kb-a', 'kb-b'] };
  });
  await sameAsKubectl(k, 'kb-impersonated');
  await rejectsWith(variant('impersonate-no-user', (d) => {
    d.users[0].user = { ...d.users[0].user, 'as-groups': ['kb-a'] };
  }), 'kubeconfig-invalid', /without a user \('as'\)/);
});

void test('exec plugin: command relative to the kubeconfig, args, env, provideClusterInfo (KUBERNETES_EXEC_INFO), a v1 plugin', async () => {
  const info = join(work, 'exec-info.json');
  const k = variant('exec', (d, dir) => {
    mkdirSync(join(dir, 'bin'));
    writeFileSync(join(dir, 'bin', 'plugin.js'), PLUGIN);
    chmodSync(join(dir, 'bin', 'plugin.js'), 0o755);
    d.clusters[0].cluster['tls-server-name'] = 'kubernetes';
    d.users[0].user = {
      exec: { apiVersion: 'client.authentication.k8s.io/v1beta1', command: './bin/plugin.js', args: ['token', info], env: [{ name: 'KB_TOKEN', value: saToken }], provideClusterInfo: true, interactiveMode: 'Never' },
    };
  });
  await sameAsKubectl(k, SA);
  const execInfo = JSON.parse(readFileSync(info, 'utf8')) as { apiVersion: string; kind: string; spec: { interactive: boolean; cluster: Record<string, unknown> } };
  assert.equal(execInfo.kind, 'ExecCredential');
  assert.equal(execInfo.spec.interactive, false);
  assert.equal(execInfo.spec.cluster.server, cp.server);
  assert.equal(execInfo.spec.cluster['tls-server-name'], 'kubernetes');
  assert.equal(execInfo.spec.cluster['certificate-authority-data'], readFileSync(cp.caPath).toString('base64'), 'the CA file is sent as data, as client-go does');
  // client.authentication.k8s.io/v1 (interactiveMode required, as in kubectl).
  const v1 = withUser('exec-v1', { exec: { apiVersion: 'client.authentication.k8s.io/v1', command: join(work, 'plugin.js'), args: ['token'], env: [{ name: 'KB_TOKEN', value: saToken }, { name: 'KB_API', value: 'client.authentication.k8s.io/v1' }], interactiveMode: 'IfAvailable' } });
  await sameAsKubectl(v1, SA);
  await rejectsWith(withUser('exec-v1-no-mode', { exec: { apiVersion: 'client.authentication.k8s.io/v1', command: join(work, 'plugin.js'), args: ['token'] } }), 'kubeconfig-invalid', /without interactiveMode/);
  await rejectsWith(withUser('exec-alpha', { exec: { apiVersion: 'client.authentication.k8s.io/v1alpha1', command: join(work, 'plugin.js') } }), 'kubeconfig-invalid', /v1alpha1.*no longer supports/);
});

void test('exec plugin failures are errors that say why, never system:anonymous: not installed (installHint), failing, empty status, no status, Always without a terminal', async () => {
  const exec = (args: string[], extra: Record<string, unknown> = {}) => ({ exec: { apiVersion: 'client.authentication.k8s.io/v1beta1', command: join(work, 'plugin.js'), args, interactiveMode: 'Never', ...extra } });
  await rejectsWith(withUser('exec-missing', { exec: { apiVersion: 'client.authentication.k8s.io/v1beta1', command: 'kb-no-such-plugin', installHint: 'Install kb-no-such-plugin with: apt install kb-plugin' } }), 'unauthorized', /kb-no-such-plugin is not installed/, /apt install kb-plugin/);
  await rejectsWith(withUser('exec-fail', exec(['fail'])), 'unauthorized', /exit code 3: error: you must log in first/);
  await rejectsWith(withUser('exec-empty', exec(['empty'])), 'unauthorized', /empty status/);
  await rejectsWith(withUser('exec-no-status', exec(['no-status'])), 'unauthorized', /no status/);
  await rejectsWith(withUser('exec-always', exec(['token'], { interactiveMode: 'Always' })), 'unauthorized', /needs a terminal/);
  await rejectsWith(withUser('auth-provider', { 'auth-provider': { name: 'gcp', config: {} } }), 'kubeconfig-invalid', /auth-provider plugin 'gcp'.*not support/, /gke-gcloud-auth-plugin/);
  await rejectsWith(withUser('auth-provider-oidc', { 'auth-provider': { name: 'oidc', config: { 'client-id': 'x' } } }), 'kubeconfig-invalid', /'oidc'/);
});

void test('an exec plugin that never answers is bounded by --timeout and killed (CLI, and the informer the view uses)', async () => {
  const pidFile = join(work, 'hang.pid');
  const k = withUser('exec-hang', { exec: { apiVersion: 'client.authentication.k8s.io/v1beta1', command: join(work, 'plugin.js'), args: ['hang', pidFile], interactiveMode: 'Never' } });
  const r = await runCli(['token', 'list', '--kubeconfig', k, '--timeout', '2'], { home: join(work, 'home') });
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /^error: Getting the credentials of context '.*' took longer than 2 s\./);
  const pid = Number(readFileSync(pidFile, 'utf8'));
  await until('the hung plugin to be killed', () => !pidAlive(pid), 10_000);
  console.log(`  hung exec plugin: CLI exited after ${r.ms} ms with --timeout 2`);
  // The informer (the extension's tree) reports it and does not sit in 'connecting'.
  rmSync(pidFile);
  const c = await connect({ kubeconfigPath: k, env: {}, timeoutMs: 1000 });
  const inf = createTokenInformer(c, { initialBackoffMs: 60_000 });
  try {
    const e = await until('the informer to report the hung plugin', () => inf.lastError as Error | undefined, 20_000);
    assert.equal(inf.state, 'connecting');
    assert.match(String(e.message), /Getting the credentials .* took longer than 1 s/);
  } finally {
    inf.dispose();
  }
  const pid2 = Number(readFileSync(pidFile, 'utf8'));
  await until('the informer\'s hung plugin to be killed', () => !pidAlive(pid2), 10_000);
});

void test('a context naming a user the kubeconfig does not define is an error (kubectl would act as system:anonymous)', async () => {
  const k = variant('dangling-user', (d) => {
    d.contexts[0].context.user = 'nobody';
  });
  // (kubectl falls back to no credentials: it asks for a username on a terminal, else acts as system:anonymous.)
  await rejectsWith(k, 'kubeconfig-invalid', /uses user 'nobody', which kubeconfig .* does not define/);
  const r = await runCli(['token', 'list', '--kubeconfig', k], { home: join(work, 'home') });
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^error: Context '.*' uses user 'nobody'/);
});

void test('cluster: certificate-authority (relative) and -data, insecure-skip-tls-verify, and the combinations kubectl refuses', async () => {
  const rel = variant('ca-relative', (d, dir) => {
    writeFileSync(join(dir, 'cluster-ca.crt'), readFileSync(cp.caPath));
    d.clusters[0].cluster['certificate-authority'] = 'cluster-ca.crt';
  });
  await sameAsKubectl(rel, ADMIN);
  const data = variant('ca-data', (d) => {
    delete d.clusters[0].cluster['certificate-authority'];
    d.clusters[0].cluster['certificate-authority-data'] = readFileSync(cp.caPath).toString('base64');
  });
  await sameAsKubectl(data, ADMIN);
  const insecure = variant('insecure', (d) => {
    delete d.clusters[0].cluster['certificate-authority'];
    d.clusters[0].cluster['insecure-skip-tls-verify'] = true;
  });
  await sameAsKubectl(insecure, ADMIN);
  await rejectsWith(variant('insecure-and-ca', (d) => {
    d.clusters[0].cluster['insecure-skip-tls-verify'] = true;
  }), 'kubeconfig-invalid', /names a CA and sets insecure-skip-tls-verify/);
  await rejectsWith(variant('ca-both', (d) => {
    d.clusters[0].cluster['certificate-authority-data'] = 'QQ==';
  }), 'kubeconfig-invalid', /both certificate-authority and certificate-authority-data/);
  // A CA "file" that is a FIFO or a folder: an error at once, never a hang.
  const fifo = variant('ca-fifo', (d, dir) => {
    execFileSync('mkfifo', [join(dir, 'ca.fifo')]);
    d.clusters[0].cluster['certificate-authority'] = 'ca.fifo';
  });
  await rejectsWith(fifo, 'ca-missing', /CA file .*ca\.fifo .* cannot be read \(is a FIFO \(named pipe\), not a file\)/);
  await rejectsWith(variant('ca-folder', (d, dir) => {
    d.clusters[0].cluster['certificate-authority'] = dir;
  }), 'ca-missing', /is a folder, not a file/);
  // No CA: the system's trust store, which does not know this cluster's CA.
  await rejectsWith(variant('no-ca', (d) => {
    delete d.clusters[0].cluster['certificate-authority'];
  }), 'api-error', /TLS with .* failed/);
});

void test('tls-server-name: the certificate is checked against it (right name works, wrong name fails)', async () => {
  const right = variant('sni-right', (d) => {
    d.clusters[0].cluster['tls-server-name'] = 'kubernetes.default.svc';
  });
  await sameAsKubectl(right, ADMIN);
  const wrong = variant('sni-wrong', (d) => {
    d.clusters[0].cluster['tls-server-name'] = 'not-the-apiserver.example';
  });
  await assert.rejects(whoamiKubectl(wrong), /not-the-apiserver\.example/);
  await rejectsWith(wrong, 'api-error', /TLS with .* failed/);
});

void test('proxy-url: requests go through the HTTP CONNECT proxy (the bootstrap token\'s too); a bad scheme is an error', async () => {
  const k = variant('proxy', (d) => {
    d.clusters[0].cluster['proxy-url'] = connectProxy.url;
  });
  const before = connectProxy.connects.length;
  await sameAsKubectl(k, ADMIN);
  const port = new URL(cp.server).port;
  assert.ok(connectProxy.connects.slice(before).filter((t) => t === `127.0.0.1:${port}`).length >= 2, `both went through the proxy: ${connectProxy.connects.join(' ')}`);
  // The whole bootstrap, the token's check included, through the proxy.
  const seen = connectProxy.connects.length;
  const r = await runCli(['bootstrap', '--kubeconfig', k, '-o', join(work, 'proxy-out', 'bootstrap.conf'), '--json'], { home: join(work, 'home') });
  assert.equal(r.code, 0, r.stderr);
  assert.equal((JSON.parse(r.stdout) as { tokenAccepted: boolean }).tokenAccepted, true);
  assert.ok(connectProxy.connects.length > seen);
  await rejectsWith(variant('proxy-ftp', (d) => {
    d.clusters[0].cluster['proxy-url'] = 'ftp://127.0.0.1:21';
  }), 'kubeconfig-invalid', /proxy-url 'ftp:.*not an http, https or socks5 URL/);
});

void test('server with a path prefix over plain http (kubectl proxy style, no user), and basic auth as kubectl sends it', async () => {
  const k = variant('prefix', (d) => {
    d.clusters[0].cluster = { server: `${prefixProxy.url}/` };
    delete d.contexts[0].context.user;
  });
  await sameAsKubectl(k, ADMIN);
  assert.ok(prefixProxy.seen.some((s) => s.path === '/k8s/edge/api/v1/namespaces/kube-system/secrets/kb-whoami'), 'requests go below the prefix');
  const r = await runCli(['token', 'list', '--kubeconfig', k], { home: join(work, 'home') });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /names no user: requests are anonymous/);
  // username/password: the real kubectl (1.32) no longer sends it (the proxy sees no Authorization),
  // so it acts as system:anonymous; here it is an error that says so.
  const basic = variant('basic', (d) => {
    d.clusters[0].cluster = { server: prefixProxy.url };
    d.users[0].user = { username: 'kb-basic', password: 'kb-pass' };
  });
  const n = prefixProxy.seen.length;
  assert.equal(await whoamiKubectl(basic), ADMIN, 'through the proxy, which adds the admin credentials');
  assert.deepEqual(prefixProxy.seen.slice(n).map((s) => s.authorization).filter(Boolean), [], 'kubectl sent no basic auth');
  await rejectsWith(basic, 'kubeconfig-invalid', /username\/password \(basic auth\), which kubectl no longer sends/);
  await rejectsWith(withUser('token-and-basic', { token: saToken, username: 'a', password: 'b' }), 'kubeconfig-invalid', /more than one authentication method/);
});

void test('bootstrap.conf embeds the CA as data when the kubeconfig names a CA file', async () => {
  const out = join(work, 'embed', 'bootstrap.conf');
  const r = await runCli(['bootstrap', '--kubeconfig', cp.kubeconfigPath, '-o', out, '--json'], { home: join(work, 'home') });
  assert.equal(r.code, 0, r.stderr);
  assert.ok(existsSync(out));
  const doc = yaml.load(readFileSync(out, 'utf8')) as Doc;
  assert.equal(doc.clusters[0].cluster['certificate-authority-data'], readFileSync(cp.caPath).toString('base64'));
  assert.equal(doc.clusters[0].cluster['certificate-authority'], undefined);
  void admin;
});
