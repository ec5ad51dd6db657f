import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { ExitCode, PgfleetError } from '../../../src/core/errors.js';
import { findFreePortRange, isPortFree } from '../../../src/adapters/process/port-probe.js';

/** The error a user sees when `lab up` (no --base-port) finds no room: typed, exit 2, pointing at --base-port. */
function isNoFreeRange(count: number, min: number, max: number) {
  return (error: unknown): boolean => {
    assert.ok(error instanceof PgfleetError, `a PgfleetError, not ${String(error)}`);
    assert.equal(error.code, 'LAB_NO_FREE_PORT_RANGE');
    assert.equal(error.exitCode, ExitCode.usage);
    assert.match(error.message, new RegExp(`${count} .*between ${min} and ${max}`));
    assert.match(error.hint ?? '', /--base-port/);
    return true;
  };
}

describe('the automatic lab port range search', () => {
  it('refuses a window smaller than the range at once, as a usage error (exit 2) with a hint, not an internal error', async () => {
    await assert.rejects(findFreePortRange(10, { min: 20_000, max: 20_005 }), isNoFreeRange(10, 20_000, 20_005));
  });

  it('keeps every range it returns inside the window, up to its last port', async () => {
    for (let round = 0; round < 20; round += 1) {
      const base = await findFreePortRange(3, { min: 25_000, max: 25_040 });
      assert.ok(base >= 25_000 && base + 2 <= 25_040, `range ${base}-${base + 2} inside 25000-25040`);
    }
  });

  describe('when every candidate range holds a port in use', () => {
    let server: Server;
    let port: number;
    before(async () => {
      // One loopback listener; the window is exactly the 2-port range around it, so every try meets it.
      server = createServer();
      for (;;) {
        port = 20_000 + Math.floor(Math.random() * 10_000);
        if (await isPortFree(port + 1)) {
          const listening = await new Promise<boolean>((resolve) => {
            server.once('error', () => resolve(false));
            server.listen(port, '127.0.0.1', () => resolve(true));
          });
          if (listening) break;
        }
      }
    });
    after(() => {
      server.close();
    });

    it('gives up after its tries with LAB_NO_FREE_PORT_RANGE (exit 2) and a hint', async () => {
      await assert.rejects(
        findFreePortRange(2, { min: port, max: port + 1, attempts: 5 }),
        isNoFreeRange(2, port, port + 1),
      );
    });
  });
});
