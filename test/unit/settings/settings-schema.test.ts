import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { settingsJsonSchema, settingsJsonSchemaText } from '../../../src/core/settings/settings-json-schema.js';

const COMMITTED = fileURLToPath(new URL('../../../docs/settings.schema.json', import.meta.url));

describe('settings JSON Schema', () => {
  it('docs/settings.schema.json is exactly what `pgfleet settings schema` generates', () => {
    assert.equal(
      readFileSync(COMMITTED, 'utf8'),
      settingsJsonSchemaText(),
      'regenerate it: pgfleet settings schema > docs/settings.schema.json',
    );
  });

  it('describes the patroni section with its enums and defaults, and refuses unknown keys', () => {
    const schema = settingsJsonSchema() as any;
    const patroni = schema.properties.patroni;
    assert.equal(schema.additionalProperties, false);
    assert.equal(patroni.additionalProperties, false);
    assert.deepEqual(patroni.properties.etcd.properties.protocol.enum, ['http', 'https']);
    assert.deepEqual(patroni.properties.etcd.properties.hosts.default, ['127.0.0.1:2379']);
    assert.deepEqual(patroni.properties.restapi.properties.verify_client.enum, ['none', 'optional', 'required']);
    assert.deepEqual(patroni.properties.watchdog.properties.mode.enum, ['off', 'automatic', 'required']);
    assert.deepEqual(patroni.properties.configuration_mode.properties.auth.enum, ['local', 'dynamic']);
    assert.equal(schema.required, undefined, 'every top-level section has a default or is optional');
  });
});
