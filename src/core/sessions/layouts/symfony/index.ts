/**
 * Symfony's RedisSessionHandler (symfony/http-foundation Session/Storage/Handler/RedisSessionHandler.php):
 * one string per session under `sf_s<sid>` (`$this->prefix = $options['prefix'] ?? 'sf_s'`),
 * holding `$_SESSION` in PHP's session encoding (NativeSessionStorage hands the handler what
 * session.serialize_handler wrote; decode/php-session.ts reads all three). Symfony's bags are
 * variables of it: `_sf2_attributes` (the attributes), `_sf2_meta` (MetadataBag: `c` created,
 * `u` last used, `l` cookie lifetime, Unix seconds) and `_symfony_flashes`.
 *
 * The user is the security token's (token.ts), in the attribute `_security_<firewall>`.
 *
 * Lifetime: `write` does `setEx(prefix.id, ttl ?? session.gc_maxlifetime, data)` and
 * `updateTimestamp` `expire(prefix.id, same)`, on every request: only the key's TTL holds a
 * lifetime, and the next request puts the app's back. Revoke: DEL, as the handler's
 * `doDestroy` does (unlink or del); the next request with the cookie finds no session and no token.
 */
import { escapeGlob, showId } from '../../../redis/keys.js';
import { UsageError } from '../../../errors.js';
import { decodedCookieValue } from '../../cookie.js';
import { decodePhpSession, phpUserNeedle, type PhpSession } from '../../decode/php-session.js';
import { newMap, type PhpMap, type PhpPlain } from '../../decode/php-value.js';
import { sessionKey, validateSessionId } from '../../ids.js';
import { isoOrNull, ttlRecord, noteReadable, lineOfRecord, unreadableRecord } from '../../records.js';
import type { LineInfo, SessionLayout, SessionRecord } from '../../layout.js';
import { readToken, SECURITY_PREFIX, tokenUserName } from './token.js';

const PREFIX = 'sf_s';
const ATTRIBUTES = '_sf2_attributes';
const META = '_sf2_meta';
/** The characters of a PHP session id (Symfony leaves ids to PHP's session module). */
const SID = /^[0-9A-Za-z,-]{1,256}$/;

interface SymfonySession {
  session: PhpSession;
  attributes: PhpMap;
  meta: PhpMap | undefined;
}

const isMap = (v: unknown): v is PhpMap => v !== null && typeof v === 'object' && !Array.isArray(v);

/** A Symfony session: a PHP session with Symfony's metadata or attribute bag (or an empty value). */
function readSymfony(raw: Buffer): SymfonySession | string {
  const session = decodePhpSession(raw);
  if (typeof session === 'string') return session;
  const { vars } = session;
  const attributes = vars[ATTRIBUTES];
  const meta = vars[META];
  if (Object.keys(vars).length > 0 && attributes === undefined && meta === undefined)
    return 'a PHP session without _sf2_meta or _sf2_attributes';
  // A bag with nothing in it was written as a:0:{}, which reads as an empty list.
  const bag = isMap(attributes) ? attributes : newMap();
  return { session, attributes: bag, meta: isMap(meta) ? meta : undefined };
}

/** The user of the first `_security_<firewall>` attribute holding a token. */
function userOf(s: SymfonySession, fields: readonly string[]): string | null {
  for (const [name, value] of Object.entries(s.attributes)) {
    if (!name.startsWith(SECURITY_PREFIX)) continue;
    const token = readToken(value);
    const user = token === undefined ? null : tokenUserName(token, fields);
    if (user !== null) return user;
  }
  return null;
}

const seconds = (v: PhpPlain | undefined): string | null => (typeof v === 'number' && Number.isSafeInteger(v) ? isoOrNull(v * 1000) : null);

function toRecord(id: string, raw: Buffer, pttlMs: number, fields: readonly string[], now: number, info?: LineInfo): SessionRecord {
  const s = readSymfony(raw);
  if (typeof s === 'string') return unreadableRecord(id, pttlMs, now, s, info);
  noteReadable(info);
  let extra: Record<string, unknown> | null = null;
  for (const [name, value] of Object.entries(s.attributes)) {
    if (name.startsWith(SECURITY_PREFIX)) continue;
    extra ??= Object.create(null) as Record<string, unknown>;
    extra[name] = value;
  }
  return ttlRecord(id, userOf(s, fields), pttlMs, now, extra, {
    createdAt: seconds(s.meta?.['c']),
    lastAccessedAt: seconds(s.meta?.['u']),
  });
}

