/**
 * The values the tool writes back into a Spring Session hash (creationTime, lastAccessedTime,
 * maxInactiveInterval, the principal name index), byte-identical to what JDK 17's
 * ObjectOutputStream.writeObject writes on a fresh stream (checked against the JDK's own bytes in
 * test/unit/jdk.unit.test.ts). Each throws a RangeError for a value Java's type cannot hold.
 */
const MAGIC = [0xac, 0xed, 0x00, 0x05];
const TC_NULL = 0x70;
const TC_CLASSDESC = 0x72;
const TC_OBJECT = 0x73;
const TC_STRING = 0x74;
const TC_ENDBLOCKDATA = 0x78;
const TC_LONGSTRING = 0x7c;
const SC_SERIALIZABLE = 0x02;

/** Java's modified UTF-8: U+0000 in two bytes, each surrogate of a pair in three. */
function utfBytes(s: string): Buffer {
  const size = (c: number) => (c >= 0x01 && c <= 0x7f ? 1 : c <= 0x7ff ? 2 : 3);
  let length = 0;
  for (let i = 0; i < s.length; i += 1) length += size(s.charCodeAt(i));
  const out = Buffer.alloc(length);
  let at = 0;
  for (let i = 0; i < s.length; i += 1) {
    const c = s.charCodeAt(i);
    if (size(c) === 1) out[at++] = c;
    else if (size(c) === 2) at = out.writeUInt16BE(0xc080 | ((c & 0x7c0) << 2) | (c & 0x3f), at);
    else at = out.writeUIntBE(0xe08080 | ((c & 0xf000) << 4) | ((c & 0xfc0) << 2) | (c & 0x3f), at, 3);
  }
  return out;
}

/** A class or field name: two length bytes, then modified UTF-8. */
function utf(s: string): number[] {
  const b = utfBytes(s);
  return [b.length >> 8, b.length & 0xff, ...b];
}

/**
 * java.lang.Integer or java.lang.Long in a fresh stream: its class descriptor (serialVersionUID,
 * one field `value`), java.lang.Number's as its superclass (no fields), then the value's bytes.
 */
function boxed(name: string, suid: string, type: 'I' | 'J', value: Buffer): Buffer {
  const number = [
    TC_CLASSDESC,
    ...utf('java.lang.Number'),
    ...Buffer.from('86ac951d0b94e08b', 'hex'),
    SC_SERIALIZABLE,
    0,
    0,
    TC_ENDBLOCKDATA,
    TC_NULL,
  ];
  const head = [TC_OBJECT, TC_CLASSDESC, ...utf(name), ...Buffer.from(suid, 'hex'), SC_SERIALIZABLE, 0, 1];
  return Buffer.from([...MAGIC, ...head, type.charCodeAt(0), ...utf('value'), TC_ENDBLOCKDATA, ...number, ...value]);
}

/** A java.lang.Long (a number must be a safe integer; a bigint any long). */
export function jdkLong(n: number | bigint): Buffer {
  if (typeof n === 'number' && !Number.isSafeInteger(n)) throw new RangeError(`not a safe integer: ${n}`);
  const value = Buffer.alloc(8);
  if (BigInt.asIntN(64, BigInt(n)) !== BigInt(n)) throw new RangeError(`outside a Java long: ${n}`);
  value.writeBigInt64BE(BigInt(n));
  return boxed('java.lang.Long', '3b8be490cc8f23df', 'J', value);
}

/** A java.lang.Integer. */
export function jdkInteger(n: number): Buffer {
  if (!Number.isInteger(n) || (n | 0) !== n) throw new RangeError(`outside a Java int: ${n}`);
  const value = Buffer.alloc(4);
  value.writeInt32BE(n);
  return boxed('java.lang.Integer', '12e2a0a4f7818738', 'I', value);
}

/** A java.lang.String: TC_STRING, or TC_LONGSTRING (eight length bytes) over 65535 encoded bytes, as the JDK chooses. */
export function jdkString(s: string): Buffer {
  const body = utfBytes(s);
  const long = body.length > 0xffff;
  const head = Buffer.alloc(long ? 9 : 3);
  head[0] = long ? TC_LONGSTRING : TC_STRING;
  if (long) head.writeBigInt64BE(BigInt(body.length), 1);
  else head.writeUInt16BE(body.length, 1);
  return Buffer.concat([Buffer.from(MAGIC), head, body]);
}
