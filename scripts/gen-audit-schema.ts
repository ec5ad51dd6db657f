/** Writes docs/audit-output.schema.json from the report schema (src/core/audit/audit-report.ts). */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { auditReportJsonSchemaText } from '../src/core/audit/audit-report.js';

const target = fileURLToPath(new URL('../docs/audit-output.schema.json', import.meta.url));
writeFileSync(target, auditReportJsonSchemaText());
process.stdout.write(`wrote ${target}\n`);
