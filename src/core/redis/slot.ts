/**
 * Redis Cluster hash slots (CRC16/XMODEM of the key or of its {hash tag}, mod 16384), as the
 * cluster specification defines them. Used to keep only the keys a master owns when merging
 * per-master SCAN results, so a key in a migrating slot is not listed twice.
 */
const TABLE = new Uint16Array(256);
for (let i = 0; i < 256; i += 1) {
  let crc = i << 8;
  for (let bit = 0; bit < 8; bit += 1) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  TABLE[i] = crc;
}

export function crc16(data: Buffer): number {
  let crc = 0;
  for (const byte of data) crc = ((crc << 8) & 0xffff) ^ (TABLE[((crc >> 8) ^ byte) & 0xff] ?? 0);
  return crc;
}

/** The part of a key that decides its slot: the first non-empty {...} section, else the key. */
export function hashTag(key: Buffer): Buffer {
  const open = key.indexOf(0x7b);
  if (open < 0) return key;
  const close = key.indexOf(0x7d, open + 1);
  return close > open + 1 ? key.subarray(open + 1, close) : key;
}

export function keySlot(key: string | Buffer): number {
  return crc16(hashTag(typeof key === 'string' ? Buffer.from(key, 'utf8') : key)) % 16384;
}
