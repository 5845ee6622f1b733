/**
 * What `user list`, `user show` and `user export` print of a record: the fields this tool owns
 * (never one an application added), the family and cost of its hash, and the hash itself only
 * where `user export --include-hashes` asks for it. The JSON keys are the record's own field
 * names (docs/schema.md), so that `user import --format jsonl` reads an export back.
 */
import { describeHash, type HashInfo } from '../../core/users/families/index.js';
import type { ReadUser } from '../../core/users/records.js';
import {
  FIELD_CREATED,
  FIELD_HASH,
  FIELD_MUST_CHANGE,
  FIELD_PASSWORD_CHANGED,
  FIELD_PEPPER_ID,
  FIELD_PRINCIPAL,
  FIELD_STATUS,
  FIELD_STATUS_REASON,
  FIELD_UPDATED,
  LIFECYCLE_FIELDS,
  STATUS_ACTIVE,
  type RecordState,
} from '../../core/users/store.js';
import type { RecordField } from '../../core/users/records.js';

/** The fields `user list` and `user export` read: the export's keys (EXPORT_KEYS) bar the name. */
export const LISTED_FIELDS: readonly RecordField[] = [
  FIELD_HASH,
  FIELD_STATUS,
  FIELD_STATUS_REASON,
  FIELD_CREATED,
  FIELD_UPDATED,
  FIELD_PASSWORD_CHANGED,
  FIELD_MUST_CHANGE,
  FIELD_PRINCIPAL,
  FIELD_PEPPER_ID,
];

/** Every field of a record the tool owns, the hash first: what `user show` reads. */
export const ALL_FIELDS: readonly RecordField[] = [FIELD_HASH, ...LIFECYCLE_FIELDS];

/** A record's status as applications read it: no field is an active account. */
export function statusOf(state: RecordState): string {
  return state[FIELD_STATUS] ?? STATUS_ACTIVE;
}

/**
 * The line of `user export` and the start of `user list --json`'s, in this key order:
 * name, status, status_reason, created_at, updated_at, password_changed_at,
 * must_change_password (a boolean), principal, pepper_id. A field the record lacks is left out;
 * so are an empty reason, principal or pepper_id (which mean none). pepper_id names the
 * --pepper-file key the hash was made with (an id, never the key): an export's hashes verify
 * after an import only with it.
 */
export function recordJson(user: ReadUser): Record<string, unknown> {
  const s = user.state;
  const out: Record<string, unknown> = { name: user.name, status: statusOf(s) };
  if ((s[FIELD_STATUS_REASON] ?? '') !== '') out[FIELD_STATUS_REASON] = s[FIELD_STATUS_REASON];
  for (const field of [FIELD_CREATED, FIELD_UPDATED, FIELD_PASSWORD_CHANGED] as const) if (s[field] !== undefined) out[field] = s[field];
  if (s[FIELD_MUST_CHANGE] !== undefined) out[FIELD_MUST_CHANGE] = s[FIELD_MUST_CHANGE] === '1';
  if ((s[FIELD_PRINCIPAL] ?? '') !== '') out[FIELD_PRINCIPAL] = s[FIELD_PRINCIPAL];
  if ((s[FIELD_PEPPER_ID] ?? '') !== '') out[FIELD_PEPPER_ID] = s[FIELD_PEPPER_ID];
  return out;
}

/** The family and cost of a record's hash, or why there are none to show. */
export type HashShown = { info: HashInfo } | { problem: string };

export function hashShown(user: ReadUser): HashShown {
  if (user.hash === undefined) return { problem: `no ${FIELD_HASH} field` };
  try {
    return { info: describeHash(user.hash) };
  } catch (err) {
    return { problem: err instanceof Error ? err.message : String(err) };
  }
}

/** Parameters that only restate the family or give sizes: left out of a table's Hash column. */
const NOT_COSTS = new Set(['variant', 'digest', 'hashBytes', 'keyBytes', 'keyId']);

/** A hash as a table cell: `argon2id m=19456,t=2,p=1,version=19`, `bcrypt cost=12`. */
export function hashCell(info: Pick<HashInfo, 'family' | 'params'>): string {
  const costs = Object.entries(info.params).filter(([name]) => !NOT_COSTS.has(name));
  // The version last: the costs are what an operator compares, and a narrowed cell keeps its start.
  costs.sort(([a], [b]) => Number(a === 'version') - Number(b === 'version'));
  return costs.length === 0 ? info.family : `${info.family} ${costs.map(([k, v]) => `${k}=${v}`).join(',')}`;
}
