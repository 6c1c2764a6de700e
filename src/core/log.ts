/**
 * The core's logging seam. The extension backs it with a LogOutputChannel, the CLI with stderr,
 * tests with an array. Every sink goes through {@link redactSecrets} so a bootstrap token secret
 * can never reach a log, whoever wrote the message.
 */
export interface Logger {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

/** `abcdef.0123456789abcdef` → `abcdef.****************`; also `token-secret: …` and `token: …` values. */
const TOKEN_RE = /\b([a-z0-9]{6})\.[a-z0-9]{16}\b/g;
const SECRET_FIELD_RE = /("?(?:token-secret|tokenSecret|token)"?\s*[:=]\s*"?)([A-Za-z0-9+/=._-]{16,})/g;

export function redactSecrets(text: string): string {
  return text
    .replace(TOKEN_RE, (_m, id: string) => `${id}.${'*'.repeat(16)}`)
    .replace(SECRET_FIELD_RE, (_m, key: string, value: string) => (value.includes('*') ? `${key}${value}` : `${key}<redacted>`));
}

/** Wraps any sink so each message is redacted before it is written. */
export function redactingLogger(sink: Logger): Logger {
  return {
    debug: (m) => sink.debug(redactSecrets(m)),
    info: (m) => sink.info(redactSecrets(m)),
    warn: (m) => sink.warn(redactSecrets(m)),
    error: (m) => sink.error(redactSecrets(m)),
  };
}

export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };
