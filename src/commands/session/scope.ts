/** Input rules shared by the session commands. */
import { loadAllLayouts, loadLayout } from '../../core/sessions/registry.js';
import { AUTO_LAYOUT } from '../../core/defaults.js';
import type { Keyed } from '../../core/redis/connection.js';
import type { SessionScope } from '../../core/sessions/scope.js';
import { readFile } from 'node:fs/promises';
import type { CommandContext } from '../../cli/context.js';
import { parseSecrets, pickCookieValue } from '../../core/sessions/cookie.js';
import { userFieldsOf, type CookieFlags, type SecretFlag, type SessionFlags } from '../../cli/options.js';
import type { SessionLayout } from '../../core/sessions/layout.js';
import type { OddUsers } from '../../core/sessions/scope.js';
import { validateSessionId } from '../../core/sessions/ids.js';
import { UsageError } from '../../core/errors.js';
import { readSecretLine } from '../../cli/prompt.js';

/** Where the sessions are: the --layout, its key prefix (--session-prefix, else the layout's) and the user fields. */
export async function sessionScope(opts: SessionFlags & SecretFlag): Promise<SessionScope> {
  if (opts.layout === AUTO_LAYOUT)
    throw new UsageError('this command works on one layout: give --layout <name> (session layouts finds them)');
  const layout = await withSecrets(await loadLayout(opts.layout), opts);
  return { layout, prefix: opts.sessionPrefix ?? layout.defaultPrefix, userFields: userFieldsOf(opts) };
}

/** The secrets in --cookie-secret-file. */
async function readSecrets(secretFile: string): Promise<string[]> {
  let text: string;
  try {
    text = await readFile(secretFile, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read --cookie-secret-file ${secretFile}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
  }
  return parseSecrets(text);
}

/** A layout that reads more with the app's secrets (Laravel's encrypted sessions) gets them, when given. */
async function withSecrets(layout: SessionLayout, opts: SecretFlag): Promise<SessionLayout> {
  if (layout.withSecrets === undefined || opts.cookieSecretFile === undefined) return layout;
  return layout.withSecrets(await readSecrets(opts.cookieSecretFile));
}

/** The scopes a command walks: the one of --layout, or with --layout auto every layout under its default prefix. */
export async function sessionScopes(opts: SessionFlags & SecretFlag): Promise<SessionScope[]> {
  if (opts.layout !== AUTO_LAYOUT) return [await sessionScope(opts)];
  if (opts.sessionPrefix !== undefined)
    throw new UsageError("--session-prefix names one layout's prefix; with --layout auto each layout's default is used", {
      hint: 'give --layout <name> with --session-prefix',
    });
  const userFields = userFieldsOf(opts);
  const layouts = await Promise.all((await loadAllLayouts()).map((layout) => withSecrets(layout, opts)));
  return layouts.map((layout) => ({ layout, prefix: layout.defaultPrefix, userFields }));
}

/**
 * The scope whose key for `id` exists (--layout auto: the first layout that holds the id), or
 * the first scope when none does (its "not found" then names the key looked for).
 */
export async function scopeOfId(redis: Keyed, scopes: SessionScope[], id: string): Promise<SessionScope> {
  const [first] = scopes;
  if (first === undefined) throw new UsageError('no session layout');
  if (scopes.length === 1) return first;
  for (const scope of scopes) if (Number(await redis.exists(scope.layout.key(scope.prefix, id))) > 0) return scope;
  return first;
}

/** The session id named by an argument or a cookie (signature checked when secrets are given). */
export async function sessionIdFrom(
  id: string | undefined,
  ctx: CommandContext<SessionFlags & CookieFlags>,
  scopes: SessionScope[],
): Promise<string | undefined> {
  const { opts } = ctx;
  // A cookie is a live credential: '-' keeps it out of argv (and so out of `ps`).
  const cookie = opts.cookie === '-' ? await readSecretLine(ctx.io, 'cookie') : opts.cookie;
  if (cookie === undefined) return id === undefined ? undefined : validateSessionId(id);
  if (id !== undefined) throw new UsageError('give a session id or --cookie, not both');
  const [scope] = scopes;
  if (scope === undefined || scopes.length > 1)
    throw new UsageError("--cookie is read as one framework's cookie: give --layout <name>", { hint: 'session layouts finds them' });
  const format = scope.layout.cookie;
  const name = opts.cookieName ?? format.defaultName;
  const value = pickCookieValue(cookie, name, format);
  const secretFile = opts.cookieSecretFile;
  // A malformed cookie is refused before the secrets file is read.
  const sealed = format.readSealed?.(value, name);
  if (sealed !== undefined) {
    if (secretFile !== undefined) return sealed.open(await readSecrets(secretFile));
    if (sealed.id !== undefined) return sealed.id;
    throw new UsageError("the cookie's session id is encrypted with the app's secrets: give them with --cookie-secret-file");
  }
  const session = format.read(value);
  if (secretFile === undefined) return session.id;
  session.verify(await readSecrets(secretFile));
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
