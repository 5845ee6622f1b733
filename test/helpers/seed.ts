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
async function pipeCommands(port: number, chunks: Iterable<string | Buffer>): Promise<void> {
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

/** RESP of binary-safe arguments (JDK-serialized values are not text). */
function respBytes(parts: Buffer[]): Buffer {
  const out: Buffer[] = [Buffer.from(`*${parts.length}\r\n`)];
  for (const p of parts) out.push(Buffer.from(`$${p.length}\r\n`), p, Buffer.from('\r\n'));
  return Buffer.concat(out);
}

export interface SpringSeedOptions {
  from?: number;
  to: number;
  users?: number;
  /** RedisIndexedSessionRepository's keys too: the shadow key, the minute set, the principal set. */
  indexed: boolean;
  /** JDK serialization of values, as test/fixtures/jdk/vectors.json has them (keys: long, integer, springStringPrincipal). */
  vectors: Record<string, string>;
}

/**
 * Sessions as Spring Session saves them (test/helpers/spring.ts does it with the real JDK; this
 * is the bulk form, for the bench): a hash of JDK-serialized values per session, the principal
 * a String in a SecurityContextImpl (the vector's "bob" swapped for user<i % users>).
 */
export async function seedSpringSessions(port: number, opts: SpringSeedOptions): Promise<void> {
  const { from = 0, to, users = 1000, indexed, vectors } = opts;
  const hex = (name: string) => Buffer.from(vectors[name] as string, 'hex');
  const now = Date.now();
  const long = (n: number) => {
    const b = hex('long');
    b.writeBigInt64BE(BigInt(n), b.length - 8);
    return b;
  };
  const int = (n: number) => {
    const b = hex('integer');
    b.writeInt32BE(n, b.length - 4);
    return b;
  };
  const jdkString = (s: string) =>
    Buffer.concat([Buffer.from([0xac, 0xed, 0x00, 0x05, 0x74, s.length >> 8, s.length & 0xff]), Buffer.from(s)]);
  const context = hex('springStringPrincipal');
  const bob = Buffer.from([0x74, 0x00, 0x03, 0x62, 0x6f, 0x62]);
  const at = context.indexOf(bob);
  if (at < 0) throw new Error('the springStringPrincipal vector has no "bob" string');
  const contextOf = (user: string) =>
    Buffer.concat([context.subarray(0, at), Buffer.from([0x74, 0x00, user.length]), Buffer.from(user), context.subarray(at + bob.length)]);
  const [created, accessed, inactive] = [long(now - 60_000), long(now), int(1800)];
  const b = (s: string) => Buffer.from(s);
  const minute = (Math.floor((now + 1_800_000) / 60_000) + 1) * 60_000;
  const ns = 'spring:session:';
  const index = `${ns}index:org.springframework.session.FindByIndexNameSessionRepository.PRINCIPAL_NAME_INDEX_NAME:`;
  function* chunks(): Generator<Buffer> {
    let chunk: Buffer[] = [];
    let size = 0;
    for (let i = from; i < to; i += 1) {
      const id = `${i.toString(16).padStart(8, '0')}-${randomBytes(2).toString('hex')}-4${randomBytes(2).toString('hex').slice(1)}-a${randomBytes(2).toString('hex').slice(1)}-${randomBytes(6).toString('hex')}`;
      const user = `user${i % users}`;
      const key = b(`${ns}sessions:${id}`);
      const commands = [
        respBytes([
          b('HSET'),
          key,
          b('creationTime'),
          created,
          b('lastAccessedTime'),
          accessed,
          b('maxInactiveInterval'),
          inactive,
          b('sessionAttr:SPRING_SECURITY_CONTEXT'),
          contextOf(user),
        ]),
      ];
      if (indexed) {
        commands.push(
          respBytes([b('PEXPIRE'), key, b(String(2_100_000))]),
          respBytes([b('SADD'), b(`${index}${user}`), jdkString(id)]),
          respBytes([b('SET'), b(`${ns}sessions:expires:${id}`), b(''), b('PX'), b('1800000')]),
          respBytes([b('SADD'), b(`${ns}expirations:${minute}`), jdkString(`expires:${id}`)]),
        );
      } else commands.push(respBytes([b('PEXPIRE'), key, b('1800000')]));
      for (const c of commands) {
        chunk.push(c);
        size += c.length;
      }
      if (size > 1 << 20) {
        yield Buffer.concat(chunk);
        chunk = [];
        size = 0;
      }
    }
    if (chunk.length > 0) yield Buffer.concat(chunk);
  }
  await pipeCommands(port, chunks());
}
