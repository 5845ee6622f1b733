/**
 * One Spring Session hash read into a session record. Fields (RedisSessionMapper):
 * `creationTime` and `lastAccessedTime` (Long, epoch ms), `maxInactiveInterval` (Integer,
 * seconds; negative: never expires) and `sessionAttr:<name>` per attribute. Spring decides
 * expiry from the fields, not from the key's TTL (MapSession.isExpired: lastAccessedTime +
 * maxInactiveInterval), so the record's expiry is theirs. The user is the principal name the
 * indexed repository indexes by (PrincipalNameIndexResolver): the PRINCIPAL_NAME_INDEX_NAME
 * attribute if set, else the name of the security context's authentication.
 */
import { unpackHash } from '../../../redis/hash-value.js';
import type { LineInfo, SessionRecord } from '../../layout.js';
import { isoOrNull, noteReadable, storedTtlSeconds, unreadableRecord } from '../../records.js';
import { PRINCIPAL_INDEX_NAME } from './keys.js';
import type { JdkValue } from '../../decode/jdk.js';
import { decodeJdkValue, decodeValue, isJdk, wholeNumber, type Serializer } from './values.js';

const ATTRIBUTE = 'sessionAttr:';
const SECURITY_CONTEXT = 'SPRING_SECURITY_CONTEXT';
const CONTEXT_FIELD = `${ATTRIBUTE}${SECURITY_CONTEXT}`;

export interface SpringSession {
  serializer: Serializer;
  creationTime: number | undefined;
  lastAccessedTime: number | undefined;
  maxInactiveInterval: number | undefined;
  /** Attributes by name, as plain data (an attribute that cannot be read holds `{"@unreadable": reason}`). */
  attributes: Map<string, unknown>;
  principal: string | null;
}

type Plain = Record<string, unknown>;
const isObject = (v: unknown): v is Plain => v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * Authentication.getName() as Spring Security computes it from the plain data: the principal's
 * `username` (a UserDetails), its `name` (an AuthenticatedPrincipal or a Principal), or the
 * principal itself when it is a string.
 */
function authenticationName(context: unknown): string | null {
  if (!isObject(context)) return null;
  const auth = context['authentication'];
  if (!isObject(auth)) return null;
  const principal = auth['principal'];
  if (typeof principal === 'string') return principal;
  if (isObject(principal)) {
    for (const field of ['username', 'name']) {
      const value = principal[field];
      if (typeof value === 'string') return value;
    }
  }
  // OAuth2 and others keep the name on the token itself.
  return typeof auth['name'] === 'string' ? auth['name'] : null;
}

/** A field of a decoded JDK object, if `value` is one. */
function jdkField(value: JdkValue | undefined, name: string): JdkValue | undefined {
  return value !== null && typeof value === 'object' && 'kind' in value && value.kind === 'object' ? value.fields[name] : undefined;
}

/** authenticationName on the decoded JDK objects themselves: a listing needs the name, not the whole context as plain data. */
function jdkAuthenticationName(context: JdkValue): string | null {
  const auth = jdkField(context, 'authentication');
  const principal = jdkField(auth, 'principal');
  if (typeof principal === 'string') return principal;
  for (const field of ['username', 'name']) {
    const value = jdkField(principal, field);
    if (typeof value === 'string') return value;
  }
  const name = jdkField(auth, 'name');
  return typeof name === 'string' ? name : null;
}

/**
 * The session in a packed hash, or why it cannot be read (the one field everything hangs on is
 * missing or garbled). `whole`: every attribute as plain data (show); otherwise the security
 * context is read only for its principal (a listing, a million times).
 */
