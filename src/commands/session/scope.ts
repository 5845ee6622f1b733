/** Input rules shared by the session commands. */
import { CONTROL } from '../../core/text.js';
import { readFile } from 'node:fs/promises';
import type { CommandContext } from '../../cli/context.js';
import { parseSecrets, parseSessionCookie, validateCookieName, verifyCookieSignature } from '../../core/sessions/cookie.js';
import type { OddUsers } from '../../core/sessions/sessions.js';
import { validateSessionId } from '../../core/sessions/ids.js';
import { DEFAULT_COOKIE_NAME } from '../../core/defaults.js';
import { UsageError } from '../../core/errors.js';
import { readSecretLine } from '../../cli/prompt.js';

/**
 * A user to match sessions against. Compared for exact equality with the session's user
 * field, never placed in a SCAN pattern, so any printable text is safe.
 */
export function validateSessionUser(user: string): string {
  if (user.length === 0 || user.length > 1024 || CONTROL.test(user)) {
    throw new UsageError('--user must be 1 to 1024 characters without control characters');
  }
  return user;
}

/** The session id named by an argument or a cookie (signature checked when secrets are given). */
export async function sessionIdFrom(id: string | undefined, ctx: CommandContext): Promise<string | undefined> {
  const { opts } = ctx;
  // A cookie is a live credential: '-' keeps it out of argv (and so out of `ps`).
  const cookie = opts['cookie'] === '-' ? await readSecretLine(ctx.io, 'cookie') : opts['cookie'];
  if (typeof cookie !== 'string') return id === undefined ? undefined : validateSessionId(id);
  if (id !== undefined) throw new UsageError('give a session id or --cookie, not both');
  const name = opts['cookieName'];
  const parsed = parseSessionCookie(cookie, validateCookieName(typeof name === 'string' ? name : DEFAULT_COOKIE_NAME));
  const secretFile = opts['cookieSecretFile'];
  if (typeof secretFile === 'string') {
    let text: string;
    try {
      text = await readFile(secretFile, 'utf8');
    } catch (err) {
      throw new UsageError(`cannot read --cookie-secret-file ${secretFile}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
    }
    verifyCookieSignature(parsed, parseSecrets(text));
  }
  return parsed.id;
}


/**
 * The summary's word on sessions whose user field held something that names no user (an
 * object, say): how many, and how to name the member that does. Empty when there were none.
 */
export function oddUserNote(odd: OddUsers): string {
  if (odd.oddUser === 0) return '';
  const field = odd.oddUserField ?? 'the user field';
  const example = odd.oddUserShape === 'an object' ? `, e.g. --user-field ${field}.id or ${field}.username` : '';
  return ` ${odd.oddUser === 1 ? '1 session has' : `${odd.oddUser} sessions have`} ${odd.oddUserShape ?? 'a value'} in ${field}, which names no user; name the member that does with --user-field${example}.`;
}
