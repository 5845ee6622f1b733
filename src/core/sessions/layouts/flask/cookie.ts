/**
 * Flask-Session's cookie (`session`, Flask's SESSION_COOKIE_NAME): the session id itself, a
 * uuid4 in 0.3 to 0.5 (sessions.py `str(uuid4())`), `secrets.token_urlsafe(32)` from 0.6
 * (base.py `_generate_sid`). With SESSION_USE_SIGNER (off by default; deprecated in 0.7) it is
 * `<sid>.<signature>`, itsdangerous's `Signer(app.secret_key, salt="flask-session",
 * key_derivation="hmac")`: the key is HMAC-SHA1(secret, "flask-session"), the signature
 * HMAC-SHA1(key, sid) in URL-safe base64 without padding. Neither the id nor the signature
 * holds a '.', so a dot tells a signed cookie. The value is a live credential: no error here
 * quotes it.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { NegativeAnswer, UsageError } from '../../../errors.js';
import { decodedCookieValue } from '../../cookie.js';
import { validateSessionId } from '../../ids.js';
import type { SessionCookie } from '../../layout.js';

/** A session id (uuid4 or token_urlsafe), maybe with its signature. */
const VALUE = /^([A-Za-z0-9_-]{16,})(?:\.([A-Za-z0-9_-]{20,}))?$/;

/** itsdangerous Signer.get_signature with key_derivation "hmac" and SHA-1, as Flask-Session builds it. */
export function flaskSignature(sid: string, secret: string): string {
  const key = createHmac('sha1', secret).update('flask-session').digest();
  return createHmac('sha1', key).update(sid).digest('base64url');
}

export const flaskCookie: SessionCookie = {
  defaultName: 'session',
  isBareValue: (text) => VALUE.test(text.replace(/^"|"$/g, '')),
  read(value) {
    const m = VALUE.exec(decodedCookieValue(value));
    if (m === null)
      throw new UsageError('--cookie is not a Flask-Session cookie (its session id, or <id>.<signature> with SESSION_USE_SIGNER)');
    const id = m[1] as string;
    const signature = m[2];
    try {
      validateSessionId(id);
    } catch (err) {
      // Its message quotes the id, a part of the credential.
      if (err instanceof UsageError) throw new UsageError('the cookie holds an invalid session id', { hint: err.hint });
      throw err;
    }
    return {
      id,
      verify(secrets) {
        if (signature === undefined)
          throw new UsageError('this Flask-Session cookie is not signed (SESSION_USE_SIGNER is off): --cookie-secret-file does not apply');
        const given = Buffer.from(signature);
        const ok = secrets.some((secret) => {
          const expected = Buffer.from(flaskSignature(id, secret));
          return expected.length === given.length && timingSafeEqual(expected, given);
        });
        if (!ok) throw new NegativeAnswer('the cookie signature does not match any secret in --cookie-secret-file');
      },
    };
  },
};
