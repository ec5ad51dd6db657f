import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { mapWithConcurrency } from '../../../src/core/bounded-concurrency.js';

describe('mapWithConcurrency', () => {
  it('keeps the order of the items and never runs more than the limit at once', async () => {
    let running = 0;
    let peak = 0;
    const results = await mapWithConcurrency([30, 10, 20, 5, 15], 2, async (delay, index) => {
      running += 1;
      peak = Math.max(peak, running);
      await sleep(delay);
      running -= 1;
      return index * 10;
    });
    assert.deepEqual(results, [0, 10, 20, 30, 40]);
    assert.equal(peak, 2);
  });

  it('maps an empty list to an empty list', async () => {
    assert.deepEqual(await mapWithConcurrency([], 4, async () => 1), []);
  });

  it('starts no new call after the first failure and throws that first error', async () => {
    const started: number[] = [];
    await assert.rejects(
      mapWithConcurrency([1, 2, 3, 4], 1, async (item) => {
        started.push(item);
        if (item === 2) throw new Error('second item failed');
        return item;
      }),
      /second item failed/,
    );
    assert.deepEqual(started, [1, 2]);
  });
});