/** A stored password (hash) or credentials are never printed: Symfony keeps the user object, hash included. */
const SECRET_FIELDS = new Set(['password', 'credentials', 'plainPassword']);
function redact(root: PhpPlain): PhpPlain {
  const stack: PhpPlain[] = [root];
  const seen = new Set<object>();
  for (let node = stack.pop(); node !== undefined; node = stack.pop()) {
    if (node === null || typeof node !== 'object' || seen.has(node)) continue;
    seen.add(node);
    if (Array.isArray(node)) stack.push(...node);
    else
      for (const [k, v] of Object.entries(node)) {
        if (SECRET_FIELDS.has(k) && v !== null) node[k] = '(redacted)';
        else stack.push(v);
      }
  }
  return root;
}

function content(raw: Buffer): Record<string, unknown> | undefined {
  const s = readSymfony(raw);
  if (typeof s === 'string') return undefined;
  // Tokens as the plain data they hold (they are text in the session), copied: the decode is
  // shared by nothing else, but redact() writes into it.
  const attributes = newMap();
  for (const [name, value] of Object.entries(s.attributes)) {
    const token = name.startsWith(SECURITY_PREFIX) ? readToken(value) : undefined;
    attributes[name] = token === undefined ? value : redact(token);
  }
  const others = newMap();
  for (const [name, value] of Object.entries(s.session.vars)) if (name !== ATTRIBUTES && name !== META) others[name] = value;
  return {
    serializer: s.session.serializer,
    attributes,
    meta: s.meta ?? null,
    ...(Object.keys(others).length > 0 ? { other: others } : {}),
  };
}

export const symfony: SessionLayout = {
  name: 'symfony',
  idLength: 32, // PHP's session.sid_length
  defaultPrefix: PREFIX,
  keyType: 'string',
  key: sessionKey,
  match: (prefix) => `${escapeGlob(prefix)}*`,
  idOf(prefix) {
    const length = Buffer.byteLength(prefix);
    return (key) => showId(key.subarray(length));
  },
  cookie: {
    // Symfony leaves the cookie to PHP's session module: session.name, PHPSESSID unless framework.session.name says otherwise.
    defaultName: 'PHPSESSID',
    isBareValue: (text) => SID.test(text.replace(/^"|"$/g, '')),
    read(value) {
      const id = decodedCookieValue(value);
      if (!SID.test(id)) throw new UsageError('--cookie is not a PHP session cookie (the session id: letters, digits, "," and "-")');
      validateSessionId(id);
      return {
        id,
        verify() {
          throw new UsageError(
            "Symfony's session cookie is the bare id, not signed: --cookie-secret-file does not apply to --layout symfony",
          );
        },
      };
    },
  },
  record: toRecord,
  jsonLine: lineOfRecord(toRecord),
  content,
  // The user name is a string inside the serialize()d token, its bytes as they are.
  userPrefilter: phpUserNeedle,
  withLifetime(raw, ttlMs) {
    if (typeof readSymfony(raw) === 'string') return undefined;
    return {
      ttlMs,
      side: [],
      note: "Symfony's RedisSessionHandler sets the key's TTL to its ttl option (session.gc_maxlifetime by default) on every request (setEx when the session changed, expire when not), so this lifetime lasts until the user's next request: --hold keeps setting it for a while; session revoke ends a session for good.",
    };
  },
  lifetimeUndone: (_raw, pttlMs, ttlMs) => pttlMs < 0 || pttlMs > ttlMs + 1000,
  detect(key, raw) {
    const at = key.lastIndexOf(PREFIX);
    const start = at + PREFIX.length;
    if (at < 0 || key.length === start || !SID.test(key.subarray(start).toString('latin1'))) return undefined;
    const s = readSymfony(raw);
    if (typeof s === 'string' || (s.meta === undefined && Object.keys(s.attributes).length === 0)) return undefined;
    return { prefix: key.subarray(0, start).toString('utf8'), id: showId(key.subarray(start)) };
  },
  writeEvents: ['set'],
  writeEventClasses: '$',
  touchEvents: ['expire'],
  touchEventClasses: 'g',
};
