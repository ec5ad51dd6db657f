import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mapBounded } from '../../../src/audit/bounded-map.js';

/** Work that records how many calls run at once, overall and per server. */
function tracedWork(keyOf: (item: number) => string) {
  let running = 0;
  const perKey = new Map<string, number>();
  const peaks = { overall: 0, perKey: 0 };
  const work = async (item: number): Promise<number> => {
    const key = keyOf(item);
    running += 1;
    perKey.set(key, (perKey.get(key) ?? 0) + 1);
    peaks.overall = Math.max(peaks.overall, running);
    peaks.perKey = Math.max(peaks.perKey, perKey.get(key)!);
    await new Promise((resolve) => setTimeout(resolve, 1 + (item % 3)));
    running -= 1;
    perKey.set(key, perKey.get(key)! - 1);
    return item * 10;
  };
  return { work, peaks };
}

describe('mapBounded', () => {
  const items = Array.from({ length: 40 }, (_, index) => index);
  const server = (item: number) => `127.0.0.1:${8000 + (item % 4)}`;

  it('keeps the order of the items and never runs more than the limit at once', async () => {
    const { work, peaks } = tracedWork(server);
    assert.deepEqual(
      await mapBounded(items, 6, work),
      items.map((item) => item * 10),
    );
    assert.equal(peaks.overall, 6);
  });

  it('spreads the calls: at most perKey in flight for items of one server, the others still running beside them', async () => {
    const { work, peaks } = tracedWork(server);
    assert.deepEqual(
      await mapBounded(items, 32, work, { keyOf: server, perKey: 3 }),
      items.map((item) => item * 10),
    );
    assert.equal(peaks.perKey, 3);
    assert.equal(peaks.overall, 12, 'four servers, three each');
  });

  it('rejects with the first error and starts nothing after it', async () => {
    const started: number[] = [];
    const failing = async (item: number) => {
      started.push(item);
      await new Promise((resolve) => setTimeout(resolve, 1));
      if (item === 2) throw new Error('member 2 failed');
      return item;
    };
    await assert.rejects(mapBounded(items, 2, failing), /member 2 failed/);
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.ok(started.length <= 4, `started ${started.join(', ')}`);
  });

  it('returns an empty list for no items', async () => {
    assert.deepEqual(await mapBounded([], 4, async () => 1, { keyOf: () => 'k', perKey: 1 }), []);
  });
});
