/**
 * A kubeconfig user + cluster turned into what one request needs — the TLS agent (CA, client
 * certificate, tls-server-name, insecure-skip-tls-verify, proxy-url) and the headers (bearer token,
 * tokenFile, impersonation, an exec credential plugin's answer) — the way client-go
 * (kubectl) reads each field. Every step honours the AbortSignal it is given: an exec plugin that
 * never answers is killed when the request's time is up.
 *
 * The entries have been checked by loadKubeconfig (core/kubeconfig.ts: kubectl's validation rules);
 * paths are absolute already (client-go's relative-path rule).
 */
import { spawn } from 'node:child_process';
import * as https from 'node:https';
import type * as http from 'node:http';
import { isIP } from 'node:net';
import * as tls from 'node:tls';
import { KrustletError } from '../errors';
import { MAX_NAMED_FILE_BYTES, readRegularFileSync, type FileReadError, type LoadedKubeconfig, type RawUser } from '../kubeconfig';
import type { Prepare, Prepared } from './transport';

export interface CredentialOptions {
  /** Whether an exec plugin may talk to the user (kubectl: stdin is a terminal). The extension: never. */
  interactive?: boolean;
  /** The environment an exec plugin inherits (default process.env). */
  env?: NodeJS.ProcessEnv;
}

/** At most this much of a plugin's stdout is read (an ExecCredential is a few kB). */
const MAX_PLUGIN_OUTPUT = 1024 * 1024;

interface ExecCredential {
  token?: string;
  cert?: string;
  key?: string;
  /** ms since the epoch; undefined: valid for the life of the connection (client-go's rule). */
  expires?: number;
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v ? v : undefined;
}

