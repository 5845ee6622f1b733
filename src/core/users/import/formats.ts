/**
 * The input formats of `user import`, each turned into the same thing: a user's name, stored
 * hash and lifecycle fields (store.ts), or the reason a record cannot be imported. Nothing here
 * checks the hash's family or costs, nor the name's rules: import.ts does that for every
 * format alike. Hashes are kept as the source wrote them; only Firebase's (whose hash and salt
 * are separate fields) and Keycloak's (a credential object) are put in their stored form
 * (docs/schema.md, "The password hash"), byte for byte.
 */
import { isUtf8 } from 'node:buffer';
import { CONTROL } from '../../text.js';
import { formatFirebaseHash } from '../families/firebase.js';
import type { FirebaseParams } from '../families/index.js';
import {
  FIELD_CREATED,
  FIELD_HASH,
  FIELD_MUST_CHANGE,
  FIELD_PASSWORD_CHANGED,
  FIELD_PRINCIPAL,
  FIELD_STATUS,
  FIELD_STATUS_REASON,
  LIFECYCLE_FIELDS,
  STATUS_ACTIVE,
  STATUS_DISABLED,
  type RecordState,
} from '../store.js';
import { boundedLines, MAX_RECORD_BYTES } from './lines.js';
import { jsonArrayElements, type ArrayPath } from './json-records.js';
import type { IMPORT_FORMATS } from '../../defaults.js';

export type ImportFormat = (typeof IMPORT_FORMATS)[number];

/** Where a record was in the input: its line, and for a JSON document its place in the array. */
export interface Position {
  line: number;
  record?: number;
}

export interface Candidate extends Position {
  kind: 'user';
  /** As the input gives it (import.ts checks and normalizes it). */
  name: string;
  hash: string;
  /** Lifecycle fields. */
  fields: RecordState;
  /**
   * true: the fields are a record's as the tool's own export gave them, written as they are.
   * false: import.ts adds created_at (when the source has no such time) and updated_at.
   */
  verbatim: boolean;
}

type Converted = Pick<Candidate, 'name' | 'hash' | 'fields' | 'verbatim'>;

export interface Rejected extends Position {
  kind: 'rejected';
  /** The name when the record got far enough to have one. */
  name?: string;
  reason: string;
}

export type InputRecord = Candidate | Rejected;

/** A record that cannot be imported: thrown inside a converter, caught per record. */
class RecordError extends Error {}

/** A record error once the record's name is known, so the report can name the user. */
class NamedError extends RecordError {
  constructor(
    readonly user: string,
    message: string,
  ) {
    super(message);
  }
}

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The text of a record's bytes: refused unless UTF-8, so no byte is silently replaced. */
function text(bytes: Buffer): string {
  if (!isUtf8(bytes)) throw new RecordError('not valid UTF-8');
  return bytes.toString('utf8');
}

function parseObject(bytes: Buffer, what: string): Json {
  let value: unknown;
  try {
    value = JSON.parse(text(bytes));
  } catch (err) {
    if (err instanceof RecordError) throw err;
    throw new RecordError(`not valid JSON`);
  }
  if (!isObject(value)) throw new RecordError(`not a JSON object (${what})`);
  return value;
}

/** A field's value as stored: text of at most 1024 characters without control characters. */
function fieldText(value: unknown, what: string): string {
  if (typeof value !== 'string') throw new RecordError(`${what} is not a string`);
  if (value.length > 1024 || CONTROL.test(value)) throw new RecordError(`${what} is longer than 1024 characters or has control characters`);
  return value;
}

function nameOf(value: unknown, what: string): string {
  if (typeof value !== 'string' || value === '') throw new RecordError(`no ${what}`);
  return value;
}

