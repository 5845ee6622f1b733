/**
 * A session cookie out of whatever a responder pasted from a log, a browser or curl:
 * - the bare value (which the layout recognizes: SessionCookie.isBareValue);
 * - a Cookie request header (`theme=dark; connect.sid=s%3A...`, `Cookie: ` in front or not) or
 *   a Set-Cookie one (`connect.sid=s%3A...; Path=/; HttpOnly`): the cookie is picked by name;
 * - cookie-jar lines as curl writes them (Netscape format: domain, include-subdomains flag,
 *   path, secure, expiry, name, value, separated by tabs; `#HttpOnly_` before the domain of
 *   an HttpOnly cookie; other `#` lines are comments): picked by name as well.
 * What the value means (which session, whether its signature holds) is the layout's
 * (layout.ts SessionCookie). The value is a live credential: no error here quotes it.
 */
import { UsageError } from '../errors.js';
import type { SessionCookie } from './layout.js';

/** Set-Cookie attributes: names after the cookie in a Set-Cookie header, not cookies. */
const SET_COOKIE_ATTRIBUTES = new Set([
  'path',
  'domain',
  'expires',
  'max-age',
  'httponly',
  'secure',
  'samesite',
  'partitioned',
  'priority',
]);
/** How many cookie names an error lists, and how much of each. */
const NAMES_SHOWN = 20;
const NAME_CHARS_SHOWN = 64;

interface Cookie {
  name: string;
  value: string;
  /** Its domain, for a cookie-jar line. */
  domain?: string;
}

/** A cookie value may be wrapped in double quotes (RFC 6265); the app's parser drops them. */
/**
 * A cookie value as the application reads it: without the optional double quotes, URL-decoded;
 * '' when its %-escapes are malformed (no such cookie was ever set).
 */
export function decodedCookieValue(value: string): string {
  try {
    return decodeURIComponent(unquote(value));
  } catch {
    return '';
  }
}

function unquote(value: string): string {
  return value.length >= 2 && value.startsWith('"') && value.endsWith('"') ? value.slice(1, -1) : value;
}

function jarCookies(input: string): Cookie[] {
  const cookies: Cookie[] = [];
  input.split('\n').forEach((raw, i) => {
    let line = raw.replace(/\r$/, '');
    if (line.trim() === '') return;
    if (line.startsWith('#HttpOnly_')) line = line.slice('#HttpOnly_'.length);
    else if (line.startsWith('#')) return;
    const fields = line.split('\t');
    const [domain, , , , , name, value] = fields;
    if (fields.length !== 7 || domain === undefined || name === undefined || value === undefined) {
      throw new UsageError(`line ${i + 1} of the cookie jar in --cookie has ${fields.length} tab-separated fields, not 7`, {
        hint: 'a cookie-jar line (curl -c, Netscape format) is: domain, include-subdomains flag, path, secure, expiry, name, value',
      });
    }
    cookies.push({ name, value, domain });
  });
  return cookies;
}

function headerCookies(input: string): Cookie[] {
  const cookies: Cookie[] = [];
  for (const part of input.split(';')) {
    const eq = part.indexOf('=');
    // Pairs without '=' are flags such as HttpOnly (or a browser's nameless cookie): no name to pick.
    if (eq < 0) continue;
    const name = part.slice(0, eq).trim();
    if (name !== '') cookies.push({ name, value: unquote(part.slice(eq + 1).trim()) });
  }
  return cookies;
}

function noSuchCookie(name: string, cookies: Cookie[]): UsageError {
  // Names only, never values. A pasted token with base64 padding (`abc==`) parses as a
  // cookie named by the token itself with a value of '' or '=': such names are left out.
  const names = [
    ...new Set(cookies.filter((c) => !/^=*$/.test(c.value) && !SET_COOKIE_ATTRIBUTES.has(c.name.toLowerCase())).map((c) => c.name)),
  ];
  const shown = names.slice(0, NAMES_SHOWN).map((n) => (n.length > NAME_CHARS_SHOWN ? `${n.slice(0, NAME_CHARS_SHOWN)}...` : n));
  const more = names.length > NAMES_SHOWN ? ` and ${names.length - NAMES_SHOWN} more` : '';
  const there = shown.length === 0 ? 'it names no cookie' : `it has ${shown.join(', ')}${more}`;
  return new UsageError(`--cookie has no cookie named ${name}: ${there}`, {
    hint: "name the session cookie with --cookie-name (or REDIS_ACCOUNTS_COOKIE_NAME), as the app names it in express-session's `name` option",
  });
}

/**
 * The session cookie's value, as sent (URL-encoded or not), out of whatever was pasted:
 * a bare value, a Cookie or Set-Cookie header, or cookie-jar lines.
 */
export function pickCookieValue(input: string, name: string, format: Pick<SessionCookie, 'isBareValue'>): string {
  const text = input
    .trim()
    .replace(/^(?:set-)?cookie:/i, '')
    .trim();
  // A bare value, possibly followed by Set-Cookie attributes (`s%3A...; Path=/`).
  if (format.isBareValue(text)) return unquote(text.split(';')[0]?.trim() ?? '');
  // A Cookie header holds no tab; a cookie jar separates its fields with tabs.
  const jar = text.includes('\t');
  // `--cookie - < cookies.txt` reads one line: the jar's first, a comment.
  if (!jar && /^#\s/.test(text)) {
    throw new UsageError('--cookie got a comment line of a cookie jar, not a cookie', {
      hint: 'give the line of the session cookie, e.g. grep connect.sid cookies.txt | redis-accounts ... --cookie -',
    });
  }
  if (!jar && !text.includes('=')) return text;
  const cookies = jar ? jarCookies(input) : headerCookies(text);
  const named = cookies.filter((c) => c.name === name);
  const first = named[0];
  if (first === undefined) throw noSuchCookie(name, cookies);
  // Twice in a Cookie header (two paths): the app takes the first, as its cookie parser
  // does. A jar has no such order: two different values under one name are ambiguous.
  if (jar && named.some((c) => c.value !== first.value)) {
    const domains = [...new Set(named.map((c) => c.domain ?? ''))].join(', ');
    throw new UsageError(`the cookie jar in --cookie has ${named.length} different cookies named ${name} (domains ${domains})`, {
      hint: "give only the line for the app's domain",
    });
  }
  return first.value;
}

/** Secrets file: one secret per line; blank lines ignored. */
export function parseSecrets(text: string): string[] {
  const secrets = text.split(/\r?\n/).filter((line) => line !== '');
  if (secrets.length === 0) throw new UsageError('--cookie-secret-file holds no secret');
  return secrets;
}
