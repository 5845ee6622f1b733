/**
 * Keys and session values are bytes until a layout decodes them: a key that is not UTF-8
 * (`sess:k\xff\xfe`) must be listed, counted and revoked like any other, and a value must reach
 * the decoder as stored. node-redis decodes replies as UTF-8 strings unless a command runs on a
 * view of the client whose blob strings map to Buffers; this module hands out that view.
 */
import type { Keyed, Redis } from './connection.js';

/** RESP's blob string type ('$') and map type ('%'), as node-redis's RESP_TYPES names them. */
const BLOB_STRING = 36;
const MAP = 37;

const views = new WeakMap<object, Keyed>();

/**
 * The same connection, replying with Buffers for strings (and with the same per-command
 * deadline: connection.ts bounds the view too). Typed as Redis for the call sites; the replies
 * of its string commands are Buffers, which the callers declare.
 */
export function bytesView<C extends Keyed>(client: C): C {
  let view = views.get(client);
  if (view === undefined) {
    // Both kinds of client have withTypeMapping, each returning its own kind: node-redis's types
    // say so per kind, so the one call here goes through the single-server type.
    // A map reply (HGETALL) stays the flat list of field and value bytes: as an object, a field
    // that is not UTF-8 would be mangled and one named __proto__ would not be a field.
    view = (client as unknown as Redis).withTypeMapping({ [BLOB_STRING]: Buffer, [MAP]: Array }) as unknown as C;
    views.set(client, view);
  }
  return view as C;
}
