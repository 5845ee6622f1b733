/**
 * Translate what node-redis and Node's sockets throw into our typed errors, so that
 * every command reports a broken connection, a refused AUTH or an ACL denial the same way.
 */
import { AppError, BadDataError, ConnectionError } from '../errors.js';

const TLS_CODES = /^(ERR_TLS_|ERR_SSL_|UNABLE_TO_|CERT_|DEPTH_ZERO|SELF_SIGNED|HOSTNAME_MISMATCH|ERR_OSSL)/;
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EPIPE']);

function codeOf(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/**
 * Returns the typed error for a Redis or socket failure, or undefined when `err`
 * is not one (a programming error, which the top level reports as such).
 * `context` says what we were doing, e.g. "cannot connect to redis://host:6379".
 */
export function toAppError(err: unknown, context = 'Redis command failed'): AppError | undefined {
  if (err instanceof AppError) return err;
  if (!(err instanceof Error)) return undefined;
  const name = err.constructor.name;
  const message = err.message.split('\n')[0] ?? '';
  const code = codeOf(err) ?? codeOf((err as { cause?: unknown }).cause);

  // Inside a Lua script the denial is an ERR: "ACL failure in script: ..." (Redis >= 7.2, names
  // the command) or "The user executing the script can't run this command ..." (7.0, does not).
  const aclInScript = /^ERR (ACL failure in script: |The user executing the script can't run)/.test(message);
  if (/^NOPERM\b/.test(message) || aclInScript) {
    return new ConnectionError(`permission denied by Redis ACL: ${message.replace(/^(NOPERM|ERR ACL failure in script:|ERR)\s*/, '')}`, {
      hint: 'the ACL user lacks a command or key this operation needs; see README "Least privilege"',
    });
  }
  if (/^(WRONGPASS|NOAUTH)\b/.test(message) || /invalid username-password pair|AUTH.*without any password/i.test(message)) {
    return new ConnectionError(`${context}: authentication failed (${message})`, {
      hint: 'check REDIS_USERNAME/REDIS_PASSWORD, --redis-password-file or the URL',
    });
  }
  if (/^WRONGTYPE\b/.test(message)) return new BadDataError(`a key holds the wrong kind of value (${message})`);
  if (name === 'TimeoutError' || name === 'ConnectionTimeoutError' || name === 'SocketTimeoutError') {
    return new ConnectionError(`${context}: timed out`, { hint: 'is the server reachable and responsive? see --timeout' });
  }
  if (code !== undefined && TLS_CODES.test(code)) {
    return new ConnectionError(`${context}: TLS failure (${code}: ${message})`, { hint: 'check --tls-ca, --tls-cert, --tls-key and the host name' });
  }
  if (code !== undefined && NETWORK_CODES.has(code)) {
    const hint = code === 'ECONNRESET' ? 'if the server expects TLS, use a rediss:// URL' : 'is redis-server running there? see --url or REDIS_URL';
    return new ConnectionError(`${context}: ${code}`, { hint });
  }
  if (/^(ClientClosedError|ClientOfflineError|SocketClosedUnexpectedlyError|DisconnectsClientError|ReconnectStrategyError)$/.test(name)) {
    return new ConnectionError(`${context}: connection lost (${message})`);
  }
  // Word-bounded: "CROSSSLOT" must not read as an SSL problem.
  if (/\b(tls|ssl)\b|certificate/i.test(message)) {
    return new ConnectionError(`${context}: TLS failure (${message})`);
  }
  if (name === 'ErrorReply' || name === 'SimpleError') {
    return new ConnectionError(`${context}: Redis replied ${message}`);
  }
  return undefined;
}