/** A time as the sources write it (ISO 8601, or milliseconds since the epoch), as ISO 8601 UTC. A time without a zone is read as UTC. */
function isoTime(value: unknown, what: string): string {
  let ms = Number.NaN;
  if (typeof value === 'number' || (typeof value === 'string' && /^[0-9]{1,15}$/.test(value))) ms = Number(value);
  else if (typeof value === 'string' && /^\d{4}-\d\d-\d\d([T ]\d\d:\d\d(:\d\d(\.\d{1,9})?)?(Z|[+-]\d\d:?\d\d)?)?$/.test(value)) {
    const zoned = /(Z|[+-]\d\d:?\d\d)$/.test(value) || value.length === 10 ? value : `${value.replace(' ', 'T')}Z`;
    ms = Date.parse(zoned);
  }
  if (!Number.isFinite(ms) || ms < 0 || ms > 8.64e15) throw new RecordError(`${what} is not a time`);
  return new Date(ms).toISOString();
}

/** The keys of the tool's own export (`user export --include-hashes`). */
const JSONL_KEYS = new Set<string>(['name', FIELD_HASH, ...LIFECYCLE_FIELDS]);

/** One line of `user export`: the fields as the record held them, kept as they are. */
function fromJsonl(bytes: Buffer): Converted {
  const doc = parseObject(bytes, 'a line of user export');
  // for...in (JSON.parse's own keys, in order): no array of the keys per line.
  for (const key in doc) if (!JSONL_KEYS.has(key)) throw new RecordError(`unknown key "${key.slice(0, 40)}"`);
  const name = nameOf(doc['name'], 'name');
  if (doc[FIELD_HASH] === undefined) throw new RecordError(`no ${FIELD_HASH} (export with --include-hashes)`);
  const hash = fieldText(doc[FIELD_HASH], FIELD_HASH);
  const fields: Record<string, string> = {};
  for (const f of LIFECYCLE_FIELDS) {
    const value = doc[f];
    if (value === undefined) continue;
    // must_change_password is "0"/"1" in the record; a boolean is read as that.
    fields[f] = f === FIELD_MUST_CHANGE && typeof value === 'boolean' ? (value ? '1' : '0') : fieldText(value, f);
  }
  return { name, hash, fields, verbatim: true };
}

/** htpasswd schemes we cannot verify: refused by name, with why. */
const HTPASSWD_REFUSED: ReadonlyArray<readonly [RegExp, string]> = [
  [/^\$apr1\$/, "Apache's MD5 ($apr1$), which this tool does not verify (a fast, obsolete digest): reset the user's password"],
  [/^\{SHA\}/, "Apache's unsalted SHA-1 ({SHA}), which this tool does not verify: reset the user's password"],
  [/^\$1\$/, "MD5-crypt ($1$), which this tool does not verify: reset the user's password"],
  [/^\$[56]\$/, "SHA-crypt ($5$/$6$), which this tool does not verify: reset the user's password"],
  [/^[./0-9A-Za-z]{13}$/, "crypt(3) DES, which this tool does not verify: reset the user's password"],
];

/** `name:hash`, as htpasswd writes it. */
function fromHtpasswd(line: string): Converted {
  const colon = line.indexOf(':');
  // Never quote the line: without a colon it may be a password typed in the wrong place.
  if (colon < 1) throw new RecordError('not name:hash');
  const name = line.slice(0, colon);
  const hash = line.slice(colon + 1);
  const refused = HTPASSWD_REFUSED.find(([re]) => re.test(hash));
  if (refused !== undefined) throw new NamedError(name, refused[1]);
  return { name, hash, fields: { [FIELD_STATUS]: STATUS_ACTIVE }, verbatim: false };
}

const disabledBy = (why: string): RecordState => ({ [FIELD_STATUS]: STATUS_DISABLED, [FIELD_STATUS_REASON]: why });

