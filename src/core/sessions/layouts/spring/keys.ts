/**
 * Spring Session's keys under its namespace (`spring:session:` by default; the application's
 * `redisNamespace` plus a colon), as RedisSessionRepository and RedisIndexedSessionRepository
 * name them (spring-session, spring-session-data-redis):
 * - `<ns>sessions:<id>`: the session, a hash (both repositories);
 * - `<ns>sessions:expires:<id>`: the indexed repository's shadow key, whose expiry event
 *   tells the application a session expired (its TTL is the real lifetime; the hash lives 5
 *   minutes longer so the event handler can still read it);
 * - `<ns>expirations:<minute ms>`: the indexed repository's sets of `expires:<id>` members by
 *   the minute they expire in, touched every minute so that Redis notices the expiry;
 * - `<ns>index:<index name>:<value>`: the indexed repository's sets of session ids by
 *   principal name (members serialized like every value).
 */
import { sessionKey } from '../../ids.js';

export const PRINCIPAL_INDEX_NAME = 'org.springframework.session.FindByIndexNameSessionRepository.PRINCIPAL_NAME_INDEX_NAME';

/** Spring's own default namespace ("spring:session") and the colon it puts after it. */
export const DEFAULT_NAMESPACE = 'spring:session:';

const SESSIONS = 'sessions:';
const EXPIRES = 'expires:';

export const sessionKeyOf = (ns: string, id: string): Buffer => sessionKey(`${ns}${SESSIONS}`, id);
export const expiresKeyOf = (ns: string, id: string): Buffer => sessionKey(`${ns}${SESSIONS}${EXPIRES}`, id);
export const principalKeyOf = (ns: string, name: string): Buffer => Buffer.from(`${ns}index:${PRINCIPAL_INDEX_NAME}:${name}`, 'utf8');
/** The expiration set's member for a session: `expires:<id>`. */
export const expirationMember = (id: string): string => `${EXPIRES}${id}`;

/** The expiration set of a session expiring at `expiresAtMs`: the next whole minute after it (Spring's roundUpToNextMinute). */
export function expirationsKeyOf(ns: string, expiresAtMs: number): Buffer {
  return Buffer.from(`${ns}expirations:${(Math.floor(expiresAtMs / 60_000) + 1) * 60_000}`, 'utf8');
}

/** Prefix of every session key (and of the shadow keys, which isShadow tells apart). */
export const sessionsPrefix = (ns: string): string => `${ns}${SESSIONS}`;

/** Whether the part of a key after `<ns>sessions:` names a shadow key rather than a session. */
export const isShadow = (rest: Buffer): boolean => rest.subarray(0, EXPIRES.length).toString('latin1') === EXPIRES;
