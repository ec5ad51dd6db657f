import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { buildProgram } from '../../../src/cli/program.js';
import { CLI_DOCS_PATH, renderCliReference } from '../../../scripts/gen-cli-docs.js';
import { allCommands, describeCommandTree } from '../../../src/cli/command-tree.js';
import { ExitCode } from '../../../src/core/errors.js';

describe('docs/cli.md', () => {
  it('is exactly what scripts/gen-cli-docs.ts generates from the command definitions (run npm run docs:cli after changing a command)', async () => {
    const committed = await readFile(CLI_DOCS_PATH, 'utf8');
    const generated = await renderCliReference(buildProgram());
    if (committed !== generated) {
      const committedLines = committed.split('\n');
      const generatedLines = generated.split('\n');
      const line = generatedLines.findIndex((text, index) => text !== committedLines[index]);
      assert.fail(
        `docs/cli.md is out of date from line ${line + 1} (committed: ${JSON.stringify(committedLines[line])}, generated: ${JSON.stringify(generatedLines[line])}): run \`npm run docs:cli\` and commit the result`,
      );
    }
  });

  it('documents every command and every exit code', async () => {
    const text = await renderCliReference(buildProgram());
    for (const spec of allCommands(describeCommandTree(buildProgram())).filter((command) => command.path.length > 0)) {
      assert.ok(text.includes(`# pgfleet ${spec.path.join(' ')}\n`), `no section for pgfleet ${spec.path.join(' ')}`);
    }
    for (const [name, code] of Object.entries(ExitCode))
      assert.ok(text.includes(`| ${code} | \`${name}\` |`), `exit code ${name}`);
  });
});
