/**
 * Spring Session's cookie: `SESSION`, whose value is the session id in base64
 * (DefaultCookieSerializer, useBase64Encoding true by default). It is not signed: anyone who
 * holds it holds the session, so it is a live credential and no error here quotes it.
 */
import { decodedCookieValue } from '../../cookie.js';
import { UsageError } from '../../../errors.js';
import { validateSessionId } from '../../ids.js';
import type { SessionCookie } from '../../layout.js';

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

export const springCookie: SessionCookie = {
  defaultName: 'SESSION',
  // A bare value is base64 (a Cookie header has `name=`, which base64 only has as padding at the end).
  isBareValue: (text) => BASE64.test(text.replace(/^"|"$/g, '')),
  read(value) {
    const text = decodedCookieValue(value);
    if (!BASE64.test(text)) throw new UsageError('--cookie is not a Spring Session cookie (the base64 of a session id)');
    const id = Buffer.from(text, 'base64').toString('utf8');
    if (id.length === 0 || /[^\x21-\x7e]/.test(id))
      throw new UsageError('--cookie is not a Spring Session cookie: its base64 does not decode to a session id');
    validateSessionId(id);
    return {
      id,
      verify() {
        throw new UsageError("Spring Session's cookie is not signed: --cookie-secret-file does not apply to --layout spring");
      },
    };
  },
};
