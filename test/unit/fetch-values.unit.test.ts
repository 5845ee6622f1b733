/** The byte allowance that bounds the replies in flight on a node (issue 13 item 8). */
import { describe, expect, test } from '@jest/globals';
import { ByteBudget } from '../../src/core/walk/fetch-values.js';

/** Which of the requests have been granted so far (after pending callbacks ran). */
async function granted(requests: Array<Promise<void>>): Promise<boolean[]> {
  const done = requests.map(() => false);
  requests.forEach((r, i) => void r.then(() => (done[i] = true)));
  await new Promise((resolve) => setImmediate(resolve));
  return done;
}

describe('ByteBudget', () => {
  test('grants requests while they fit, then waits for releases', async () => {
    const budget = new ByteBudget(100);
    const requests = [budget.acquire(60), budget.acquire(40), budget.acquire(10)];
    expect(await granted(requests)).toEqual([true, true, false]);
    budget.release(60);
    expect(await granted(requests)).toEqual([true, true, true]);
  });

  test('a request larger than the limit goes alone, once nothing else is in flight', async () => {
    const budget = new ByteBudget(100);
    const requests = [budget.acquire(50), budget.acquire(8_000_000)];
    expect(await granted(requests)).toEqual([true, false]);
    budget.release(50);
    expect(await granted(requests)).toEqual([true, true]);
  });

  test('first come, first served: a small request does not overtake a waiting large one', async () => {
    const budget = new ByteBudget(100);
    const requests = [budget.acquire(90), budget.acquire(50), budget.acquire(5)];
    expect(await granted(requests)).toEqual([true, false, false]);
    budget.release(90);
    expect(await granted(requests)).toEqual([true, true, true]);
  });

  test('with() releases what it reserved, also when the work fails', async () => {
    const budget = new ByteBudget(100);
    await expect(budget.with(100, () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(await granted([budget.acquire(100)])).toEqual([true]);
  });
});
