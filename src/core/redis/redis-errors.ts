/**
 * Translate what node-redis and Node's sockets throw into our typed errors, so that
 * every command reports a broken connection, a refused AUTH or an ACL denial the same way.
 */
import { AppError, BadDataError, ConnectionError } from '../errors.js';

const TLS_CODES = /^(ERR_TLS_|ERR_SSL_|UNABLE_TO_|CERT_|DEPTH_ZERO|SELF_SIGNED|HOSTNAME_MISMATCH|ERR_OSSL)/;
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EPIPE',
]);

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
  // Redis's own wording ("NOAUTH HELLO must be called with the client already authenticated,
  // otherwise the HELLO AUTH <user> <pass> option can be used...") does not tell an operator
  // what to do: say it plainly, and how to give the credentials.
  if (/^NOAUTH\b/.test(message)) {
    return new ConnectionError(`${context}: authentication required: the server needs a password and none was given (NOAUTH)`, {
      hint: 'give it in REDIS_PASSWORD, --redis-password-file or the URL (redis://:password@host); for an ACL user set REDIS_USERNAME as well',
    });
  }
  if (/^WRONGPASS\b/.test(message) || /invalid username-password pair/i.test(message)) {
    return new ConnectionError(
      `${context}: authentication failed: the server rejected the user name or password, or the user is disabled (WRONGPASS)`,
      {
        hint: 'check REDIS_USERNAME and REDIS_PASSWORD, --redis-password-file or the URL',
      },
    );
  }
  if (/AUTH.*without any password/i.test(message)) {
    return new ConnectionError(`${context}: authentication failed: a password was given, but the server has none for the default user`, {
      hint: 'drop the password, or set REDIS_USERNAME to the ACL user it belongs to',
    });
  }
  // The server is up and answering, but refuses writes: say why instead of "Redis replied ...".
  // Inside a script Redis 7 replies the same, with " script: ..." after it; Redis 6 wraps it
  // in "ERR Error running script ... -OOM command not allowed ...".
  if (/^OOM\b|-OOM command not allowed/.test(message)) {
    return new ConnectionError('Redis refused the write (out of memory)', {
      hint: "the server's used memory is above its maxmemory and its policy evicts nothing; free memory or raise maxmemory, then run the command again",
    });
  }
  if (/^READONLY\b|-READONLY You can't write/.test(message)) {
    return new ConnectionError('Redis refused the write: the server is a read-only replica', {
      hint: 'point --url at the master, or find it with --sentinel and --sentinel-master',
    });
  }
  if (/^MISCONF\b|-MISCONF /.test(message)) {
    return new ConnectionError('Redis refused the write: it cannot save its snapshots to disk (MISCONF), so it accepts no writes', {
      hint: "see the server's log; writes resume once a snapshot (BGSAVE) succeeds",
    });
  }
  if (/^WRONGTYPE\b/.test(message)) return new BadDataError(`a key holds the wrong kind of value (${message})`);
  if (name === 'TimeoutError' || name === 'ConnectionTimeoutError' || name === 'SocketTimeoutError') {
    return new ConnectionError(`${context}: timed out`, { hint: 'is the server reachable and responsive? see --timeout' });
  }
  if (code !== undefined && TLS_CODES.test(code)) {
    // What a plain server's reply (e.g. an -ERR or -DENIED line) looks like to a TLS client.
    const plain = code === 'ERR_SSL_WRONG_VERSION_NUMBER' || /wrong version number|packet length too long/i.test(message);
    return new ConnectionError(`${context}: TLS failure (${code}: ${message})`, {
      hint: plain
        ? 'the server does not seem to speak TLS: for a plain Redis use a redis:// URL'
        : 'check --tls-ca, --tls-cert, --tls-key and the host name',
    });
  }
  if (code !== undefined && NETWORK_CODES.has(code)) {
    const hint =
      code === 'ECONNRESET' ? 'if the server expects TLS, use a rediss:// URL' : 'is redis-server running there? see --url or REDIS_URL';
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
