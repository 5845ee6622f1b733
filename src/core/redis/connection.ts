/**
 * The one way every command reaches Redis: resolve the target and credentials,
 * connect with bounded time and no reconnect loop, and hand back a client.
 */
import { open, readFile } from 'node:fs/promises';
import type { RedisClientType } from '@redis/client';
import { ConnectionError, UsageError } from '../errors.js';
import { toAppError } from './redis-errors.js';

export type Redis = RedisClientType;

/**
 * Resolves after the event loop's next check phase, where node-redis writes the commands sent
 * so far (it writes at setImmediate). A loop that sends and then works on replies already in
 * must await this after sending, or its commands leave only when it next waits, and the server
 * idles meanwhile (docs/performance.md, change 41).
 */
export const commandsOut = (): Promise<void> => new Promise<void>((resume) => setImmediate(resume));

/**
 * The commands the tool sends about one key: what a single server's client and a Cluster client
 * (which routes each command to the master of its key) both serve, with the same signatures.
 * Topology.keyed is one of the two; nothing that takes a Keyed can tell which.
 */
export type Keyed = Pick<
  Redis,
  | 'get'
  | 'type'
  | 'pTTL'
  | 'unlink'
  | 'exists'
  | 'hGetAll'
  | 'hGet'
  | 'sAdd'
  | 'sRem'
  | 'sScan'
  | 'pExpire'
  | 'xAdd'
  | 'xRange'
  | 'xRevRange'
  | 'evalSha'
  | 'evalShaRo'
  | 'eval'
  | 'evalRo'
>;

export interface ConnectionOptions {
  url: string;
  /** Where `url` came from: a password in argv deserves a warning. */
  urlFromArgv: boolean;
  username?: string;
  password?: string;
  passwordFile?: string;
  tlsCa?: string;
  tlsCert?: string;
  tlsKey?: string;
  /** Milliseconds allowed for connecting and for each command. */
  timeoutMs: number;
  /** true: the URL names a Redis Cluster node; undefined: detect it. */
  cluster?: boolean;
  /** Sentinels to ask for the current master (then `url` gives only scheme and credentials). */
  sentinels?: Array<{ host: string; port: number }>;
  sentinelMaster?: string;
}

export interface ResolvedTarget {
  url: URL;
  username: string | undefined;
  password: string | undefined;
  warnings: string[];
}

/**
 * A bare `host`, `host:port` or `host:port/db` (REDIS_URL=redis:6379 in a compose file, say)
 * means redis://. Without this, WHATWG URL would read "localhost:6379" as scheme "localhost:"
 * and "redis:6379" as scheme "redis:" with no host at all.
 */
