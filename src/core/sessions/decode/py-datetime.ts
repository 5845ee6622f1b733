/**
 * The datetime module's values as pickle carries them (CPython Lib/datetime.py `_getstate`,
 * `__reduce_ex__`): `datetime.datetime` is REDUCE of the class with `(state,)` or
 * `(state, tzinfo)`, the state 10 bytes (year high and low byte, month, whose bit 7 is `fold`,
 * day, hour, minute, second, microsecond in three big-endian bytes), the wall time in its
 * tzinfo's zone. Read here to show them, and rewritten in place for Django's `_session_expiry`.
 */
import { PyBytes, PyGlobal, PyObject, PyTuple, type PyValue } from './py-value.js';

const STATE_BYTES = 10;

/** A datetime read from a pickle: its state bytes and, when its zone has a fixed offset that is known, that offset. */
export interface PyDatetime {
  state: PyBytes;
  /** Minutes east of UTC: 0 for UTC (pytz's `_UTC`, `datetime.timezone.utc`), a `datetime.timezone`'s offset; undefined for a naive datetime or another zone. */
  offsetMinutes: number | undefined;
  /** The epoch ms it names, when the offset is known. */
  ms: number | undefined;
  /** ISO 8601 text (with its offset when known). */
  iso: string;
}

const isGlobal = (v: PyValue, dotted: string): v is PyGlobal => v instanceof PyGlobal && v.dotted === dotted;

/** A `datetime.timedelta(days, seconds, microseconds)` in whole minutes, if it is one. */
function timedeltaMinutes(v: PyValue): number | undefined {
  if (!(v instanceof PyObject) || !isGlobal(v.callee, 'datetime.timedelta') || !(v.args instanceof PyTuple)) return undefined;
  const [days = 0, seconds = 0, micro = 0] = v.args.items;
  if (typeof days !== 'number' || typeof seconds !== 'number' || typeof micro !== 'number') return undefined;
  const total = days * 86400 + seconds + micro / 1e6;
  return Number.isInteger(total / 60) ? total / 60 : undefined;
}

/** The offset of a tzinfo whose offset never changes: pytz's UTC, or a `datetime.timezone`. */
function fixedOffset(tz: PyValue): number | undefined {
  if (!(tz instanceof PyObject) || !(tz.args instanceof PyTuple)) return undefined;
  if (isGlobal(tz.callee, 'pytz._UTC') && tz.args.items.length === 0) return 0;
  if (isGlobal(tz.callee, 'datetime.timezone')) return timedeltaMinutes(tz.args.items[0] ?? null);
  return undefined;
}

/**
 * The state as bytes: protocol 3 and later write bytes; protocols 0 to 2 have no bytes type
 * and write `_codecs.encode(text, 'latin1')` (pickle.py save_bytes), which is not rewritable in place.
 */
function stateBytes(v: PyValue): PyBytes | undefined {
  if (v instanceof PyBytes) return v;
  if (!(v instanceof PyObject) || !isGlobal(v.callee, '_codecs.encode') || !(v.args instanceof PyTuple)) return undefined;
  const [textValue, encoding] = v.args.items;
  // eslint-disable-next-line no-control-regex -- the whole Latin-1 range, U+0000 included
  if (typeof textValue !== 'string' || encoding !== 'latin1' || /[^\u0000-\u00ff]/.test(textValue)) return undefined;
  return new PyBytes(Buffer.from(textValue, 'latin1'), false, -1);
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/** A `datetime.datetime` REDUCE with its state as bytes, read; undefined for anything else. */
export function readPyDatetime(v: PyValue): PyDatetime | undefined {
  if (!(v instanceof PyObject) || !isGlobal(v.callee, 'datetime.datetime') || !(v.args instanceof PyTuple)) return undefined;
  const [given, tz] = v.args.items;
  const state = given === undefined ? undefined : stateBytes(given);
  if (state === undefined || state.bytes.length !== STATE_BYTES || v.args.items.length > 2) return undefined;
  const b = state.bytes;
  const year = ((b[0] as number) << 8) | (b[1] as number);
  const month = (b[2] as number) & 0x7f;
  const day = b[3] as number;
  const hour = b[4] as number;
  const minute = b[5] as number;
  const second = b[6] as number;
  const micro = ((b[7] as number) << 16) | ((b[8] as number) << 8) | (b[9] as number);
  if (year < 1 || month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 59 || micro > 999_999)
    return undefined;
  const offsetMinutes = tz === undefined ? undefined : fixedOffset(tz);
  const wall = Date.UTC(year, month - 1, day, hour, minute, second) + Math.floor(micro / 1000);
  const ms = offsetMinutes === undefined ? undefined : wall - offsetMinutes * 60_000;
  const zone =
    offsetMinutes === undefined
      ? ''
      : `${offsetMinutes < 0 ? '-' : '+'}${pad(Math.floor(Math.abs(offsetMinutes) / 60))}:${pad(Math.abs(offsetMinutes) % 60)}`;
  const iso = `${pad(year, 4)}-${pad(month)}-${pad(day)}T${pad(hour)}:${pad(minute)}:${pad(second)}.${pad(micro, 6)}${zone}`;
  return { state, offsetMinutes, ms, iso };
}

/** The 10 state bytes of the wall time `ms` (epoch ms) shows `offsetMinutes` east of UTC, fold 0. */
export function datetimeState(ms: number, offsetMinutes: number): Buffer {
  const d = new Date(ms + offsetMinutes * 60_000);
  const micro = d.getUTCMilliseconds() * 1000;
  const year = d.getUTCFullYear();
  return Buffer.from([
    year >> 8,
    year & 0xff,
    d.getUTCMonth() + 1,
    d.getUTCDate(),
    d.getUTCHours(),
    d.getUTCMinutes(),
    d.getUTCSeconds(),
    (micro >> 16) & 0xff,
    (micro >> 8) & 0xff,
    micro & 0xff,
  ]);
}
