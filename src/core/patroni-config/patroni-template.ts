import { LineCounter, parseDocument } from 'yaml';
import { PgfleetError } from '../errors.js';
import type { ConfigTree } from './deep-merge.js';

/**
 * Parses a Patroni YAML template as Patroni will read what pgfleet writes
 * from it: YAML 1.1 (PyYAML), so `on` is a boolean here as it would be there.
 * An empty template is an empty mapping; anything else must be a mapping.
 */
export function parsePatroniTemplate(text: string, source: string): ConfigTree {
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, version: '1.1', prettyErrors: false });
  if (document.errors.length > 0) {
    const first = document.errors[0]!;
    const position = lineCounter.linePos(first.pos[0]);
    throw new PgfleetError(
      'PATRONI_TEMPLATE_YAML_INVALID',
      `${source}:${position.line}:${position.col}: the Patroni template is not valid YAML: ${first.message.split('\n')[0]}`,
      {
        hint: 'fix the YAML syntax at that line (the template is patroni.template in the settings)',
      },
    );
  }
  const value: unknown = document.toJS({ maxAliasCount: 100 });
  if (value === null || value === undefined) return {};
  if (typeof value !== 'object' || Array.isArray(value) || value instanceof Date) {
    throw new PgfleetError(
      'PATRONI_TEMPLATE_NOT_A_MAPPING',
      `${source}: the Patroni template must be a YAML mapping (such as "bootstrap: {dcs: {loop_wait: 10}}"), not a ${Array.isArray(value) ? 'list' : typeof value}`,
      {
        hint: 'write the template as a Patroni configuration file: top-level keys such as bootstrap:, postgresql:, tags:',
      },
    );
  }
  return value as ConfigTree;
}