const BARE_ADDRESS = /^(?:[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?(?:\/[0-9]*)?$/;

export function normalizeUrl(text: string): string {
  const trimmed = text.trim();
  return !trimmed.includes('://') && BARE_ADDRESS.test(trimmed) ? `redis://${trimmed}` : text;
}

/** The database number a node's URL selects (its path, "/2"); 0 when it names none. */
export function databaseOf(url: URL): number {
  return Number(url.pathname.replace(/^\//, '') || 0);
}

/** Percent-decode a user name or password from the URL; a stray '%' is a usage error naming which one. */
function decodeCredential(text: string, what: 'user name' | 'password'): string {
  try {
    return decodeURIComponent(text);
  } catch {
    // Never echo the text: it is (part of) a secret.
    throw new UsageError(`the ${what} in the URL has a '%' that is not URL encoding (write %25)`, {
      hint:
        what === 'password'
          ? 'or keep it out of the URL: REDIS_PASSWORD or --redis-password-file'
          : 'or keep it out of the URL: REDIS_USERNAME',
    });
  }
}

/** Work out where to connect and as whom, without touching the network. */
export async function resolveTarget(opts: ConnectionOptions): Promise<ResolvedTarget> {
  let url: URL;
  try {
    url = new URL(normalizeUrl(opts.url));
  } catch {
    throw new UsageError('invalid Redis URL', { hint: 'expected redis://[user[:password]@]host[:port][/db] or rediss://...' });
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') {
    throw new UsageError(`unsupported URL scheme "${url.protocol}"`, { hint: 'use redis:// or rediss:// (TLS)' });
  }
  // The path is the database number (node-redis SELECTs it); anything else would fail later as a bug.
  if (!/^\/?([0-9]{1,5})?$/.test(url.pathname)) {
    throw new UsageError(`invalid database "${url.pathname.slice(1, 21)}" in the Redis URL`, {
      hint: 'the path is a database number, e.g. redis://host:6379/2',
    });
  }
  const warnings: string[] = [];
  const urlPassword = url.password === '' ? undefined : decodeCredential(url.password, 'password');
  if (urlPassword !== undefined && opts.urlFromArgv) {
    warnings.push(
      'Warning: a password in --url on the command line may be visible to other users; use REDIS_PASSWORD or --redis-password-file instead.',
    );
  }
  let password = urlPassword ?? opts.password;
  if (opts.passwordFile !== undefined) {
    password = await readSecretFile(opts.passwordFile, warnings);
  }
  const username = url.username !== '' ? decodeCredential(url.username, 'user name') : opts.username;
  // Credentials travel separately, never inside the URL we pass on (or print).
  url.username = '';
  url.password = '';
  return { url, username, password, warnings };
}

/**
 * Read a file that holds a secret. Like ssh with a private key, warn when group or others
 * can read it (the mode of the file we opened, not of whatever the path names later).
 */
export async function readPrivateFile(path: string, what: string, warnings: string[]): Promise<Buffer> {
  let handle: Awaited<ReturnType<typeof open>> | undefined;
  try {
    handle = await open(path, 'r');
    const data = await handle.readFile();
    const { mode } = await handle.stat();
    // Windows has no such mode bits: Node reports 0o666 for every writable file.
    if (process.platform !== 'win32' && (mode & 0o044) !== 0) {
      const octal = (mode & 0o777).toString(8).padStart(4, '0');
      warnings.push(`Warning: ${path} is readable by group or others (mode ${octal}); a secret file should be private: chmod 600 ${path}`);
    }
    return data;
  } catch (err) {
    throw new UsageError(`cannot read ${what} ${path}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
  } finally {
    await handle?.close();
  }
}

async function readSecretFile(path: string, warnings: string[]): Promise<string> {
  const text = (await readPrivateFile(path, 'password file', warnings)).toString('utf8');
  // One secret per file; a trailing newline from `echo` is not part of it.
  const password = text.replace(/\r?\n$/, '');
  // An empty file is a deployment mistake (a secret not mounted yet), not a password.
  if (password === '')
    throw new UsageError(`the password file ${path} is empty`, {
      hint: 'write the Redis password into it, or drop --redis-password-file / REDIS_PASSWORD_FILE',
    });
  return password;
}

async function readPem(path: string | undefined, what: string): Promise<Buffer | undefined> {
  if (path === undefined) return undefined;
  try {
    return await readFile(path);
  } catch (err) {
    throw new UsageError(`cannot read ${what} ${path}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
  }
}

/** Describe the target for messages: host and port, never credentials. */
export function describeTarget(url: URL): string {
  return `${url.protocol}//${url.host}`;
}

/** Everything needed to open a connection to one node: URL, credentials, TLS, timeout. */
export interface NodeSettings {
  url: URL;
  username: string | undefined;
  password: string | undefined;
  socket: Record<string, unknown>;
  timeoutMs: number;
}

/** Resolve the target and read the TLS files, printing warnings (password in argv) once. */
export async function nodeSettings(opts: ConnectionOptions, onWarning: (line: string) => void): Promise<NodeSettings> {
  const target = await resolveTarget(opts);
  target.warnings.forEach(onWarning);
  const tls = target.url.protocol === 'rediss:';
  // One without the other would fail only in the handshake, as a vague TLS error (exit 3).
  if ((opts.tlsCert === undefined) !== (opts.tlsKey === undefined)) {
    throw new UsageError(
      opts.tlsCert === undefined
        ? '--tls-key (REDIS_TLS_KEY) needs --tls-cert (REDIS_TLS_CERT): the client certificate it belongs to'
        : '--tls-cert (REDIS_TLS_CERT) needs --tls-key (REDIS_TLS_KEY): the private key of the client certificate',
    );
  }
  if (!tls && (opts.tlsCa ?? opts.tlsCert ?? opts.tlsKey) !== undefined) {
    throw new UsageError('--tls-ca/--tls-cert/--tls-key need a rediss:// URL');
  }
  const keyWarnings: string[] = [];
  const [ca, cert, key] = await Promise.all([
    readPem(opts.tlsCa, 'TLS CA file'),
    readPem(opts.tlsCert, 'TLS certificate file'),
    opts.tlsKey === undefined ? undefined : readPrivateFile(opts.tlsKey, 'TLS key file', keyWarnings),
  ]);
  keyWarnings.forEach(onWarning);
  // No reconnect loop: a lost connection ends the command (exit 3) and a rerun resumes.
  const common = { connectTimeout: opts.timeoutMs, reconnectStrategy: false as const };
  const socket = tls ? { tls: true as const, ca, cert, key, ...common } : common;
  return { url: target.url, username: target.username, password: target.password, socket, timeoutMs: opts.timeoutMs };
}

/**
 * The same settings aimed at another node (a sentinel's master, a cluster node): the same
 * credentials, TLS files and database. The database stays: a Sentinel's master must be used
 * in the URL's database, and everything that opens another connection to the node (a SCAN,
 * --hold's subscription) reads it from these settings.
 */
export function atAddress(settings: NodeSettings, host: string, port: number): NodeSettings {
  const url = new URL(settings.url.toString());
  url.hostname = host.includes(':') ? `[${host}]` : host;
  url.port = String(port);
  return { ...settings, url };
}

/** Race a promise against the connection deadline. */
export async function withinDeadline<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new ConnectionError(`timed out after ${ms} ms ${what}`)), ms);
  });
  try {
    return await Promise.race([promise, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * node-redis arms a 5 s timer (AbortSignal.timeout) for every command by default. It adds
 * nothing to boundCommands() below (it only covers the wait to be written), and each one
 * lives its full 5 s: a listing piled up ~2,000 of them, all promoted to V8's old generation,
 * and paid ~2% of its CPU for them. Timeout 0 turns them off.
 */
export const NO_WRITE_TIMER = { timeout: 0 };

/** Connect to one node and make one round trip, all within the timeout; bound every later call. */
export async function openClient(settings: NodeSettings): Promise<Redis> {
  const { createClient } = await import('./redis-lib.js');
  const client = createClient({
    url: settings.url.toString(),
    username: settings.username,
    password: settings.password,
    // A copy: node-redis writes host/port into the socket options it is given, and options
    // that differ from the last client's make it build its command classes again (~20 MB).
    socket: { ...settings.socket },
    commandOptions: NO_WRITE_TIMER,
    // Commands issued while disconnected fail at once instead of queueing forever.
    disableOfflineQueue: true,
  }) as unknown as Redis;
  // Without a listener node-redis would crash the process on a socket error;
  // failures surface through the promise of the command that hit them.
  client.on('error', () => undefined);
  const label = describeTarget(settings.url);
  try {
    await withinDeadline(client.connect(), settings.timeoutMs, `connecting to ${label}`);
    // Some servers accept the socket and never answer: make one round trip inside the deadline.
    await withinDeadline(client.ping(), settings.timeoutMs, `connecting to ${label}`);
  } catch (err) {
    client.destroy();
    throw withSchemeHint(toAppError(err, `cannot connect to ${label}`) ?? err, settings.url.protocol === 'rediss:');
  }
  return boundCommands(client, settings.timeoutMs, label);
}

/**
 * A scheme that does not match the server fails without saying so: a plain Redis never
 * answers a TLS handshake (it waits for a command line), and a TLS port drops a plaintext
 * client. When a connection fails that way, say which scheme to try.
 */
function withSchemeHint(err: unknown, tls: boolean): unknown {
  if (!(err instanceof ConnectionError) || err.hint?.includes('TLS')) return err;
  if (tls && /timed out/.test(err.message)) {
    return new ConnectionError(err.message, {
      hint: 'the server may not speak TLS: for a plain Redis use a redis:// URL; otherwise is it reachable and responsive? see --timeout',
      cause: err.cause,
    });
  }
  if (!tls && /connection lost/.test(err.message)) {
    return new ConnectionError(err.message, { hint: 'if the server expects TLS, use a rediss:// URL', cause: err.cause });
  }
  return err;
}

/**
 * node-redis's commandOptions.timeout only covers a command's wait to be written: once
 * sent, a server that never answers (paused, overloaded, a black hole) would hang us.
 * Bound every call to the client: on timeout, drop the connection and fail with exit 3.
 */
export function boundCommands<C extends object>(client: C, timeoutMs: number, target: string): C {
  return new Proxy(client, {
    get(obj, prop) {
      const value: unknown = Reflect.get(obj, prop, obj);
      if (typeof value !== 'function') return value;
      // A client with other reply types (bytes) is a view of this one: bound the same way.
      if (prop === 'withTypeMapping')
        return (...args: unknown[]) => boundCommands(Reflect.apply(value, obj, args) as object, timeoutMs, target);
      return (...args: unknown[]) => {
        const result: unknown = Reflect.apply(value, obj, args);
        if (!(result instanceof Promise)) return result;
        let timer: NodeJS.Timeout | undefined;
        const deadline = new Promise<never>((_, reject) => {
          timer = setTimeout(() => {
            // Settle the race with our error first; destroy() then rejects the pending command.
            reject(
              new ConnectionError(`timed out after ${timeoutMs} ms waiting for ${target} to answer`, {
                hint: 'is the server overloaded or paused? see --timeout',
              }),
            );
            (obj as { destroy?: () => void }).destroy?.();
          }, timeoutMs);
        });
        return Promise.race([result, deadline]).finally(() => clearTimeout(timer));
      };
    },
  });
}

/** Close politely, but never wait longer than it takes to give up. */
export async function disconnect(client: Redis): Promise<void> {
  if (!client.isOpen) return;
  try {
    await client.close();
  } catch {
    client.destroy();
  }
}
