import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { PgfleetError } from '../../../src/core/errors.js';
import type { DemoNarrator } from '../../../src/lab/demo-narrator.js';
import { isStoryInterruption, narratorUntil, untilInterrupted } from '../../../src/lab/story-interrupt.js';

describe('a lab story interrupted by Ctrl-C', () => {
  it('ends at once with LAB_STORY_INTERRUPTED (exit 130), without waiting for the step under way', async () => {
    const abort = new AbortController();
    const longStep = sleep(60_000, 'done', { ref: false });
    setTimeout(() => abort.abort(), 20);
    const started = Date.now();
    await assert.rejects(untilInterrupted(longStep, abort.signal, 'lab demo'), (error: unknown) => {
      assert.ok(error instanceof PgfleetError);
      assert.equal(error.code, 'LAB_STORY_INTERRUPTED');
      assert.equal(error.exitCode, 130);
      assert.match(error.message, /^lab demo interrupted$/);
      return true;
    });
    assert.ok(Date.now() - started < 10_000);
  });
  it('ends with the story when no signal comes, and with its own failure when it fails', async () => {
    const abort = new AbortController();
    assert.equal(await untilInterrupted(Promise.resolve(42), abort.signal, 'lab demo'), 42);
    await assert.rejects(
      untilInterrupted(Promise.reject(new Error('step failed')), abort.signal, 'lab demo'),
      /step failed/,
    );
  });
  it('counts lab up interrupted inside the story as the same interruption', () => {
    assert.ok(isStoryInterruption(new PgfleetError('LAB_UP_INTERRUPTED', 'x')));
    assert.ok(!isStoryInterruption(new PgfleetError('PAUSE_TIMEOUT', 'x')));
    assert.ok(!isStoryInterruption(new Error('LAB_STORY_INTERRUPTED')));
  });
  it('silences the narrator once interrupted: what the abandoned step would still say is no longer true', () => {
    const said: string[] = [];
    const narrator: DemoNarrator = {
      step: (t) => said.push(`step ${t}`),
      command: (l) => said.push(`$ ${l}`),
      say: (l) => said.push(l),
      progress: () => undefined,
      endProgress: () => undefined,
      status: () => said.push('status'),
    };
    const abort = new AbortController();
    const quiet = narratorUntil(narrator, abort.signal);
    quiet.step('Enforce');
    quiet.say('pause 3 clusters');
    abort.abort();
    quiet.say('probes done');
    quiet.command('pgfleet etcd auth status');
    assert.deepEqual(said, ['step Enforce', 'pause 3 clusters']);
  });
  it('starts no new step once interrupted: the abandoned story ends at its next step', () => {
    const narrator: DemoNarrator = {
      step: () => undefined,
      command: () => undefined,
      say: () => undefined,
      progress: () => undefined,
      endProgress: () => undefined,
      status: () => undefined,
    };
    const abort = new AbortController();
    const quiet = narratorUntil(narrator, abort.signal);
    quiet.step('Enforce');
    abort.abort();
    assert.throws(
      () => quiet.step('Tenants verify'),
      (error: unknown) => isStoryInterruption(error),
    );
  });
});