function obj(v: unknown): Record<string, unknown> | undefined {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

function credentialError(loaded: LoadedKubeconfig, what: string, hint = 'Fix the user entry of the kubeconfig, or use another context.'): KrustletError {
  return new KrustletError('unauthorized', `The credentials of user '${loaded.userName}' (context '${loaded.context.name}') cannot be used: ${what}.`, hint, {
    fix: { kind: 'check-credentials', data: { context: loaded.context.name } },
  });
}

/** Why a named file cannot be read, in the words the errors here use: `(ENOENT)`, `(is a FIFO (named pipe), not a file)`. */
function unreadable(e: unknown): string {
  const r = e as FileReadError;
  return `(${r.kind === 'unreadable' ? (r.errno ?? r.message) : r.reason})`;
}

function readFileFor(loaded: LoadedKubeconfig, key: string, file: string): Buffer {
  try {
    return readRegularFileSync(file, MAX_NAMED_FILE_BYTES);
  } catch (e) {
    throw credentialError(loaded, `its ${key} file ${file} cannot be read ${unreadable(e)}`);
  }
}

function lastLine(text: string): string {
  return text.trim().split('\n').filter(Boolean).pop()?.slice(0, 300) ?? '';
}

/** Runs an exec credential plugin as client-go does (KUBERNETES_EXEC_INFO, env, args, interactiveMode, installHint). */
function runExecPlugin(loaded: LoadedKubeconfig, caData: string | undefined, opts: CredentialOptions, signal: AbortSignal): Promise<ExecCredential> {
  const exec = obj(loaded.user.exec) ?? {};
  const command = String(exec.command);
  const args = Array.isArray(exec.args) ? exec.args.map(String) : [];
  const apiVersion = String(exec.apiVersion);
  const mode = str(exec.interactiveMode) ?? 'IfAvailable';
  const terminal = opts.interactive === true;
  if (mode === 'Always' && !terminal) {
    return Promise.reject(credentialError(loaded, `its exec plugin ${command} needs a terminal to ask for a login (interactiveMode: Always), and there is none here`, 'Log in with the plugin in a terminal first, or use a context whose plugin runs non-interactively.'));
  }
  const interactive = mode !== 'Never' && terminal;
  const spec: Record<string, unknown> = { interactive };
  if (exec.provideClusterInfo === true) {
    const c = loaded.cluster;
    const cluster: Record<string, unknown> = { server: c.server };
    if (str(c['tls-server-name'])) cluster['tls-server-name'] = c['tls-server-name'];
    if (c['insecure-skip-tls-verify'] === true) cluster['insecure-skip-tls-verify'] = true;
    if (caData) cluster['certificate-authority-data'] = caData;
    if (str(c['proxy-url'])) cluster['proxy-url'] = c['proxy-url'];
    const ext = Array.isArray(c.extensions) ? c.extensions.map(obj).find((e) => e?.name === 'client.authentication.k8s.io/exec') : undefined;
    if (ext?.extension !== undefined) cluster.config = ext.extension;
    spec.cluster = cluster;
  }
  const env: NodeJS.ProcessEnv = { ...(opts.env ?? process.env) };
  for (const e of Array.isArray(exec.env) ? exec.env : []) {
    const o = obj(e);
    if (o && typeof o.name === 'string') env[o.name] = typeof o.value === 'string' ? o.value : o.value === undefined || o.value === null ? '' : JSON.stringify(o.value);
  }
  env.KUBERNETES_EXEC_INFO = JSON.stringify({ apiVersion, kind: 'ExecCredential', spec });

  return new Promise<ExecCredential>((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason as Error);
    let stdout = '';
    let stderr = '';
    let tooMuch = false;
    const child = spawn(command, args, { env, stdio: [interactive ? 'inherit' : 'ignore', 'pipe', 'pipe'], windowsHide: true });
    const onAbort = () => {
      // The request's time is up (or it was cancelled): the plugin must not outlive it, nor hold the process open.
      child.kill('SIGKILL');
      child.stdout?.destroy();
      child.stderr?.destroy();
      child.unref();
      reject(signal.reason as Error);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    const done = () => signal.removeEventListener('abort', onAbort);
    child.stdout?.setEncoding('utf8').on('data', (d: string) => {
      if (stdout.length + d.length > MAX_PLUGIN_OUTPUT) {
        tooMuch = true;
        child.kill('SIGKILL');
      } else stdout += d;
    });
    child.stderr?.setEncoding('utf8').on('data', (d: string) => {
      stderr = (stderr + d).slice(-16_384);
    });
    child.on('error', (e: NodeJS.ErrnoException) => {
      done();
      if (e.code === 'ENOENT') {
        const hint = str(exec.installHint);
        reject(
          credentialError(
            loaded,
            `its exec credential plugin ${command} is not installed (not found${command.includes('/') ? '' : ' on PATH'})`,
            hint ? `${hint.trim()}` : 'Install the plugin (see https://kubernetes.io/docs/reference/access-authn-authz/authentication/#client-go-credential-plugins), or use another context.',
          ),
        );
      } else reject(credentialError(loaded, `its exec credential plugin ${command} cannot be started (${e.code ?? e.message})`));
    });
    child.on('close', (code, sig) => {
      done();
      if (signal.aborted) return;
      if (tooMuch) return reject(credentialError(loaded, `its exec credential plugin ${command} wrote more than ${MAX_PLUGIN_OUTPUT / 1024} kB`));
      if (code !== 0) {
        const why = lastLine(stderr);
        return reject(credentialError(loaded, `its exec credential plugin ${command} failed with ${sig ? `signal ${sig}` : `exit code ${code}`}${why ? `: ${why}` : ''}`, 'Run the plugin (or kubectl) yourself to see why; log in again if it asks, or use another context.'));
      }
      try {
        resolve(parseExecCredential(loaded, command, apiVersion, stdout));
      } catch (e) {
        reject(e instanceof Error ? e : new Error(String(e)));
      }
    });
  });
}

/** client-go's checks of a plugin's answer: the apiVersion asked for, a status, a token or a certificate with its key. */
function parseExecCredential(loaded: LoadedKubeconfig, command: string, apiVersion: string, stdout: string): ExecCredential {
  let doc: Record<string, unknown> | undefined;
  try {
    doc = obj(JSON.parse(stdout));
  } catch {
    doc = undefined;
  }
  const bad = (what: string) => credentialError(loaded, `its exec credential plugin ${command} ${what}`, 'Run the plugin (or kubectl) yourself to see what it returns, or use another context.');
  if (!doc) throw bad(stdout.trim() ? 'did not print an ExecCredential (JSON)' : 'printed nothing');
  if (doc.apiVersion !== apiVersion) throw bad(`answered with apiVersion '${String(doc.apiVersion)}', not the '${apiVersion}' it was asked for`);
  if (doc.kind !== 'ExecCredential') throw bad(`answered with kind '${String(doc.kind)}', not ExecCredential`);
  const status = obj(doc.status);
  if (!status) throw bad('returned no status');
  const token = str(status.token);
  const cert = str(status.clientCertificateData);
  const key = str(status.clientKeyData);
  if (!token && !cert && !key) throw bad('returned an empty status (no token, no client certificate)');
  if (!cert !== !key) throw bad('returned a client certificate without its key, or a key without its certificate');
  if (cert && key) {
    try {
      tls.createSecureContext({ cert, key });
    } catch (e) {
      throw bad(`returned a client certificate and key that cannot be used (${(e as Error).message})`);
    }
  }
  const exp = str(status.expirationTimestamp);
  const expires = exp ? Date.parse(exp) : undefined;
  return { token, cert, key, expires: expires !== undefined && Number.isFinite(expires) ? expires : undefined };
}

type ProxyModules = {
  HttpsProxyAgent: typeof import('https-proxy-agent').HttpsProxyAgent;
  HttpProxyAgent: typeof import('http-proxy-agent').HttpProxyAgent;
  SocksProxyAgent: typeof import('socks-proxy-agent').SocksProxyAgent;
};

/** The proxy agents (dist/kube.js in the bundles: loaded only for a cluster with proxy-url). */
async function loadProxies(): Promise<ProxyModules> {
  const [a, b, c] = await Promise.all([import('https-proxy-agent'), import('http-proxy-agent'), import('socks-proxy-agent')]);
  return { HttpsProxyAgent: a.HttpsProxyAgent, HttpProxyAgent: b.HttpProxyAgent, SocksProxyAgent: c.SocksProxyAgent };
}

/** TLS options for the API server's connection: CA, client certificate, server name, verification. */
function tlsOptions(loaded: LoadedKubeconfig, caData: string | undefined, cert?: string | Buffer, key?: string | Buffer): tls.ConnectionOptions {
  const c = loaded.cluster;
  const o: tls.ConnectionOptions = {};
  if (caData) o.ca = Buffer.from(caData, 'base64');
  if (c['insecure-skip-tls-verify'] === true) o.rejectUnauthorized = false;
  const name = str(c['tls-server-name']);
  if (name) {
    if (isIP(name)) o.checkServerIdentity = (_host, peer) => tls.checkServerIdentity(name, peer);
    else o.servername = name;
  }
  if (cert && key) {
    o.cert = cert;
    o.key = key;
  }
  return o;
}

async function makeAgent(loaded: LoadedKubeconfig, options: tls.ConnectionOptions): Promise<http.Agent | undefined> {
  const server = loaded.cluster.server;
  const secure = server.startsWith('https:');
  const proxy = str(loaded.cluster['proxy-url']);
  if (proxy) {
    const p = await loadProxies();
    const scheme = new URL(proxy).protocol;
    if (!secure) return new p.HttpProxyAgent(proxy);
    const agent = scheme === 'socks5:' ? new p.SocksProxyAgent(proxy, options) : new p.HttpsProxyAgent(proxy, options);
    // The proxy agents take the API server's TLS options from each request's options only (their
    // constructors keep them for the proxy's own connection): add them to every connection.
    const connect = agent.connect.bind(agent);
    agent.connect = (req, o) => connect(req, { ...o, ...options });
    return agent;
  }
  return secure ? new https.Agent(options) : undefined;
}

/** Impersonation headers (as, as-groups, as-uid, as-user-extra), as kubectl sends them. */
function impersonation(u: RawUser): Record<string, string | string[]> {
  const h: Record<string, string | string[]> = {};
  const as = str(u.as);
  if (!as) return h;
  h['Impersonate-User'] = as;
  if (Array.isArray(u['as-groups']) && u['as-groups'].length) h['Impersonate-Group'] = u['as-groups'].map(String);
  if (str(u['as-uid'])) h['Impersonate-Uid'] = String(u['as-uid']);
  for (const [k, v] of Object.entries(obj(u['as-user-extra']) ?? {})) {
    h[`Impersonate-Extra-${encodeURIComponent(k)}`] = (Array.isArray(v) ? v : [v]).map(String);
  }
  return h;
}

/**
 * The credentials of one loaded context, as a {@link Prepare} for the transport. Static parts (CA,
 * client certificate files) are read once; tokenFile on every request (a rotated token is picked up,
 * as client-go re-reads it); an exec plugin's answer is kept until its expirationTimestamp.
 */
export function credentials(loaded: LoadedKubeconfig, caData: string | undefined, opts: CredentialOptions = {}): Prepare {
  const u = loaded.user;
  const fixedHeaders = impersonation(u);
  const certFile = str(u['client-certificate']);
  const keyFile = str(u['client-key']);
  const staticCert = str(u['client-certificate-data']) ? Buffer.from(String(u['client-certificate-data']), 'base64') : certFile ? readFileFor(loaded, 'client-certificate', certFile) : undefined;
  const staticKey = str(u['client-key-data']) ? Buffer.from(String(u['client-key-data']), 'base64') : keyFile ? readFileFor(loaded, 'client-key', keyFile) : undefined;
  if (staticCert && staticKey) {
    try {
      tls.createSecureContext({ cert: staticCert, key: staticKey });
    } catch (e) {
      throw credentialError(loaded, `its client certificate and key cannot be used together (${(e as Error).message})`);
    }
  }
  const staticAgent = makeAgent(loaded, tlsOptions(loaded, caData, staticCert, staticKey));
  staticAgent.catch(() => undefined);
  const hasExec = obj(u.exec) !== undefined;

  let cached: ExecCredential | undefined;
  let running: Promise<ExecCredential> | undefined;
  const execCredential = (signal: AbortSignal): Promise<ExecCredential> => {
    if (cached && (cached.expires === undefined || cached.expires > Date.now())) return Promise.resolve(cached);
    if (!running) {
      running = runExecPlugin(loaded, caData, opts, signal).then(
        (c) => {
          cached = c;
          running = undefined;
          return c;
        },
        (e: unknown) => {
          running = undefined;
          throw e;
        },
      );
    }
    return running;
  };
  let execAgent: { cert: string; agent: Promise<http.Agent | undefined> } | undefined;

  return async (signal: AbortSignal): Promise<Prepared> => {
    const headers: Record<string, string | string[]> = { ...fixedHeaders };
    let agent = await staticAgent;
    const tokenFile = str(u.tokenFile);
    let token = str(u.token);
    if (tokenFile) {
      // client-go: the file wins over `token` when it can be read; its content is trimmed; empty is an error.
      let text: string | undefined;
      try {
        text = readRegularFileSync(tokenFile, MAX_NAMED_FILE_BYTES).toString('utf8').trim();
      } catch (e) {
        if (!token) throw credentialError(loaded, `its tokenFile ${tokenFile} cannot be read ${unreadable(e)}`);
      }
      if (text !== undefined) {
        if (!text) throw credentialError(loaded, `its tokenFile ${tokenFile} is empty`);
        token = text;
      }
    }
    if (hasExec) {
      const c = await execCredential(signal);
      if (c.token) token = c.token;
      if (c.cert && c.key) {
        if (execAgent?.cert !== c.cert) execAgent = { cert: c.cert, agent: makeAgent(loaded, tlsOptions(loaded, caData, c.cert, c.key)) };
        agent = await execAgent.agent;
      }
    }
    if (token) headers.Authorization = `Bearer ${token}`;
    return { agent, headers };
  };
}
