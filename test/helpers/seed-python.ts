/**
 * Bulk-load sessions as the Python applications of test/fixtures/python write them
 * (test/helpers/apps/python.ts), through `redis-cli --pipe`: Django 3.2's `cache` sessions on
 * django-redis and Flask-Session 0.3's. Both pickle the session dict with Python 3's default
 * protocol 4, which pickleDict writes byte for byte as `pickle.dumps` does for a dict of
 * strings and booleans. Used by the bench; test/int/seed-layouts.int.test.ts holds each seeder
 * to the real application's bytes. Session i belongs to `user<i % users>`.
 */
import { createHash, createHmac } from 'node:crypto';
import { chunkedBytes, each, pipeCommands, uniqueId, uniqueUuid, type NodeSeedOptions } from './seed.js';

/** Django's SESSION_COOKIE_AGE default (two weeks), which django-redis sets as the key's PX. */
export const DJANGO_SEED_TTL = 1_209_600;
/** The Flask app's PERMANENT_SESSION_LIFETIME (an hour): Flask-Session 0.3's SETEX on every request. */
export const FLASK_SEED_TTL = 3600;

/** Python's pickle.dumps(d, protocol=4) of a dict of strings and booleans: a framed dict, each string memoized. */
export function pickleDict(entries: Array<[string, string | boolean]>): Buffer {
  const parts: Buffer[] = [Buffer.from('}\x94(', 'latin1')];
  const text = (s: string) => {
    const bytes = Buffer.from(s, 'utf8');
    if (bytes.length > 255) throw new Error('pickleDict writes SHORT_BINUNICODE strings only (up to 255 bytes)');
    parts.push(Buffer.from([0x8c, bytes.length]), bytes, Buffer.from([0x94]));
  };
  for (const [k, v] of entries) {
    text(k);
    if (typeof v === 'boolean') parts.push(Buffer.from([v ? 0x88 : 0x89]));
    else text(v);
  }
  parts.push(Buffer.from('u.', 'latin1'));
  const body = Buffer.concat(parts);
  // PROTO 4, then one FRAME (its length, 8 bytes little-endian) around everything after it.
  const head = Buffer.alloc(11);
  head.set([0x80, 0x04, 0x95]);
  head.writeBigUInt64LE(BigInt(body.length), 3);
  return Buffer.concat([head, body]);
}

/** Django's session keys: get_random_string(32) of a-z0-9. */
const DJANGO_KEY_ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

/**
 * Django 3.2's `cache` session backend on django-redis as test/fixtures/python/django_app.py logs
 * a user in: the dict `_auth_user_id`, `_auth_user_backend` (ModelBackend), `_auth_user_hash`
 * (an HMAC-SHA256 of the user's password hash: the same for every session of a user), pickled,
 * under `:1:django.contrib.sessions.cache<key>` with `SET ... PX` of SESSION_COOKIE_AGE. The
 * user's primary key is `user<n>` (the app's are integers), as a user model with a text key has.
 */
export async function seedDjangoSessions(port: number, opts: NodeSeedOptions): Promise<void> {
  const { from = 0, to, users = 1000 } = opts;
  const px = String(DJANGO_SEED_TTL * 1000);
  // One HMAC per user, as Django's is: it depends on the user's password hash, not the session.
  const hashes = new Map<string, string>();
  const hashOf = (user: string) => {
    let hash = hashes.get(user);
    if (hash === undefined) hashes.set(user, (hash = createHmac('sha256', 'seed').update(user).digest('hex')));
    return hash;
  };
  await pipeCommands(
    port,
    chunkedBytes(
      each(from, to, (i) => {
        const user = `user${i % users}`;
        const value = pickleDict([
          ['_auth_user_id', user],
          ['_auth_user_backend', 'django.contrib.auth.backends.ModelBackend'],
          ['_auth_user_hash', hashOf(user)],
        ]);
        return ['SET', `:1:django.contrib.sessions.cache${uniqueId(i, DJANGO_KEY_ALPHABET, 32)}`, value, 'PX', px];
      }),
    ),
  );
}

/** What a browser sends from 203.0.113.7: the Flask-Login session identifier below is made of it. */
const FLASK_CLIENT = '203.0.113.7';
const FLASK_USER_AGENT = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';

/**
 * Flask 2.2 + Flask-Login 0.6 + Flask-Session 0.3 (pickle) as test/fixtures/python/flask_app.py
 * logs a user in: the dict `_permanent` (Flask-Session's new session), then login_user's
 * `_user_id`, `_fresh` and `_id` (flask_login's _create_identifier: SHA-512 of
 * `<remote addr>|<repr of the User-Agent's bytes>`), pickled, under `session:<uuid4>` with SETEX
 * of PERMANENT_SESSION_LIFETIME.
 */
export async function seedFlaskSessions(port: number, opts: NodeSeedOptions): Promise<void> {
  const { from = 0, to, users = 1000 } = opts;
  const ttl = String(FLASK_SEED_TTL);
  const identifier = createHash('sha512').update(`${FLASK_CLIENT}|b'${FLASK_USER_AGENT}'`).digest('hex');
  await pipeCommands(
    port,
    chunkedBytes(
      each(from, to, (i) => {
        const value = pickleDict([
          ['_permanent', true],
          ['_user_id', `user${i % users}`],
          ['_fresh', true],
          ['_id', identifier],
        ]);
        return ['SETEX', `session:${uniqueUuid(i)}`, ttl, value];
      }),
    ),
  );
}
