import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { PgfleetError } from '../../../src/core/errors.js';
import { parsePatroniTemplate } from '../../../src/core/patroni-config/patroni-template.js';

const TEMPLATES = fileURLToPath(new URL('../../fixtures/settings/templates/', import.meta.url));
const BUILTIN = fileURLToPath(new URL('../../../templates/patroni.yaml', import.meta.url));
const parseFixture = (name: string) =>
  parsePatroniTemplate(readFileSync(`${TEMPLATES}${name}`, 'utf8'), `${TEMPLATES}${name}`);

describe('Patroni templates', () => {
  it("reads the built-in template as the spec gives it: bootstrap.dcs.loop_wait 10 and watchdog mode 'off'", () => {
    assert.deepEqual(parsePatroniTemplate(readFileSync(BUILTIN, 'utf8'), BUILTIN), {
      bootstrap: { dcs: { loop_wait: 10 } },
      watchdog: { mode: 'off' },
    });
  });

  it('refuses a template that is not a mapping, naming the file', () => {
    assert.throws(
      () => parseFixture('not-a-mapping.yaml'),
      (error: unknown) =>
        error instanceof PgfleetError &&
        error.code === 'PATRONI_TEMPLATE_NOT_A_MAPPING' &&
        /not-a-mapping\.yaml: .*not a list/.test(error.message),
    );
  });

  it('names file and line of a malformed template', () => {
    assert.throws(
      () => parseFixture('malformed.yaml'),
      (error: unknown) =>
        error instanceof PgfleetError &&
        error.code === 'PATRONI_TEMPLATE_YAML_INVALID' &&
        /malformed\.yaml:\d+:\d+: /.test(error.message),
    );
  });

  it('reads YAML 1.1 as Patroni does: unquoted on is a boolean', () => {
    assert.deepEqual(
      parsePatroniTemplate('postgresql:\n  parameters:\n    hot_standby: on\n    wal_log_hints: "on"\n', 't'),
      { postgresql: { parameters: { hot_standby: true, wal_log_hints: 'on' } } },
    );
  });

  it('treats an empty template as an empty mapping', () => {
    assert.deepEqual(parsePatroniTemplate('# nothing\n', 't'), {});
  });
});
