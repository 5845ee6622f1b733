/**
 * Pieces of the listing's NDJSON lines built straight from a parsed stored value (the layouts'
 * `jsonLine` fast paths), each writing exactly what JSON.stringify of the SessionRecord would:
 * `session list --json` builds a million lines, and the record, its `extra` object, its Dates
 * and the stringify of the whole cost more than the parse of the value.
 */
import { terminalSafe } from '../json-safe.js';
import { keyExpiresAt, keyTtlSeconds } from './records.js';

/**
 * JSON string literal of `s`. Ids, user names and most values are plain ASCII with nothing to
 * escape, and then quoting them directly is several times cheaper than JSON.stringify;
 * anything JSON.stringify would escape (quote, backslash, control characters, lone
 * surrogates) still goes through it, so the output is identical.
 */
// eslint-disable-next-line no-control-regex -- the C0 range is what JSON.stringify escapes
const NOTHING_TO_ESCAPE = /^[^"\\\u0000-\u001f\ud800-\udfff]*$/;
export function quote(s: string): string {
  return NOTHING_TO_ESCAPE.test(s) ? `"${s}"` : JSON.stringify(s);
}

/** The JSON of an ISO time that may be missing (null), as JSON.stringify writes it. */
export const isoJson = (iso: string | null): string => (iso === null ? 'null' : `"${iso}"`);

/** `"ttlSeconds":…,"expiresAt":…` of a key's TTL, as unreadableRecord writes them. */
export function keyTimes(pttlMs: number, now: number): string {
  return `"ttlSeconds":${keyTtlSeconds(pttlMs)},"expiresAt":${isoJson(keyExpiresAt(now, pttlMs))}`;
}

/** The line of unreadableRecord(...) through recordLine, ending with `tail`'s members. */
export function unreadableLine(id: string, raw: Buffer, pttlMs: number, now: number, tail: string): string {
  return terminalSafe(`{"id":${quote(id)},"user":null,${keyTimes(pttlMs, now)},"readable":false,"extra":null${tail}}`, raw);
}

/**
 * The JSON of the `extra` a record builder makes by copying `obj`'s own members but `skip`
 * and `alsoSkip` into a fresh object (`extra[k] = v`, null when nothing is copied), as
 * JSON.stringify writes it: same keys in the same order, numbers beyond 2^53 rounded alike.
 * A "__proto__" member makes that object exist but, assigned so, sets its prototype instead
 * of becoming a member, so it is not written.
 */
export function extraJson(obj: Record<string, unknown>, skip: ReadonlySet<string>, alsoSkip?: string): string {
  let members = '';
  let copied = false;
  for (const k of Object.keys(obj)) {
    if (skip.has(k) || k === alsoSkip) continue;
    copied = true;
    if (k === '__proto__') continue;
    const v = obj[k];
    members += `${members === '' ? '' : ','}${quote(k)}:${typeof v === 'string' ? quote(v) : JSON.stringify(v)}`;
  }
  return copied ? `{${members}}` : 'null';
}
