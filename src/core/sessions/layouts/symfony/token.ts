/**
 * The user of a Symfony session: the security token Symfony's firewall keeps in the session
 * attribute `_security_<firewall>` as `serialize($token)` (symfony/security-http,
 * Firewall/ContextListener.php: `$this->sessionKey = '_security_'.$contextKey`, and on the
 * response `$session->set($this->sessionKey, serialize($token))`). The token is read as plain data
 * (decode/php-serialize.ts): no class is loaded, no `__unserialize` runs.
 *
 * Token shapes (symfony/security-core Authentication/Token):
 * - 5.4 and later: `O:` of the token class, whose `__serialize()` is the parent's data last
 *   (UsernamePasswordToken: `[$credentials, $firewallName, parent::__serialize()]`), down to
 *   AbstractToken's `[$user, $authenticated, null, $attributes, $roleNames]`;
 * - before 4.3: `C:` (Serializable) whose payload is `serialize()` of the same kind of arrays.
 * The user is a string (an old token's username) or a UserInterface object: the --user-field
 * paths on it first (`username` by default, Symfony's User and InMemoryUser), else its
 * `username`, `userIdentifier` or `email`.
 */
import { sessionUser } from '../../decode/json-session.js';
import { decodePhpSerialized } from '../../decode/php-serialize.js';
import { isPhpObject, PHP_LIMITS, Tracker, type PhpPlain } from '../../decode/php-value.js';

export const SECURITY_PREFIX = '_security_';
const IDENTIFIERS = ['username', 'userIdentifier', 'email'];

type Map = Record<string, PhpPlain>;
const isMap = (v: unknown): v is Map => v !== null && typeof v === 'object' && !Array.isArray(v);

/** A serialize()d token (the attribute's text) as plain data, or undefined when it is not one. */
export function readToken(serialized: unknown): PhpPlain | undefined {
  if (typeof serialized !== 'string') return undefined;
  const bytes = Buffer.from(serialized, 'utf8');
  const decoded = decodePhpSerialized(bytes, new Tracker(PHP_LIMITS));
  return decoded.ok && decoded.end === bytes.length ? decoded.value : undefined;
}

/** The elements of a token's data: an object's numbered properties, a list, or a Serializable's payload read. */
function elements(value: PhpPlain, depth: number): PhpPlain[] | undefined {
  if (Array.isArray(value)) return value;
  if (depth > 8) return undefined;
  // Before 4.3 the parent's data was itself a serialize()d string inside the payload.
  if (typeof value === 'string') {
    const inner = value.startsWith('a:') ? readToken(value) : undefined;
    return inner === undefined ? undefined : elements(inner, depth + 1);
  }
  if (!isMap(value)) return undefined;
  const payload = value['@serialized'];
  if (typeof payload === 'string') {
    const inner = readToken(payload);
    return inner === undefined ? undefined : elements(inner, depth + 1);
  }
  const list: PhpPlain[] = [];
  for (let i = 0; Object.hasOwn(value, String(i)); i += 1) list.push(value[String(i)] as PhpPlain);
  return list.length > 0 ? list : undefined;
}

/** AbstractToken's own data: `[user, authenticated (bool), ...]`, found by descending into the last array of each level. */
function tokenUser(token: PhpPlain): PhpPlain | undefined {
  let data = elements(token, 0);
  for (let depth = 0; data !== undefined && depth < 8; depth += 1) {
    const [user, authenticated] = data;
    if (data.length >= 3 && typeof authenticated === 'boolean' && (typeof user === 'string' || isPhpObject(user))) return user;
    const last = [...data]
      .reverse()
      .find(
        (v) => Array.isArray(v) || (isMap(v) && (!isPhpObject(v) || '@serialized' in v)) || (typeof v === 'string' && v.startsWith('a:')),
      );
    data = last === undefined ? undefined : elements(last, depth + 1);
  }
  return undefined;
}

/** The name a token's user goes by: the --user-field paths on it, then Symfony's identifiers. */
export function tokenUserName(token: PhpPlain, fields: readonly string[]): string | null {
  const user = tokenUser(token);
  if (typeof user === 'string') return user;
  if (!isMap(user)) return null;
  const found = sessionUser(user, fields);
  if (typeof found?.user === 'string') return found.user;
  for (const field of IDENTIFIERS) {
    const value = user[field];
    if (typeof value === 'string' && value !== '') return value;
  }
  return null;
}
