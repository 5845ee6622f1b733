/**
 * The one way every command reaches Redis: resolve the target and credentials,
 * connect with bounded time and no reconnect loop, and hand back a client.
 */
import { readFile } from 'node:fs/promises';
import type { RedisClientType } from '@redis/client';
import { ConnectionError, UsageError } from '../errors.js';
import { toAppError } from './redis-errors.js';

export type Redis = RedisClientType;

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

export { DEFAULT_URL } from '../defaults.js';

export interface ResolvedTarget {
  url: URL;
  username: string | undefined;
  password: string | undefined;
  warnings: string[];
}

/** Work out where to connect and as whom, without touching the network. */
export async function resolveTarget(opts: ConnectionOptions): Promise<ResolvedTarget> {
  let url: URL;
  try {
    url = new URL(opts.url);
  } catch {
    throw new UsageError('invalid Redis URL', { hint: 'expected redis://[user[:password]@]host[:port][/db] or rediss://...' });
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') {
    throw new UsageError(`unsupported URL scheme "${url.protocol}"`, { hint: 'use redis:// or rediss:// (TLS)' });
  }
  const warnings: string[] = [];
  const urlPassword = url.password === '' ? undefined : decodeURIComponent(url.password);
  if (urlPassword !== undefined && opts.urlFromArgv) {
    warnings.push('Warning: a password in --url on the command line may be visible to other users; use REDIS_PASSWORD or --redis-password-file instead.');
  }
  let password = urlPassword ?? opts.password;
  if (opts.passwordFile !== undefined) {
    password = await readSecretFile(opts.passwordFile);
  }
  const username = url.username !== '' ? decodeURIComponent(url.username) : opts.username;
  // Credentials travel separately, never inside the URL we pass on (or print).
  url.username = '';
  url.password = '';
  return { url, username, password, warnings };
}

async function readSecretFile(path: string): Promise<string> {
  try {
    const text = await readFile(path, 'utf8');
    // One secret per file; a trailing newline from `echo` is not part of it.
    return text.replace(/\r?\n$/, '');
  } catch (err) {
    throw new UsageError(`cannot read password file ${path}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
  }
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
  if (!tls && (opts.tlsCa ?? opts.tlsCert ?? opts.tlsKey) !== undefined) {
    throw new UsageError('--tls-ca/--tls-cert/--tls-key need a rediss:// URL');
  }
  const [ca, cert, key] = await Promise.all([
    readPem(opts.tlsCa, 'TLS CA file'),
    readPem(opts.tlsCert, 'TLS certificate file'),
    readPem(opts.tlsKey, 'TLS key file'),
  ]);
  // No reconnect loop: a lost connection ends the command (exit 3) and a rerun resumes.
  const common = { connectTimeout: opts.timeoutMs, reconnectStrategy: false as const };
  const socket = tls ? { tls: true as const, ca, cert, key, ...common } : common;
  return { url: target.url, username: target.username, password: target.password, socket, timeoutMs: opts.timeoutMs };
}

/** The same settings aimed at another node (a sentinel's master, a cluster node). */
export function atAddress(settings: NodeSettings, host: string, port: number): NodeSettings {
  const url = new URL(settings.url.toString());
  url.hostname = host.includes(':') ? `[${host}]` : host;
  url.port = String(port);
  url.pathname = '';
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
    throw toAppError(err, `cannot connect to ${label}`) ?? err;
  }
  return boundCommands(client, settings.timeoutMs, label);
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
      if (prop === 'withTypeMapping') return (...args: unknown[]) => boundCommands(Reflect.apply(value, obj, args) as object, timeoutMs, target);
      return (...args: unknown[]) => {
        const result: unknown = Reflect.apply(value, obj, args);
        if (!(result instanceof Promise)) return result;
        let timer: NodeJS.Timeout | undefined;
        const deadline = new Promise<never>((_, reject) => {
          timer = setTimeout(() => {
            // Settle the race with our error first; destroy() then rejects the pending command.
            reject(new ConnectionError(`timed out after ${timeoutMs} ms waiting for ${target} to answer`, { hint: 'is the server overloaded or paused? see --timeout' }));
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
