/**
 * JSON over HTTP(S) to the API server: one bounded time per request for everything before and after
 * the first byte — credentials (an exec plugin included), DNS, connect, TLS, the answer — and an
 * AbortSignal that stops a request at once (Ctrl-C, VS Code closing). Nothing here knows client-node:
 * `prepare` (see connect.ts) supplies the TLS agent and the credentials' headers.
 */
import * as http from 'node:http';
import * as https from 'node:https';
import { KrustletError } from '../errors';
import type { Logger } from '../log';
import { httpError, networkError, timeoutError, type ApiStatus, type RequestDescription } from './errors';

/**
 * `name` as one path segment of an object's URL, after the API server's own rule for names in a
 * path: not empty, not `.` or `..`, no `/` or `%` (anything else, even a control character, is a
 * name someone may have given a CSR: it is percent-encoded). An empty name would otherwise address
 * the collection (a "review" of the list document).
 */
export function objectSegment(kind: string, name: string): string {
  if (name === '' || name === '.' || name === '..' || /[/%]/.test(name)) {
    const shown = name === '' ? 'an empty name' : `'${name}'`;
    throw new KrustletError('invalid-argument', `${shown} is not a ${kind} name (a name is not empty, not '.' or '..', and has no '/' or '%').`, 'Give the name as listed.', { fix: { kind: 'fix-input', data: { input: 'name' } } });
  }
  return encodeURIComponent(name);
}

/** What a request needs from the credentials: the TLS agent (CA, client certificate) and headers/basic auth. */
export interface Prepared {
  agent?: http.Agent;
  /** A list value is sent as one header line each (Impersonate-Group). */
  headers: Record<string, string | string[]>;
  auth?: string;
}

/**
 * Gets the credentials for one request. `signal` aborts when the request's time is up or it is
 * cancelled: whatever runs for it (an exec plugin) must stop then.
 */
export type Prepare = (signal: AbortSignal) => Promise<Prepared>;

export interface RequestOptions {
  body?: unknown;
  query?: Record<string, string | number | boolean | undefined>;
  contentType?: string;
  timeoutMs?: number;
  /** Stops the request (the answer is then a KrustletError 'cancelled'). */
  signal?: AbortSignal;
}

/** Why a request was stopped: its time was up, or someone cancelled it. */
function cancelledError(desc: RequestDescription): KrustletError {
  return new KrustletError('cancelled', `${desc.method} ${desc.path} to ${desc.server} was cancelled.`, undefined, { fix: { kind: 'retry' } });
}

function credentialsTimeout(desc: RequestDescription, ms: number): KrustletError {
  return new KrustletError(
    'timeout',
    `Getting the credentials of ${desc.who ?? 'the context'} took longer than ${(ms / 1000).toFixed(ms % 1000 ? 1 : 0)} s.`,
    "Check the user entry of the kubeconfig (an exec plugin that waits for a login, or hangs); `kubectl get --raw /version` runs the same credentials.",
    { fix: { kind: 'check-credentials' } },
  );
}

/** The signal that fires when any of `signals` does. */
function anySignal(signals: (AbortSignal | undefined)[]): AbortSignal | undefined {
  const present = signals.filter((s): s is AbortSignal => s !== undefined);
  if (present.length <= 1) return present[0];
  const c = new AbortController();
  for (const s of present) {
    if (s.aborted) return AbortSignal.abort(s.reason);
    s.addEventListener('abort', () => c.abort(s.reason), { once: true });
  }
  return c.signal;
}

export class Transport {
  constructor(
    readonly server: string,
    private readonly prepare: Prepare,
    readonly timeoutMs: number,
    readonly logger: Logger,
    readonly who: string,
    /** Applies to every request of this transport (see withSignal). */
    readonly signal?: AbortSignal,
  ) {}

  /** The same transport whose every request also stops when `signal` aborts. */
  withSignal(signal: AbortSignal): Transport {
    return new Transport(this.server, this.prepare, this.timeoutMs, this.logger, this.who, anySignal([this.signal, signal]));
  }

  /**
   * The credentials alone (for a watch, whose request is not made here), inside the same bounded
   * time and cancelled by the same signals as a request's.
   */
  credentials(what = 'GET (watch)'): Promise<Prepared> {
    return this.bounded(what, '', {}, (prepared) => Promise.resolve(prepared));
  }

