/** Waiting without fixed sleeps: poll a condition until it holds, or fail saying what was awaited. */

export interface WaitOptions {
  /** Give up after this long (default 15 s). */
  timeoutMs?: number;
  /** Pause between tries (default 20 ms). */
  intervalMs?: number;
  /** Take a throw from the condition as "not yet" (a server still starting); the last one is named on timeout. */
  retryErrors?: boolean;
  /** What to add to the timeout message (the screen of a terminal, say). */
  state?: () => string;
}

/**
 * Poll `cond` until it returns something other than undefined or false, and return that; a
 * condition returning a boolean resolves to true. Throws "timed out after N ms waiting for
 * <what>" when `timeoutMs` passes first.
 */
export async function waitFor<T>(
  what: string,
  cond: () => T | undefined | false | Promise<T | undefined | false>,
  opts: WaitOptions = {},
): Promise<T> {
  const { timeoutMs = 15000, intervalMs = 20, retryErrors = false, state } = opts;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const v = await cond();
      if (v !== undefined && v !== false) return v;
    } catch (err) {
      if (!retryErrors) throw err;
      lastError = err;
    }
    if (Date.now() > deadline) {
      const why = lastError instanceof Error ? ` (last error: ${lastError.message})` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${why}${state ? `; state:\n${state()}` : ''}`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