/** One object of `manage.py dumpdata auth.user` (or of a custom user model with the same fields). */
function fromDjango(doc: Json): Converted {
  const fields = doc['fields'];
  if (!isObject(fields)) throw new RecordError('no "fields" object (not dumpdata output?)');
  const name = nameOf(fields['username'], 'username');
  try {
    const password = fields['password'];
    if (typeof password !== 'string' || password === '') throw new RecordError('no password');
    // make_password(None) and set_unusable_password() write "!" and random text: no password can match.
    if (password.startsWith('!')) throw new RecordError("the password is unusable (Django's set_unusable_password)");
    const state: Record<string, string> =
      fields['is_active'] === false ? disabledBy('is_active false in the Django export') : { [FIELD_STATUS]: STATUS_ACTIVE };
    if (fields['date_joined'] !== undefined && fields['date_joined'] !== null)
      state[FIELD_CREATED] = isoTime(fields['date_joined'], 'date_joined');
    return { name, hash: password, fields: state, verbatim: false };
  } catch (err) {
    throw err instanceof RecordError && !(err instanceof NamedError) ? new NamedError(name, err.message) : err;
  }
}

/** Firebase's export encodes with base64 (standard or URL-safe alphabet). */
function firebaseBytes(value: unknown, what: string): Buffer {
  if (typeof value !== 'string' || !/^[A-Za-z0-9+/_-]+={0,2}$/.test(value)) throw new RecordError(`${what} is not base64`);
  return Buffer.from(value.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
}

/** One user of `firebase auth:export --format=json`: the e-mail is the name, the uid (localId) the principal. */
function fromFirebase(doc: Json, params: FirebaseParams): Converted {
  const uid = doc['localId'];
  const email = doc['email'];
  const name = typeof email === 'string' && email !== '' ? email : nameOf(uid, 'localId or email');
  try {
    if (doc['passwordHash'] === undefined) throw new RecordError('no passwordHash (a user of another sign-in provider)');
    const hash = firebaseBytes(doc['passwordHash'], 'passwordHash');
    const salt = firebaseBytes(doc['salt'], 'salt');
    if (hash.length !== params.signerKey.length)
      throw new RecordError(
        "passwordHash is not as long as the project's signer key (another project's export, or --firebase-params of another project?)",
      );
    const state: Record<string, string> =
      doc['disabled'] === true ? disabledBy('disabled in the Firebase export') : { [FIELD_STATUS]: STATUS_ACTIVE };
    if (doc['createdAt'] !== undefined) state[FIELD_CREATED] = isoTime(doc['createdAt'], 'createdAt');
    if (doc['passwordUpdatedAt'] !== undefined) state[FIELD_PASSWORD_CHANGED] = isoTime(doc['passwordUpdatedAt'], 'passwordUpdatedAt');
    if (typeof uid === 'string' && uid !== '' && uid !== name) state[FIELD_PRINCIPAL] = fieldText(uid, 'localId');
    return { name, hash: formatFirebaseHash(params, salt, hash), fields: state, verbatim: false };
  } catch (err) {
    throw err instanceof RecordError && !(err instanceof NamedError) ? new NamedError(name, err.message) : err;
  }
}

/** secretData and credentialData: the export's JSON strings, kept as they are (an object is written as JSON). */
function credentialPart(value: unknown, what: string): string {
  if (typeof value === 'string') return value;
  if (isObject(value)) return JSON.stringify(value);
  throw new RecordError(`the password credential has no ${what}`);
}

/** One user of a Keycloak realm export, with its one credential of type password. */
function fromKeycloak(doc: Json): Converted {
  const name = nameOf(doc['username'], 'username');
  try {
    const credentials = Array.isArray(doc['credentials']) ? doc['credentials'] : [];
    const passwords = credentials.filter((c): c is Json => isObject(c) && c['type'] === 'password');
    if (passwords.length === 0) throw new RecordError('no credential of type password');
    if (passwords.length > 1) throw new RecordError('more than one credential of type password');
    const credential = passwords[0] as Json;
    const stored = JSON.stringify({
      type: 'password',
      secretData: credentialPart(credential['secretData'], 'secretData'),
      credentialData: credentialPart(credential['credentialData'], 'credentialData'),
    });
    const state: Record<string, string> =
      doc['enabled'] === false ? disabledBy('enabled false in the Keycloak export') : { [FIELD_STATUS]: STATUS_ACTIVE };
    if (doc['createdTimestamp'] !== undefined) state[FIELD_CREATED] = isoTime(doc['createdTimestamp'], 'createdTimestamp');
    const actions = doc['requiredActions'];
    if (Array.isArray(actions) && actions.includes('UPDATE_PASSWORD')) state[FIELD_MUST_CHANGE] = '1';
    return { name, hash: stored, fields: state, verbatim: false };
  } catch (err) {
    throw err instanceof RecordError && !(err instanceof NamedError) ? new NamedError(name, err.message) : err;
  }
}

/** A converter's failure as a report: the message is ours, never the input's text. */
function rejection(at: Position, err: unknown): Rejected {
  if (!(err instanceof RecordError)) throw err;
  return { kind: 'rejected', ...at, ...(err instanceof NamedError ? { name: err.user } : {}), reason: err.message };
}

const tooLong = (at: Position, what: string): Rejected => ({
  kind: 'rejected',
  ...at,
  reason: `${what} is longer than ${MAX_RECORD_BYTES / 1024 / 1024} MB (not read)`,
});

export interface ReadOptions {
  /** --format firebase: the project's parameters (their cost and key id go into each stored hash). */
  firebase?: FirebaseParams;
}

const JSON_PATHS: Record<'django' | 'firebase' | 'keycloak', { path: ArrayPath; describe: string }> = {
  django: { path: { kind: 'document' }, describe: 'a dumpdata export (a JSON array)' },
  firebase: { path: { kind: 'member', name: 'users' }, describe: 'a Firebase auth:export file (a JSON object)' },
  keycloak: { path: { kind: 'member', name: 'users' }, describe: 'a Keycloak realm export (a JSON object)' },
};

/** A record's place and what it is, or the error a converter threw. */
function converted(at: Position, convert: () => Converted): InputRecord {
  try {
    const { name, hash, fields, verbatim } = convert();
    return { kind: 'user', ...at, name, hash, fields, verbatim };
  } catch (err) {
    return rejection(at, err);
  }
}

/**
 * The records of an input, in order, a chunk's worth at a time: each a user to import or the
 * reason it cannot be. A JSON document that is not the format's shape (or is cut short)
 * throws a BadDataError where that is found, after the records before it.
 */
export async function* readRecords(
  source: AsyncIterable<Buffer | string>,
  format: ImportFormat,
  options: ReadOptions = {},
): AsyncGenerator<InputRecord[]> {
  if (format === 'jsonl' || format === 'htpasswd') {
    for await (const lines of boundedLines(source)) {
      const records: InputRecord[] = [];
      for (const { line, bytes } of lines) {
        const at = { line };
        if (bytes === undefined) {
          records.push(tooLong(at, 'the line'));
          continue;
        }
        // Blank lines (and htpasswd's comments) are no records.
        if (isBlank(bytes) || (format === 'htpasswd' && bytes[0] === HASH_SIGN)) continue;
        records.push(converted(at, () => (format === 'jsonl' ? fromJsonl(bytes) : fromHtpasswd(text(bytes)))));
      }
      if (records.length > 0) yield records;
    }
    return;
  }
  const { path, describe } = JSON_PATHS[format];
  const firebase = options.firebase;
  if (format === 'firebase' && firebase === undefined) throw new Error('the firebase format needs the project parameters');
  for await (const elements of jsonArrayElements(source, path, describe)) {
    yield elements.map(({ index, line, bytes }): InputRecord => {
      const at = { line, record: index };
      if (bytes === undefined) return tooLong(at, 'the record');
      return converted(at, () => {
        const doc = parseObject(bytes, 'a user');
        return format === 'django'
          ? fromDjango(doc)
          : format === 'keycloak'
            ? fromKeycloak(doc)
            : fromFirebase(doc, firebase as FirebaseParams);
      });
    });
  }
}

const HASH_SIGN = 0x23;

/** Only spaces and tabs (a line's `\r` is gone already). */
function isBlank(bytes: Buffer): boolean {
  for (const b of bytes) if (b !== 0x20 && b !== 0x09) return false;
  return true;
}