  request<T>(method: string, path: string, o: RequestOptions = {}): Promise<T> {
    return this.bounded(method, path, o, (prepared, desc, started, stop) => this.send<T>(method, path, o, prepared, desc, started, stop));
  }

  /** One deadline for getting the credentials and then `then`; a cancel stops either at once. */
  private async bounded<T>(method: string, path: string, o: RequestOptions, then: (p: Prepared, desc: RequestDescription, started: number, stop: AbortSignal) => Promise<T>): Promise<T> {
    const desc: RequestDescription = { method, path, server: this.server, who: this.who };
    const ms = o.timeoutMs ?? this.timeoutMs;
    const outer = anySignal([this.signal, o.signal]);
    if (outer?.aborted) throw cancelledError(desc);
    const started = Date.now();

    // One deadline for the whole request; `stop` carries why it ended early.
    const stop = new AbortController();
    let phase: 'credentials' | 'request' = 'credentials';
    const timer = setTimeout(() => {
      this.logger.debug(`${method} ${path} → no answer after ${ms} ms${phase === 'credentials' ? ' (still getting credentials)' : ''}`);
      stop.abort(phase === 'credentials' ? credentialsTimeout(desc, ms) : timeoutError(desc, ms));
    }, ms);
    const onOuterAbort = () => stop.abort(cancelledError(desc));
    outer?.addEventListener('abort', onOuterAbort, { once: true });
    const stopped = new Promise<never>((_, reject) => stop.signal.addEventListener('abort', () => reject(stop.signal.reason as Error), { once: true }));
    stopped.catch(() => undefined);
    try {
      let prepared: Prepared;
      try {
        prepared = await Promise.race([this.prepare(stop.signal), stopped]);
      } catch (e) {
        if (e instanceof KrustletError) throw e;
        throw new KrustletError(
          'unauthorized',
          `Getting credentials for ${this.who} failed: ${String((e as Error).message ?? e).replace(/\s+/g, ' ').slice(0, 300)}.`,
          'Check the user entry of the kubeconfig (certificate files, exec plugin, login).',
          { cause: e, fix: { kind: 'check-credentials' } },
        );
      }
      phase = 'request';
      return await Promise.race([then(prepared, desc, started, stop.signal), stopped]);
    } finally {
      clearTimeout(timer);
      outer?.removeEventListener('abort', onOuterAbort);
    }
  }

  private send<T>(method: string, path: string, o: RequestOptions, prepared: Prepared, desc: RequestDescription, started: number, stop: AbortSignal): Promise<T> {
    const url = new URL(this.server + path);
    for (const [k, v] of Object.entries(o.query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
    const payload = o.body === undefined ? undefined : Buffer.from(JSON.stringify(o.body));
    const headers: Record<string, string | number> = { ...prepared.headers, Accept: 'application/json', 'User-Agent': 'krustlet-bootstrap' };
    if (payload) {
      headers['Content-Type'] = o.contentType ?? 'application/json';
      headers['Content-Length'] = payload.length;
    }
    const lib = url.protocol === 'http:' ? http : https;
    return new Promise<T>((resolve, reject) => {
      let req: http.ClientRequest;
      try {
        req = lib.request(url, { method, headers, agent: prepared.agent, auth: prepared.auth }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', (e) => reject(networkError(e, desc)));
          res.on('end', () => {
            const raw = Buffer.concat(chunks).toString('utf8');
            const status = res.statusCode ?? 0;
            let json: unknown;
            try {
              json = raw ? JSON.parse(raw) : undefined;
            } catch {
              json = undefined;
            }
            this.logger.debug(`${method} ${url.pathname}${url.search} → ${status} (${Date.now() - started} ms)`);
            if (status >= 200 && status < 300) resolve(json as T);
            else reject(httpError(status, json as ApiStatus | undefined, raw, desc));
          });
        });
      } catch (e) {
        reject(networkError(e, desc));
        return;
      }
      // The deadline or a cancel: drop the connection (the caller already has its answer from `stopped`).
      stop.addEventListener('abort', () => req.destroy(), { once: true });
      req.on('error', (e) => reject(networkError(e, desc)));
      req.end(payload);
    });
  }
}
