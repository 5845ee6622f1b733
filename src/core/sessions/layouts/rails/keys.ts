/** Rails stores' session keys: `<prefix>2::<SHA-256 hex of the public id>` (Rack's SessionId#private_id). */

const PRIVATE = /2::[0-9a-f]{64}$/;

/** Where the SHA-256 starts in a key that ends with a private id (the prefix is before it, `2::` included), or undefined. */
export function privateKeyAt(key: Buffer): number | undefined {
  if (key.length < 67) return undefined;
  return PRIVATE.test(key.subarray(key.length - 67).toString('latin1')) ? key.length - 64 : undefined;
}
