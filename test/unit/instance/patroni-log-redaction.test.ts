import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { RedactedLogLines, redactPatroniLogLine } from '../../../src/core/instance/patroni-log-redaction.js';
import { startFailureExcerpt } from '../../../src/core/instance/log-excerpt.js';

const TOKEN = 'bboAHHQuqWHLuGvy.8';
const LINE = `2026-12-06 10:57:56,858 ERROR: Invalid auth token: ${TOKEN}`;

describe('Patroni log lines pgfleet shows', () => {
  it('never show the etcd token Patroni logs when etcd refuses it', () => {
    assert.equal(redactPatroniLogLine(LINE), '2026-12-06 10:57:56,858 ERROR: Invalid auth token: [redacted]');
  });
  it('keep every other line as it is, and a token Patroni did not have ("None")', () => {
    const plain = '2026-12-06 10:58:05,403 INFO: Lock owner: alpha-1; I am alpha-2';
    assert.equal(redactPatroniLogLine(plain), plain);
    assert.equal(redactPatroniLogLine('ERROR: Invalid auth token: None'), 'ERROR: Invalid auth token: None');
  });
  it('when followed, are printed whole: a token cut between two reads is never printed in halves', () => {
    const lines = new RedactedLogLines();
    const cut = LINE.indexOf(TOKEN) + 5;
    const printed =
      lines.push(`INFO: before\n${LINE.slice(0, cut)}`) +
      lines.push(`${LINE.slice(cut)}\nINFO: after\n`) +
      lines.flush();
    assert.equal(printed, 'INFO: before\n2026-12-06 10:57:56,858 ERROR: Invalid auth token: [redacted]\nINFO: after\n');
    assert.ok(!printed.includes(TOKEN.slice(0, 5)));
  });
  it("quoted in a failed start's excerpt (an ERROR line is a cause) carry no token", () => {
    const excerpt = startFailureExcerpt([LINE, ...Array.from({ length: 12 }, (_, i) => `INFO: line ${i}`)].join('\n'));
    assert.ok(
      excerpt.some((line) => line.endsWith('Invalid auth token: [redacted]')),
      excerpt.join('\n'),
    );
    assert.ok(!excerpt.join('\n').includes(TOKEN));
  });
});
