import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseProcStat } from '../../../src/core/os/proc-stat.js';

describe('parseProcStat', () => {
  it('reads parent, CPU ticks (user + system) and resident pages, counting fields after the last parenthesis', () => {
    const line =
      '4242 (etcd (main) x) S 1 4242 4242 0 -1 4194560 5000 0 0 0 1234 567 0 0 20 0 12 0 1126166 3133440 40960 18446744073709551615 0 0 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0';
    assert.deepEqual(parseProcStat(line), { ppid: 1, cpuTicks: 1801, rssPages: 40960 });
  });

  it('answers undefined for text that is not a stat line', () => {
    assert.equal(parseProcStat('gone'), undefined);
  });
});
