/**
 * One Flask-Session value, in whichever format wrote it, told apart per value as Flask-Session
 * 0.7 and later read them (flask_session/base.py MsgSpecSerializer.loads: msgpack, then JSON,
 * then `pickle.loads`, "TODO: Remove the pickle fallback in 1.0.0"):
 * - msgpack: 0.7+'s default (`SESSION_SERIALIZATION_FORMAT = "msgpack"`, msgspec's Encoder);
 * - JSON: 0.7+ with `SESSION_SERIALIZATION_FORMAT = "json"`;
 * - pickle: 0.3 to 0.6 (sessions.py `serializer = pickle`, `self.serializer.dumps(dict(session))`),
 *   and what 0.7+ still reads of theirs.
 * Each decoder is bounded and runs nothing (decode/msgpack.ts, decode/pickle.ts); a session is
 * a dict (`dict(session)`).
 */
import { decodeMsgpack } from '../../decode/msgpack.js';
import { decodePickle } from '../../decode/pickle.js';
import { decodeSession } from '../../decode/json-session.js';
import { PyDict, PyList, type PyValue } from '../../decode/py-value.js';

export type FlaskFormat = 'msgpack' | 'json' | 'pickle';

export interface FlaskSession {
  format: FlaskFormat;
  dict: PyDict;
}

/** JSON as msgspec.json.Decoder() gives it: objects are dicts, arrays lists (nesting already bounded by decodeSession). */
function fromJson(v: unknown): PyValue {
  if (v === null || typeof v !== 'object') return v as PyValue;
  if (Array.isArray(v)) return new PyList(v.map(fromJson));
  const dict = new PyDict();
  for (const [k, value] of Object.entries(v)) dict.set(k, fromJson(value));
  return dict;
}

const MAP_HEADS = (b: number) => (b >= 0x80 && b <= 0x8f) || b === 0xde || b === 0xdf;

/** A stored value as a Flask session, or why it is not one. */
export function readFlask(raw: Buffer): FlaskSession | string {
  const first = raw[0];
  if (first === undefined) return 'empty';
  // Each format is tried only where its first byte can start a dict: a listing reads millions.
  if (MAP_HEADS(first)) {
    const read = decodeMsgpack(raw);
    if (read.ok) return read.value instanceof PyDict ? { format: 'msgpack', dict: read.value } : 'msgpack of something other than a map';
  }
  const start = raw.findIndex((b) => b !== 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d);
  if (raw[start] === 0x7b) {
    const read = decodeSession(raw);
    if (typeof read !== 'string') return { format: 'json', dict: fromJson(read.session) as PyDict };
  }
  const read = decodePickle(raw);
  if (!read.ok) return `neither msgpack, JSON nor a pickle Python can load (pickle: ${read.reason})`;
  return read.value instanceof PyDict ? { format: 'pickle', dict: read.value } : 'a pickle of something other than a dict';
}
