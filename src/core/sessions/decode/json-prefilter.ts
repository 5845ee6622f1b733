/**
 * The --user prefilter: a cheap test on the stored bytes that can only say "certainly not this
 * user", before the full parse. It must never reject a value the full parse would give to the
 * user (a session kept alive by a wrong "no" survives `revoke --user`). JSON writes a string
 * either literally or with backslash escapes (`\u002B`, `\/`), so a value without a single
 * backslash that lacks the user's bytes holds no string equal to the user. A number has many
 * spellings (100, 1e2, 100.0), so a user that could be one (starting with a digit or '-') gets no
 * prefilter, nor one holding U+FFFD (what bytes that are not UTF-8 decode to).
 *
 * The walker runs it (walk/prefilter.ts): on the server, in its read script.
 */
import { NO_PREFILTER, type Needle } from '../../walk/prefilter.js';

const BACKSLASH = Buffer.from('\\');

/** The walker's prefilter (walk/prefilter.ts) for `user`: its bytes or a backslash; none when it cannot be used. */
export function prefilterNeedle(user: string | undefined): Needle {
  if (user === undefined || /^[-0-9]/.test(user) || user.includes('\ufffd')) return NO_PREFILTER;
  return [Buffer.from(user, 'utf8'), BACKSLASH];
}
