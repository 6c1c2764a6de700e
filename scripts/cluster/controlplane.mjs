#!/usr/bin/env node
// Start/stop a real, throwaway Kubernetes control plane (etcd + kube-apiserver + kube-controller-manager)
// on 127.0.0.1 with a fresh PKI and etcd data dir.
//
//   node scripts/cluster/controlplane.mjs start --dir DIR [--bin BINDIR] [--controllers LIST] [--json]
//   node scripts/cluster/controlplane.mjs stop  --dir DIR
//   node scripts/cluster/controlplane.mjs revive --dir DIR [--json]
//
// start: binaries from --bin, else $KRUSTLET_K8S_BIN, else the last stdout line of provision.sh.
// Writes DIR/admin.kubeconfig, DIR/state.json, DIR/pki/*, DIR/logs/{etcd,kube-apiserver,kube-controller-manager}.log.
// --controllers: kube-controller-manager's --controllers (default '*,bootstrapsigner,tokencleaner', as kubeadm runs
// it; '*' leaves both off, as kube-controller-manager's own default does: no cluster-info signatures, no token cleanup).
// With --json the last stdout line is state.json's content. kubeadm's bootstrap RBAC bindings are NOT created.
// stop: kills the process groups recorded in DIR/state.json and waits for them; removes nothing.
// revive: starts again, with the same command lines (ports, PKI, etcd data), each recorded process that is no
// longer running, and waits until the cluster answers again: the same cluster comes back, nothing is lost.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, openSync, closeSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request } from 'node:https';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, groupAlive, killGroup, pidAlive } from '../lib/process.cjs';

const HERE = dirname(fileURLToPath(import.meta.url));
export const CLUSTER_NAME = 'krustlet-local';
export const CONTEXT_NAME = 'krustlet-local-admin';
const READY_TIMEOUT_MS = 90_000; // a guard against hangs, not an assertion
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function parseArgs(argv) {
  const out = { cmd: argv[0], json: false };
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--json') out.json = true;
    else if (a === '--dir') out.dir = argv[++i];
    else if (a === '--bin') out.bin = argv[++i];
    else if (a === '--controllers') out.controllers = argv[++i];
    else throw new Error(`unknown argument ${a}`);
  }
  return out;
}

// ------------------------------------------------------------------ ports
async function freePorts(n) {
  const ports = new Set();
  while (ports.size < n) ports.add(await freePort());
  return [...ports];
}

// ------------------------------------------------------------------ PKI (openssl)
function openssl(args, cwd) {
  const r = spawnSync('openssl', args, { cwd, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`openssl ${args.join(' ')} failed: ${r.stderr || r.error}`);
}
function makePki(pki) {
  mkdirSync(pki, { recursive: true, mode: 0o700 });
  const days = '365';
  // ECDSA P-256 keys: generated in milliseconds (RSA-2048 took seconds on a loaded 2-core machine).
  openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', days,
    '-subj', '/CN=krustlet-local-ca',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign,digitalSignature'], pki);
  const leaf = (name, subj, ext) => {
    writeFileSync(join(pki, `${name}.ext`), ext);
    openssl(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subj], pki);
    openssl(['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-set_serial',
      `0x${Date.now().toString(16)}${Math.floor(Math.random() * 1e6).toString(16)}`,
      '-days', days, '-out', `${name}.crt`, '-extfile', `${name}.ext`], pki);
  };
  leaf('apiserver', '/CN=kube-apiserver',
    'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n' +
    'subjectAltName=IP:127.0.0.1,DNS:localhost,IP:10.96.0.1,DNS:kubernetes,DNS:kubernetes.default,' +
    'DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local\n');
  const client = 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n';
  leaf('admin', '/O=system:masters/CN=kubernetes-admin', client);
  leaf('controller-manager', '/CN=system:kube-controller-manager', client);
  openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', 'sa.key'], pki);
  openssl(['pkey', '-in', 'sa.key', '-pubout', '-out', 'sa.pub'], pki);
}

