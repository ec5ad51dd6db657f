import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  DAY_MS,
  certificateValidity,
  describeValidity,
  notAfterFor,
} from '../../../src/core/pki/certificate-validity.js';

const notBefore = new Date('2026-01-01T00:00:00Z');
const notAfter = new Date('2026-12-31T12:00:00Z');
const dates = { notBefore, notAfter };
const at = (iso: string) => new Date(iso);

describe('certificate validity', () => {
  it('counts whole days left, rounded down', () => {
    const validity = certificateValidity(dates, at('2026-12-01T13:00:00Z'));
    assert.equal(validity.state, 'valid');
    assert.equal(validity.daysLeft, 29);
    assert.equal(describeValidity(validity, at('2026-12-01T13:00:00Z')), 'expires on 2026-12-31 (in 29 days)');
  });

  it('warns below 30 days, not at 30', () => {
    assert.equal(certificateValidity(dates, new Date(notAfter.getTime() - 30 * DAY_MS)).expiresSoon, false);
    assert.equal(certificateValidity(dates, new Date(notAfter.getTime() - 30 * DAY_MS + 1)).expiresSoon, true);
    assert.equal(certificateValidity(dates, new Date(notAfter.getTime() - 10 * DAY_MS), 5).expiresSoon, false);
  });

  it('treats notAfter as the last valid instant, and one millisecond later as expired', () => {
    assert.equal(certificateValidity(dates, notAfter).state, 'valid');
    const expired = certificateValidity(dates, new Date(notAfter.getTime() + 1));
    assert.equal(expired.state, 'expired');
    assert.equal(expired.expiresSoon, false);
    assert.equal(expired.daysLeft, -1);
    assert.equal(
      describeValidity(expired, new Date(notAfter.getTime() + 3_600_000)),
      'expired on 2026-12-31 (less than a day ago)',
    );
    assert.equal(
      describeValidity(expired, new Date(notAfter.getTime() + 3 * DAY_MS + 5)),
      'expired on 2026-12-31 (3 days ago)',
    );
  });

  it('says when a certificate is not valid yet, and from when', () => {
    const now = at('2025-12-30T00:00:00Z');
    const early = certificateValidity(dates, now);
    assert.equal(early.state, 'not-yet-valid');
    assert.equal(describeValidity(early, now), 'not valid before 2026-01-01T00:00:00.000Z (2 days from now)');
  });

  it('says "within a day" on the last day and uses the singular for one day', () => {
    assert.match(
      describeValidity(certificateValidity(dates, new Date(notAfter.getTime() - 3_600_000)), new Date()),
      /^expires within a day/,
    );
    const oneDay = new Date(notAfter.getTime() - DAY_MS - 1);
    assert.equal(describeValidity(certificateValidity(dates, oneDay), oneDay), 'expires on 2026-12-31 (in 1 day)');
  });

  it('computes a planned end date as openssl -days does', () => {
    assert.equal(notAfterFor(at('2026-01-01T10:00:00Z'), 825).toISOString(), '2028-04-05T10:00:00.000Z');
  });
});
