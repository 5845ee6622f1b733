/**
 * A layout's decode of a stored value, handed from its `isSessionValue` to the line or record
 * built next from the same Buffer. The listing asks each value whether it is a session (where
 * other applications share the prefix), then builds from it: the decode both need is most of
 * the cost of either, and was done twice (430 of 2,443 ms of a Better Auth listing's profile).
 * `take` uses the decode only once and only for that very Buffer (values read from Redis are
 * never written to); anything else decodes afresh.
 */
export function readHandoff<T>(read: (raw: Buffer) => T): { check(raw: Buffer): T; take(raw: Buffer): T } {
  let checked: Buffer | undefined;
  let value: T | undefined;
  return {
    check(raw) {
      value = read(raw);
      checked = raw;
      return value;
    },
    take(raw) {
      if (raw !== checked) return read(raw);
      checked = undefined;
      const taken = value as T;
      value = undefined;
      return taken;
    },
  };
}