function kubeconfig({ server, caPath, certPath, keyPath, user }) {
  // Plain YAML by hand: no dependency needed. The CA is referenced by file path on purpose.
  return [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    `- name: ${CLUSTER_NAME}`,
    '  cluster:',
    `    server: ${server}`,
    `    certificate-authority: ${JSON.stringify(caPath)}`,
    'users:',
    `- name: ${user}`,
    '  user:',
    `    client-certificate: ${JSON.stringify(certPath)}`,
    `    client-key: ${JSON.stringify(keyPath)}`,
    'contexts:',
    `- name: ${user === 'kubernetes-admin' ? CONTEXT_NAME : user}`,
    '  context:',
    `    cluster: ${CLUSTER_NAME}`,
    `    user: ${user}`,
    `current-context: ${user === 'kubernetes-admin' ? CONTEXT_NAME : user}`,
    '',
  ].join('\n');
}

// ------------------------------------------------------------------ processes
function launch(name, bin, args, logs, { append = false } = {}) {
  const logPath = join(logs, `${name}.log`);
  const fd = openSync(logPath, append ? 'a' : 'w');
  const child = spawn(bin, args, { detached: true, stdio: ['ignore', fd, fd] });
  closeSync(fd);
  const proc = { name, pid: child.pid, logPath, exited: null, command: { bin, args } };
  child.on('exit', (code, signal) => { proc.exited = { code, signal }; });
  child.on('error', (err) => { proc.exited = { code: -1, signal: null, err: String(err) }; });
  child.unref();
  if (!child.pid) throw new Error(`could not start ${bin}`);
  return proc;
}


function tail(path, n = 30) {
  try { return readFileSync(path, 'utf8').trimEnd().split('\n').slice(-n).join('\n'); } catch { return '(no log)'; }
}