export function readSpringSession(raw: Buffer, whole = false): SpringSession | string {
  const pairs = unpackHash(raw);
  if (pairs === undefined) return 'not a hash';
  const session: SpringSession = {
    serializer: 'jdk',
    creationTime: undefined,
    lastAccessedTime: undefined,
    maxInactiveInterval: undefined,
    attributes: new Map(),
    principal: null,
  };
  let readAny = false;
  let contextName: string | null | undefined;
  for (const [fieldBytes, valueBytes] of pairs) {
    const field = fieldBytes.toString('utf8');
    if (!whole && field === CONTEXT_FIELD && isJdk(valueBytes)) {
      const context = decodeJdkValue(valueBytes);
      contextName = context.ok ? jdkAuthenticationName(context.value) : null;
      if (context.ok) readAny = true;
      continue;
    }
    const decoded = decodeValue(valueBytes);
    if (decoded.ok) {
      // One typed Long (json-typed) tells the serializer; plain JSON numbers look alike in both.
      if (session.serializer !== 'json-typed' || !readAny) session.serializer = decoded.serializer;
      readAny = true;
    }
    if (field === 'creationTime') session.creationTime = decoded.ok ? wholeNumber(decoded.value) : undefined;
    else if (field === 'lastAccessedTime') session.lastAccessedTime = decoded.ok ? wholeNumber(decoded.value) : undefined;
    else if (field === 'maxInactiveInterval') session.maxInactiveInterval = decoded.ok ? wholeNumber(decoded.value) : undefined;
    else if (field.startsWith(ATTRIBUTE)) {
      session.attributes.set(field.slice(ATTRIBUTE.length), decoded.ok ? decoded.value : { '@unreadable': decoded.reason });
    }
  }
  if (!readAny) return 'no field is JDK serialization or JSON';
  if (session.lastAccessedTime === undefined || session.maxInactiveInterval === undefined)
    return 'no readable lastAccessedTime and maxInactiveInterval';
  const indexed = session.attributes.get(PRINCIPAL_INDEX_NAME);
  session.principal = typeof indexed === 'string' ? indexed : (contextName ?? authenticationName(session.attributes.get(SECURITY_CONTEXT)));
  return session;
}

/** When Spring considers the session expired (ms), or null when it never does. */
export function springExpiry(s: SpringSession): number | null {
  if (s.lastAccessedTime === undefined || s.maxInactiveInterval === undefined || s.maxInactiveInterval < 0) return null;
  return s.lastAccessedTime + s.maxInactiveInterval * 1000;
}

/** What the listing shows beside the user: the attributes but the security context (shown by its user). */
function extraOf(s: SpringSession): Record<string, unknown> | null {
  let extra: Record<string, unknown> | null = null;
  for (const [name, value] of s.attributes) {
    if (name === SECURITY_CONTEXT || name === PRINCIPAL_INDEX_NAME) continue;
    extra ??= Object.create(null) as Record<string, unknown>;
    extra[name] = value;
  }
  redactSecrets(extra);
  return extra;
}

export function toSpringRecord(id: string, raw: Buffer, pttlMs: number, now: number, info?: LineInfo): SessionRecord {
  const session = readSpringSession(raw);
  if (typeof session === 'string') return unreadableRecord(id, pttlMs, now, session, info);
  noteReadable(info);
  const expiry = springExpiry(session);
  return {
    id,
    user: session.principal,
    ttlSeconds: expiry === null ? -1 : storedTtlSeconds(expiry, now),
    expiresAt: isoOrNull(expiry),
    readable: true,
    extra: extraOf(session),
    createdAt: isoOrNull(session.creationTime),
    lastAccessedAt: isoOrNull(session.lastAccessedTime),
    expiresBy: 'lastAccessedTime + maxInactiveInterval',
  };
}

/**
 * Spring Security keeps the principal's `password` and the token's `credentials` in the
 * session unless the application erases them (eraseCredentialsAfterAuthentication): a stored
 * password or hash is never printed. Walks the plain data (bounded by jdkToPlain) with a stack.
 */
const SECRET_FIELDS = new Set(['password', 'credentials']);
function redactSecrets(root: unknown): void {
  const stack: unknown[] = [root];
  for (let node = stack.pop(); stack.length > 0 || node !== undefined; node = stack.pop()) {
    if (node === null || typeof node !== 'object') continue;
    for (const [k, v] of Object.entries(node)) {
      if (SECRET_FIELDS.has(k) && v !== null && !Array.isArray(node)) (node as Plain)[k] = '(redacted)';
      else stack.push(v);
    }
  }
}

/** The whole session for `session show`, stored secrets redacted. */
export function springContent(raw: Buffer): Record<string, unknown> | undefined {
  const session = readSpringSession(raw, true);
  if (typeof session === 'string') return undefined;
  const attributes: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  for (const [name, value] of session.attributes) attributes[name] = value;
  redactSecrets(attributes);
  return {
    creationTime: session.creationTime ?? null,
    lastAccessedTime: session.lastAccessedTime ?? null,
    maxInactiveInterval: session.maxInactiveInterval ?? null,
    serializer: session.serializer,
    attributes,
  };
}
