import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ctrlCInterruption, terminalInterruption } from '../../../src/cli/command-kit.js';

const listeners = () => [process.listenerCount('SIGINT'), process.listenerCount('SIGTERM')];

describe('Ctrl-C as the interruption of an operation (terminalInterruption)', () => {
  it('a SIGINT is heard, aborts the signal, and stop() leaves no listener behind', () => {
    const before = listeners();
    const heard: string[] = [];
    const interruption = terminalInterruption(() => heard.push('heard'));
    assert.deepEqual(listeners(), [before[0]! + 1, before[1]! + 1]);
    process.emit('SIGINT');
    assert.deepEqual(heard, ['heard']);
    assert.equal(interruption.signal.aborted, true);
    interruption.stop();
    assert.deepEqual(listeners(), before);
  });

  it('stopped before any signal, the operation is not aborted and no listener stays', () => {
    const before = listeners();
    const interruption = terminalInterruption(() => assert.fail('nothing was interrupted'));
    interruption.stop();
    assert.equal(interruption.signal.aborted, false);
    assert.deepEqual(listeners(), before);
  });
});

describe('Ctrl-C only as the end of an open-ended wait (ctrlCInterruption)', () => {
  it('listens to SIGINT and not SIGTERM, aborts on SIGINT, and stop() leaves no listener behind', () => {
    const before = listeners();
    const heard: string[] = [];
    const interruption = ctrlCInterruption(() => heard.push('heard'));
    assert.deepEqual(listeners(), [before[0]! + 1, before[1]!]);
    process.emit('SIGINT');
    assert.deepEqual(heard, ['heard']);
    assert.equal(interruption.signal.aborted, true);
    interruption.stop();
    assert.deepEqual(listeners(), before);
  });
});
