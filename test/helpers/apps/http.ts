/** Small HTTP pieces the apps in this folder share: listening on loopback and reading cookies. */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Listen on 127.0.0.1 on a free port and return the base URL. */
export async function listenLoopback(server: Server): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

export async function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
}

/** `name=value` of a cookie the response sets, or undefined. */
export function setCookiePair(res: Response, name: string): string | undefined {
  const cookie = res.headers.getSetCookie().find((c) => c.startsWith(`${name}=`));
  return cookie?.split(';')[0];
}

/** Like setCookiePair, but a response without that cookie is an error. */
export function requireSetCookie(res: Response, name: string): string {
  const pair = setCookiePair(res, name);
  if (pair === undefined) throw new Error(`no ${name} cookie in the ${res.status} response to ${res.url}`);
  return pair;
}

/** The value of cookie `name` in a Cookie header value (`a=1; b=2`), still encoded as sent. */
export function cookieValue(cookie: string, name: string): string {
  for (const part of cookie.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  throw new Error(`no ${name} cookie in ${cookie}`);
}

/** `me` as every app answers it: a JSON body with `user` on 200. */
export async function meResult(res: Response): Promise<{ status: number; user?: string }> {
  const body = (await res.json()) as { user?: string };
  return res.status === 200 && typeof body.user === 'string' ? { status: 200, user: body.user } : { status: res.status };
}
