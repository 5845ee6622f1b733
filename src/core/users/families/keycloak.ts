/**
 * A Keycloak password credential as its realm export writes it: a JSON object whose
 * `secretData` holds `{"value": <base64 digest>, "salt": <base64 salt>}` and whose
 * `credentialData` holds `{"hashIterations": n, "algorithm": "pbkdf2-sha256"}`, each either as
 * a JSON string (the export's form) or as an object. Keycloak's PBKDF2 uses the UTF-8 of the
 * password and derives as many bytes as `value` holds (64 by default, 32 in newer releases for
 * SHA-256). It pads passwords shorter than 14 characters with NULs when configured to (FIPS),
 * which changes nothing: HMAC pads a short key with zeros anyway.
 */
import { decodePadded } from './encoding.js';
import { pbkdf2Hash, type Digest } from './pbkdf2.js';
import { HashFormatError, type ParsedHash } from './types.js';

const ALGORITHMS: Readonly<Record<string, Digest>> = { pbkdf2: 'sha1', 'pbkdf2-sha256': 'sha256', 'pbkdf2-sha512': 'sha512' };

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A member that holds an object, or a JSON string of one. */
function objectMember(doc: Record<string, unknown>, name: string): Record<string, unknown> {
  let value = doc[name];
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value) as unknown;
    } catch {
      throw new HashFormatError(`Keycloak credential's ${name} is not JSON`);
    }
  }
  if (!isObject(value)) throw new HashFormatError(`Keycloak credential has no ${name} object`);
  return value;
}

export function parseKeycloak(stored: string): ParsedHash {
  let doc: unknown;
  try {
    doc = JSON.parse(stored);
  } catch {
    throw new HashFormatError('starts with "{" but is not JSON (a Keycloak credential is a JSON object)');
  }
  if (!isObject(doc)) throw new HashFormatError('not a Keycloak credential object');
  if (doc['type'] !== undefined && doc['type'] !== 'password') throw new HashFormatError('Keycloak credential is not of type "password"');
  const secret = objectMember(doc, 'secretData');
  const data = objectMember(doc, 'credentialData');
  const algorithm = data['algorithm'];
  const digest = typeof algorithm === 'string' ? ALGORITHMS[algorithm] : undefined;
  if (digest === undefined) {
    throw new HashFormatError(
      `Keycloak algorithm ${typeof algorithm === 'string' ? `"${algorithm.slice(0, 20)}"` : '(none)'} is not one of ${Object.keys(ALGORITHMS).join(', ')}`,
    );
  }
  const iterations = data['hashIterations'];
  if (typeof iterations !== 'number' || !Number.isSafeInteger(iterations))
    throw new HashFormatError('Keycloak hashIterations is not a whole number');
  const value = secret['value'];
  const salt = secret['salt'];
  if (typeof value !== 'string' || typeof salt !== 'string') throw new HashFormatError("Keycloak secretData needs a 'value' and a 'salt'");
  return pbkdf2Hash(`keycloak-pbkdf2-${digest}`, {
    digest,
    iterations,
    salt: decodePadded(salt, 'salt'),
    key: decodePadded(value, 'hash'),
  });
}
