/**
 * Bulk-load sessions as connect-redis writes them (and user records), through `redis-cli --pipe`: one RESP
 * stream, hundreds of thousands of sessions a second. Used by the tests and the bench.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';

export interface SeedOptions {
  /** Sessions numbered from..to-1; session i belongs to user `user<i % users>`. */
  from?: number;
  to: number;
  users?: number;
  prefix?: string;
}

function resp(parts: string[]): string {
  return `*${parts.length}\r\n${parts.map((p) => `$${Buffer.byteLength(p)}\r\n${p}\r\n`).join('')}`;
}

/** Send every chunk of commands through one `redis-cli --pipe`; fails unless all succeed. */
async function pipeCommands(port: number, chunks: Iterable<string>): Promise<void> {
  const child = spawn('redis-cli', ['-p', String(port), '--pipe'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d.toString()));
  child.stderr.on('data', (d) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  Readable.from(chunks).pipe(child.stdin);
  const code = await exited;
  if (code !== 0 || !/errors: 0, replies: \d+/.test(out)) throw new Error(`redis-cli --pipe failed (${code}): ${out.slice(-500)}`);
}

/** The commands `command(i)` for i in from..to-1, as RESP in chunks of about 1 MB. */
function* chunked(from: number, to: number, command: (i: number) => string[]): Generator<string> {
  let chunk = '';
  for (let i = from; i < to; i += 1) {
    chunk += resp(command(i));
    if (chunk.length > 1 << 20) {
      yield chunk;
      chunk = '';
    }
  }
  if (chunk) yield chunk;
}

export async function seedSessions(port: number, opts: SeedOptions): Promise<void> {
  const { from = 0, to, users = 1000, prefix = 'sess:' } = opts;
  const expires = new Date(Date.now() + 86400_000).toISOString();
  await pipeCommands(
    port,
    chunked(from, to, (i) => {
      // Unique and session-id-like: the number in base 36, then random characters.
      const id = `${i.toString(36).padStart(8, '0')}${randomBytes(12).toString('base64url')}`;
      const value = JSON.stringify({
        cookie: { originalMaxAge: 86400000, expires, secure: false, httpOnly: true, path: '/' },
        passport: { user: `user${i % users}` },
        ip: '203.0.113.7',
      });
      return ['SET', `${prefix}${id}`, value, 'EX', '86400'];
    }),
  );
}

/** `count` user records `user:{user<i>}`, all with the same stored `passwordHash`. */
export async function seedUsers(port: number, count: number, passwordHash: string): Promise<void> {
  await pipeCommands(
    port,
    chunked(0, count, (i) => ['HSET', `user:{user${i}}`, 'password_hash', passwordHash, 'created_at', '2026-01-01T00:00:00.000Z']),
  );
}
