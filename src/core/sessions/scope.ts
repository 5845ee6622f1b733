/** What names sessions (a layout and a prefix), and the errors that name a missing or foreign key. */
import { BadDataError, NegativeAnswer } from '../errors.js';
import { showId } from '../redis/keys.js';
import type { LineInfo, SessionLayout } from './layout.js';

export interface SessionScope {
  /** How the application keeps its sessions (layout.ts). */
  layout: SessionLayout;
  prefix: string;
  userFields: readonly string[];
}

/** What names one session's key: the layout and the prefix. */
export type KeyScope = Pick<SessionScope, 'layout' | 'prefix'>;

/** Sessions whose first present user field held a value naming no user (see sessionUser). */
export interface OddUsers {
  oddUser: number;
  /** The field and what it held, in the first such session: for the hint. */
  oddUserField?: string;
  oddUserShape?: string;
}

/** Whether a session is `user`'s: its user, or the name the layout stores beside an opaque id. */
export function isUsers(record: { user: string | null; userName?: string | null }, user: string): boolean {
  return record.user === user || (record.userName !== undefined && record.userName === user);
}

export function countOdd(into: OddUsers, info: LineInfo): void {
  if (info.oddUserField === undefined) return;
  into.oddUser += 1;
  into.oddUserField ??= info.oddUserField;
  into.oddUserShape ??= info.oddUserShape;
}

/** A session's key as shown in messages (see showId). */
export function keyText(scope: KeyScope, id: string): string {
  return showId(scope.layout.key(scope.prefix, id));
}

/** "session X not found": naming the key looked for, so a wrong --session-prefix shows. */
export function notFound(scope: KeyScope, id: string): NegativeAnswer {
  return new NegativeAnswer(`session ${id} not found (no key ${keyText(scope, id)})`, {
    hint: 'check --layout, --session-prefix (REDIS_ACCOUNTS_SESSION_PREFIX) and --url',
  });
}

export function notASession(scope: KeyScope, id: string, type: string): BadDataError {
  return new BadDataError(`${keyText(scope, id)} is a ${type}, not a session (a ${scope.layout.keyType})`);
}
