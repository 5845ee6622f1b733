/**
 * A cheap test on a stored value's bytes, run before the full decode (by the server, in the
 * read script): a value holding none of the byte strings cannot be the one looked for, and stays
 * on the server. A session layout makes it (for `--user`) and answers for it: it must never
 * reject a value its full decode would accept. The walker only runs it.
 */

/** Byte strings of which a value must hold at least one; empty: no prefilter. */
export type Needle = readonly Buffer[];

export const NO_PREFILTER: Needle = [];

/** Whether a stored value passes the prefilter (the read script's test, in JavaScript). */
export function prefilterPasses(raw: Buffer, needle: Needle): boolean {
  return needle.length === 0 || needle.some((n) => raw.includes(n));
}
