/** Input rules shared by the session commands. */
import { loadLayout } from '../../core/sessions/registry.js';
import type { SessionScope } from '../../core/sessions/scope.js';
import { readFile } from 'node:fs/promises';
import type { CommandContext } from '../../cli/context.js';
import { parseSecrets, pickCookieValue } from '../../core/sessions/cookie.js';
import { userFieldsOf, type CookieFlags, type SessionFlags } from '../../cli/options.js';
import type { OddUsers } from '../../core/sessions/scope.js';
import { validateSessionId } from '../../core/sessions/ids.js';
import { UsageError } from '../../core/errors.js';
import { readSecretLine } from '../../cli/prompt.js';

/** Where the sessions are: the --layout, its key prefix (--session-prefix, else the layout's) and the user fields. */
export async function sessionScope(opts: SessionFlags): Promise<SessionScope> {
  const layout = await loadLayout(opts.layout);
  return { layout, prefix: opts.sessionPrefix ?? layout.defaultPrefix, userFields: userFieldsOf(opts) };
}

/** The session id named by an argument or a cookie (signature checked when secrets are given). */
export async function sessionIdFrom(
  id: string | undefined,
  ctx: CommandContext<SessionFlags & CookieFlags>,
  scope: SessionScope,
): Promise<string | undefined> {
  const { opts } = ctx;
  // A cookie is a live credential: '-' keeps it out of argv (and so out of `ps`).
  const cookie = opts.cookie === '-' ? await readSecretLine(ctx.io, 'cookie') : opts.cookie;
  if (cookie === undefined) return id === undefined ? undefined : validateSessionId(id);
  if (id !== undefined) throw new UsageError('give a session id or --cookie, not both');
  const format = scope.layout.cookie;
  const value = pickCookieValue(cookie, opts.cookieName ?? format.defaultName, format);
  // A malformed cookie is refused before the secrets file is read.
  const session = format.read(value);
  const secretFile = opts.cookieSecretFile;
  if (secretFile === undefined) return session.id;
  let text: string;
  try {
    text = await readFile(secretFile, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read --cookie-secret-file ${secretFile}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
  }
  session.verify(parseSecrets(text));
  return session.id;
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