function get(url, tls, send = request) {
  return new Promise((res) => {
    const req = send(url, { ...tls, timeout: 3000 }, (r) => {
      let body = '';
      r.setEncoding('utf8');
      r.on('data', (d) => { body += d; });
      r.on('end', () => res({ status: r.statusCode, body }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (e) => res({ status: 0, body: String(e) }));
    req.end();
  });
}

async function waitFor(what, procs, check) {
  const until = Date.now() + READY_TIMEOUT_MS;
  let last = '';
  while (Date.now() < until) {
    for (const p of procs) {
      if (p.exited) throw new StartError(`${p.name} exited (${JSON.stringify(p.exited)}) while waiting for ${what}`, p);
    }
    const r = await check();
    if (r.ok) return;
    last = r.detail;
    await sleep(250);
  }
  throw new StartError(`timed out after ${READY_TIMEOUT_MS / 1000}s waiting for ${what}: ${last}`);
}

class StartError extends Error {
  constructor(msg, proc) { super(msg); this.proc = proc; }
}

function resolveBin(opt) {
  const bin = opt.bin || process.env.KRUSTLET_K8S_BIN;
  if (bin) return resolve(bin);
  const r = spawnSync('bash', [join(HERE, 'provision.sh')], { stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`provision.sh failed (exit ${r.status})`);
  const lines = r.stdout.trim().split('\n');
  return lines[lines.length - 1];
}

// ------------------------------------------------------------------ start
export const DEFAULT_CONTROLLERS = '*,bootstrapsigner,tokencleaner';

async function startOnce(dir, bin, controllers = DEFAULT_CONTROLLERS) {
  const pki = join(dir, 'pki');
  const logs = join(dir, 'logs');
  rmSync(join(dir, 'etcd'), { recursive: true, force: true });
  rmSync(pki, { recursive: true, force: true });
  mkdirSync(logs, { recursive: true });
  mkdirSync(join(dir, 'etcd'), { recursive: true, mode: 0o700 });
  const t0 = Date.now();
  const timings = {};
  const mark = (k) => { timings[k] = Date.now() - t0; };
  makePki(pki);
  mark('pki');

  const [etcdPort, etcdPeerPort, apiPort, kcmPort] = await freePorts(4);
  const server = `https://127.0.0.1:${apiPort}`;
  const p = (f) => join(pki, f);
  const adminKubeconfig = join(dir, 'admin.kubeconfig');
  const kcmKubeconfig = join(dir, 'controller-manager.kubeconfig');
  writeFileSync(adminKubeconfig, kubeconfig({ server, caPath: p('ca.crt'), certPath: p('admin.crt'), keyPath: p('admin.key'), user: 'kubernetes-admin' }), { mode: 0o600 });
  writeFileSync(kcmKubeconfig, kubeconfig({ server, caPath: p('ca.crt'), certPath: p('controller-manager.crt'), keyPath: p('controller-manager.key'), user: 'system:kube-controller-manager' }), { mode: 0o600 });

  const procs = [];
  const state = {
    dir, binDir: bin, server, kubeconfigPath: adminKubeconfig, caPath: p('ca.crt'),
    clusterName: CLUSTER_NAME, contextName: CONTEXT_NAME,
    controllers,
    ports: { etcd: etcdPort, etcdPeer: etcdPeerPort, apiserver: apiPort, controllerManager: kcmPort },
    pids: {}, logs: {}, timingsMs: timings,
  };
  state.commands = {};
  const record = (proc) => {
    procs.push(proc);
    state.pids[proc.name] = proc.pid;
    state.logs[proc.name] = proc.logPath;
    state.commands[proc.name] = proc.command;
  };
  // Record pids as soon as they exist so `stop` works even if start is interrupted.
  const save = () => writeFileSync(join(dir, 'state.json'), JSON.stringify(state, null, 2) + '\n');

  try {
    const etcdUrl = `http://127.0.0.1:${etcdPort}`;
    const peerUrl = `http://127.0.0.1:${etcdPeerPort}`;
    record(launch('etcd', join(bin, 'etcd'), [
      '--name=default', `--data-dir=${join(dir, 'etcd')}`,
      `--listen-client-urls=${etcdUrl}`, `--advertise-client-urls=${etcdUrl}`,
      `--listen-peer-urls=${peerUrl}`, `--initial-advertise-peer-urls=${peerUrl}`,
      `--initial-cluster=default=${peerUrl}`, '--initial-cluster-state=new',
      '--log-level=warn', '--logger=zap',
    ], logs));
    save();

    record(launch('kube-apiserver', join(bin, 'kube-apiserver'), [
      `--etcd-servers=${etcdUrl}`,
      '--bind-address=127.0.0.1', '--advertise-address=127.0.0.1', `--secure-port=${apiPort}`, '--insecure-port=0',
      `--cert-dir=${join(dir, 'apiserver-certs')}`,
      `--tls-cert-file=${p('apiserver.crt')}`, `--tls-private-key-file=${p('apiserver.key')}`,
      `--client-ca-file=${p('ca.crt')}`,
      '--enable-bootstrap-token-auth', '--authorization-mode=Node,RBAC', '--enable-admission-plugins=NodeRestriction',
      '--endpoint-reconciler-type=none', '--allow-privileged=true',
      '--service-cluster-ip-range=10.96.0.0/12',
      `--service-account-key-file=${p('sa.pub')}`, `--service-account-signing-key-file=${p('sa.key')}`,
      '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
      '--profiling=false', '--v=1',
    ], logs));
    save();

    const adminTls = { ca: readFileSync(p('ca.crt')), cert: readFileSync(p('admin.crt')), key: readFileSync(p('admin.key')) };
    await waitFor('kube-apiserver /readyz', procs, async () => {
      const r = await get(`${server}/readyz`, adminTls);
      return { ok: r.status === 200, detail: `${r.status} ${r.body.slice(0, 200)}` };
    });
    mark('apiserverReady');

    record(launch('kube-controller-manager', join(bin, 'kube-controller-manager'), [
      `--kubeconfig=${kcmKubeconfig}`,
      `--authentication-kubeconfig=${kcmKubeconfig}`, `--authorization-kubeconfig=${kcmKubeconfig}`,
      '--bind-address=127.0.0.1', `--secure-port=${kcmPort}`, '--port=0',
      `--cert-dir=${join(dir, 'kcm-certs')}`,
      '--leader-elect=false', '--use-service-account-credentials=true',
      `--controllers=${controllers}`,
      `--cluster-signing-cert-file=${p('ca.crt')}`, `--cluster-signing-key-file=${p('ca.key')}`,
      `--root-ca-file=${p('ca.crt')}`, `--service-account-private-key-file=${p('sa.key')}`,
      `--cluster-name=${CLUSTER_NAME}`, '--profiling=false', '--v=1',
    ], logs));
    save();

    await waitFor('kube-controller-manager /healthz', procs, async () => {
      const r = await get(`https://127.0.0.1:${kcmPort}/healthz`, { rejectUnauthorized: false });
      return { ok: r.status === 200, detail: `${r.status} ${r.body.slice(0, 200)}` };
    });
    mark('controllerManagerHealthy');
    // kcm's controllers run with their own service-account tokens (--use-service-account-credentials):
    // wait until the token controller has issued the csr-approver's, so CSR approval works right away.
    await waitFor('kube-controller-manager controllers (certificate-controller service account)', procs, async () => {
      const r = await get(`${server}/api/v1/namespaces/kube-system/serviceaccounts/certificate-controller`, adminTls);
      if (r.status !== 200) return { ok: false, detail: `${r.status}` };
      const sa = JSON.parse(r.body);
      return { ok: Array.isArray(sa.secrets) && sa.secrets.length > 0, detail: 'no token secret yet' };
    });
    mark('controllersReady');
    save();
    return state;
  } catch (err) {
    for (const proc of [...procs].reverse()) await killGroup(proc.pid, 5_000);
    err.procs = procs;
    throw err;
  }
}

async function start(opt) {
  if (!opt.dir) throw new Error('start needs --dir DIR');
  const dir = resolve(opt.dir);
  mkdirSync(dir, { recursive: true });
  const prev = join(dir, 'state.json');
  if (existsSync(prev)) await stop({ dir }); // never leave an older instance of this dir running
  const bin = resolveBin(opt);
  for (const b of ['etcd', 'kube-apiserver', 'kube-controller-manager']) {
    if (!existsSync(join(bin, b))) throw new Error(`${b} not found in ${bin}`);
  }
  const t0 = Date.now();
  for (let attempt = 1; ; attempt++) {
    try {
      const state = await startOnce(dir, bin, opt.controllers);
      state.startedInMs = Date.now() - t0;
      writeFileSync(join(dir, 'state.json'), JSON.stringify(state, null, 2) + '\n');
      return state;
    } catch (err) {
      const procs = err.procs || [];
      const portClash = procs.some((p) => /address already in use/i.test(tail(p.logPath, 50)));
      if (portClash && attempt < 4) {
        process.stderr.write(`controlplane: a port was taken meanwhile; retrying (attempt ${attempt + 1})\n`);
        for (const p of procs) rmSync(p.logPath, { force: true });
        continue;
      }
      process.stderr.write(`controlplane: start failed: ${err.message}\n`);
      for (const p of procs) process.stderr.write(`---- ${p.logPath} (last lines)\n${tail(p.logPath)}\n`);
      rmSync(join(dir, 'state.json'), { force: true });
      process.exitCode = 1;
      return null;
    }
  }
}

async function stop(opt) {
  if (!opt.dir) throw new Error('stop needs --dir DIR');
  const file = join(resolve(opt.dir), 'state.json');
  if (!existsSync(file)) return;
  const state = JSON.parse(readFileSync(file, 'utf8'));
  if (state.stopped) return; // never signal pids that may since have been reused
  // All at once: the data is throwaway, and SIGTERM to each in turn takes twice as long (~6 s vs ~3 s).
  await Promise.all(Object.values(state.pids ?? {}).map((pid) => killGroup(pid, 10_000)));
  state.stopped = true;
  writeFileSync(file, JSON.stringify(state, null, 2) + '\n');
}

/** The readiness check of each process, as start waits for it. */
function readiness(state) {
  const pki = join(state.dir, 'pki');
  const adminTls = { ca: readFileSync(join(pki, 'ca.crt')), cert: readFileSync(join(pki, 'admin.crt')), key: readFileSync(join(pki, 'admin.key')) };
  return {
    etcd: async () => {
      const r = await get(`http://127.0.0.1:${state.ports.etcd}/health`, {}, httpRequest);
      return { ok: r.status === 200 && /"health":\s*"true"/.test(r.body), detail: `${r.status} ${r.body.slice(0, 200)}` };
    },
    'kube-apiserver': async () => {
      const r = await get(`${state.server}/readyz`, adminTls);
      return { ok: r.status === 200, detail: `${r.status} ${r.body.slice(0, 200)}` };
    },
    'kube-controller-manager': async () => {
      const r = await get(`https://127.0.0.1:${state.ports.controllerManager}/healthz`, { rejectUnauthorized: false });
      return { ok: r.status === 200, detail: `${r.status} ${r.body.slice(0, 200)}` };
    },
  };
}

async function revive(opt) {
  if (!opt.dir) throw new Error('revive needs --dir DIR');
  const file = join(resolve(opt.dir), 'state.json');
  if (!existsSync(file)) throw new Error(`no control plane was started in ${opt.dir} (no state.json)`);
  const state = JSON.parse(readFileSync(file, 'utf8'));
  if (state.stopped) throw new Error(`the control plane in ${opt.dir} was stopped; start it again instead`);
  if (!state.commands) throw new Error(`state.json in ${opt.dir} records no command lines (started by an older controlplane.mjs); start it again instead`);
  const revived = [];
  const procs = [];
  // In start order: etcd before the API server before the controller manager.
  for (const name of ['etcd', 'kube-apiserver', 'kube-controller-manager']) {
    const pid = state.pids?.[name];
    if (pid && (groupAlive(pid) || pidAlive(pid))) continue;
    const { bin, args } = state.commands[name];
    const proc = launch(name, bin, args, join(state.dir, 'logs'), { append: true });
    procs.push(proc);
    state.pids[name] = proc.pid;
    revived.push(name);
    writeFileSync(file, JSON.stringify(state, null, 2) + '\n');
    // The API server needs etcd and the controller manager needs the API server: wait for each in turn.
    await waitFor(`${name} to answer again`, procs, readiness(state)[name]);
  }
  state.revived = [...(state.revived ?? []), { at: new Date().toISOString(), processes: revived }];
  writeFileSync(file, JSON.stringify(state, null, 2) + '\n');
  return { state, revived };
}

async function main() {
  const opt = parseArgs(process.argv.slice(2));
  if (opt.cmd === 'start') {
    const state = await start(opt);
    if (!state) return;
    if (opt.json) process.stdout.write(JSON.stringify(state) + '\n');
    else {
      process.stdout.write(`control plane up in ${(state.startedInMs / 1000).toFixed(1)} s: ${state.server}\n`);
      process.stdout.write(`kubectl --kubeconfig ${state.kubeconfigPath} get --raw /readyz\n`);
      process.stdout.write(`stop: node ${join(HERE, 'controlplane.mjs')} stop --dir ${state.dir}\n`);
    }
  } else if (opt.cmd === 'stop') {
    await stop(opt);
  } else if (opt.cmd === 'revive') {
    const { state, revived } = await revive(opt);
    if (opt.json) process.stdout.write(JSON.stringify({ ...state, revivedNow: revived }) + '\n');
    else process.stdout.write(revived.length ? `revived ${revived.join(', ')}: ${state.server} answers again\n` : 'every process runs; nothing to revive\n');
  } else {
    process.stderr.write('usage: controlplane.mjs start --dir DIR [--bin BINDIR] [--controllers LIST] [--json] | stop --dir DIR | revive --dir DIR [--json]\n');
    process.exitCode = 2;
  }
}

main().catch((err) => { process.stderr.write(`controlplane: ${err.message}\n`); process.exitCode = 1; });
