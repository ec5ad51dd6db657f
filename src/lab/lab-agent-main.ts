/**
 * The lab agent's entry point (see lab-agent.ts): run inside a lab host's
 * namespace, it reads one request on stdin, does it, and answers with JSON
 * lines on stdout. Not a command of its own: `pgfleet lab` starts it.
 */
import { createInterface } from 'node:readline';
import { PgfleetError } from '../core/errors.js';
import type { LabAgentEvent, LabAgentRequest } from './lab-agent.js';

const emit = (event: LabAgentEvent): boolean => process.stdout.write(`${JSON.stringify(event)}\n`);
const stopped = new AbortController();
const lines = createInterface({ input: process.stdin });
const firstLine = new Promise<string>((resolve) => lines.once('line', resolve));
// Any later line asks the task to stop (a watch); a closed stdin means the parent is gone: stop too.
void firstLine.then(() => lines.on('line', () => stopped.abort()));
lines.once('close', () => stopped.abort());

async function run(request: LabAgentRequest): Promise<unknown> {
  const progress = (message: string, transient: boolean): void => void emit({ event: 'progress', message, transient });
  switch (request.task) {
    case 'start-fleet': {
      const { startMultiHostFleet } = await import('./multihost-fleet-start.js');
      return startMultiHostFleet(request.dir, {
        timeoutMs: request.timeoutMs,
        etcdAuthToken: request.etcdAuthToken,
        onProgress: progress,
        signal: stopped.signal,
      });
    }
    case 'status': {
      const { labStatusFromHere } = await import('./lab-status.js');
      return labStatusFromHere(request.dir);
    }
    case 'watch': {
      const { watchFleet } = await import('./fleet-watch.js');
      return watchFleet(request, stopped.signal, () => void emit({ event: 'ready' }));
    }
    case 'demo': {
      const { multiHostDemoStory } = await import('./multihost-demo-story.js');
      return multiHostDemoStory(
        request.dir,
        request.cli,
        request.labUpMs,
        (kind, value) => void emit({ event: 'narrate', kind, value }),
      );
    }
  }
}

const finish = (event: LabAgentEvent, code: number): void => {
  process.stdout.write(`${JSON.stringify(event)}\n`, () => process.exit(code));
};

try {
  const request = JSON.parse(await firstLine) as LabAgentRequest;
  finish({ event: 'result', value: await run(request) }, 0);
} catch (error) {
  finish(
    {
      event: 'error',
      error:
        error instanceof PgfleetError
          ? {
              code: error.code,
              message: error.message,
              ...(error.hint ? { hint: error.hint } : {}),
              exitCode: error.exitCode,
              ...(error.details ? { details: error.details } : {}),
            }
          : { code: 'LAB_AGENT_FAILED', message: error instanceof Error ? error.message : String(error), exitCode: 4 },
    },
    1,
  );
}
