import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { copyFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { PatroniRestClient } from '../../src/adapters/patroni/rest-client.js';
import { type RestProbeCredentials, probeRestApi, probeRestApiMatrix } from '../../src/adapters/patroni/rest-probe.js';
import { restClientTlsOptions } from '../../src/adapters/patroni/rest-tls-context.js';
import { initCertificateAuthority, issueCertificate } from '../../src/adapters/pki/certificate-issuer.js';
import { caRequest, leafRequest } from '../../src/core/pki/certificate-request.js';
import {
  PROBE_CLIENTS,
  type RestApiProtection,
  type VerifyClient,
  expectedMatrix,
} from '../../src/core/restapi/probe-matrix.js';
import { Secret } from '../../src/core/secret.js';

/**
 * Tests the PROBE CLIENT, not Patroni: a tiny node:https server in this
 * process stands in for a REST API, so these tests show that the probe
 * presents (or withholds) the CA, the client certificate and the password as
 * each client kind should, and that it classifies refused handshakes,
 * untrusted servers, wrong schemes and closed ports. The server copies
 * Patroni 3.0.2's access check order (client certificate 403, then basic auth
 * 401) only so that answers exist to classify; whether real Patroni answers
 * the matrix is the lead's integration test on a live fleet.
 */
const PASSWORD = 'probe-client-password-x9';

interface SeenRequest {
  method: string;
  path: string;
  /** CN of the verified client certificate, if one was presented. */
  clientCn: string | undefined;
  authorization: boolean;
}

interface EmulatedServer {
  url: string;
  seen: SeenRequest[];
  close: () => Promise<void>;
}

describe('REST API probe client against an emulated HTTPS server (not Patroni)', () => {
  let dir: string;
  let otherDir: string;
  const servers: EmulatedServer[] = [];
  let credentials: RestProbeCredentials;

  const files = async (base: string, kind: 'server' | 'client', name: string) => ({
    cert: await readFile(join(base, kind, `${name}.crt`)),
    key: await readFile(join(base, kind, `${name}.key`)),
  });

  function handler(protection: RestApiProtection, seen: SeenRequest[]) {
    return (request: IncomingMessage, response: ServerResponse) => {
      const socket = request.socket as TLSSocket;
      const verified = protection.tls && socket.authorized === true;
      const peer = protection.tls && verified ? socket.getPeerCertificate() : undefined;
      const authorization = request.headers.authorization;
      seen.push({
        method: request.method ?? '',
        path: request.url ?? '',
        clientCn: peer?.subject?.CN as string | undefined,
        authorization: authorization !== undefined,
      });
      request.resume();
      if (request.method === 'GET' && request.url === '/patroni') {
        response.writeHead(200, { 'content-type': 'application/json' }).end('{"state":"running","role":"replica"}');
        return;
      }
      // Patroni 3.0.2's do_PATCH_config: the access check, then an empty patch is refused with 400 (nothing written).
      if (request.method === 'PATCH' && request.url === '/config') {
        if (protection.tls && protection.verifyClient !== 'none' && !verified) {
          response.writeHead(403).end('client certificate required');
          return;
        }
        if (protection.basicAuth && authorization !== `Basic ${Buffer.from(`admin:${PASSWORD}`).toString('base64')}`) {
          response.writeHead(401, { 'www-authenticate': 'Basic realm="Patroni"' }).end('no auth header received');
          return;
        }
        response.writeHead(400).end('Bad Request');
        return;
      }
      response.writeHead(404).end();
    };
  }

  async function startServer(
    protection: RestApiProtection,
    serverFiles?: { cert: Buffer; key: Buffer; ca: Buffer },
  ): Promise<EmulatedServer> {
    const seen: SeenRequest[] = [];
    const verifyClient: VerifyClient = protection.verifyClient;
    const server: Server = protection.tls
      ? createHttpsServer(
          {
            ...serverFiles!,
            // verify_client: none never asks; optional asks and lets the handler refuse; required refuses the handshake.
            requestCert: verifyClient !== 'none',
            rejectUnauthorized: verifyClient === 'required',
          },
          handler(protection, seen),
        )
      : createHttpServer(handler(protection, seen));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    const emulated: EmulatedServer = {
      url: `${protection.tls ? 'https' : 'http'}://127.0.0.1:${port}`,
      seen,
      close: () =>
        new Promise<void>((resolve) => {
          server.closeAllConnections();
          server.close(() => resolve());
        }),
    };
    servers.push(emulated);
    return emulated;
  }

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pgfleet-probe-'));
    otherDir = join(dir, 'other');
    await initCertificateAuthority(join(dir, 'pki'), caRequest({ commonName: 'probe CA' }));
    await issueCertificate(join(dir, 'pki'), {
      ...leafRequest({ kind: 'server', name: 'member', sans: ['127.0.0.1'] }),
      kind: 'server',
    });
    await issueCertificate(join(dir, 'pki'), { ...leafRequest({ kind: 'client', name: 'pgfleet' }), kind: 'client' });
    await initCertificateAuthority(otherDir, caRequest({ commonName: 'other CA' }));
    await issueCertificate(otherDir, {
      ...leafRequest({ kind: 'server', name: 'member', sans: ['127.0.0.1'] }),
      kind: 'server',
    });
    credentials = {
      cafile: join(dir, 'pki', 'ca.crt'),
      certfile: join(dir, 'pki', 'client', 'pgfleet.crt'),
      keyfile: join(dir, 'pki', 'client', 'pgfleet.key'),
      username: 'admin',
      password: new Secret(PASSWORD),
    };
  });

  after(async () => {
    await Promise.allSettled(servers.map((server) => server.close()));
    await rm(dir, { recursive: true, force: true });
  });

  const serverFiles = async (base = join(dir, 'pki')) => ({
    ...(await files(base, 'server', 'member')),
    ca: await readFile(join(dir, 'pki', 'ca.crt')),
  });

  for (const verifyClient of ['none', 'optional', 'required'] as const) {
    for (const basicAuth of [false, true]) {
      it(`observes the expected matrix over https with verify_client ${verifyClient}${basicAuth ? ' and basic auth' : ''}`, async () => {
        const protection: RestApiProtection = { tls: true, verifyClient, basicAuth };
        const server = await startServer(protection, await serverFiles());
        const report = await probeRestApiMatrix(server.url, protection, credentials);
        assert.deepEqual(report.mismatches, [], JSON.stringify(report.observed, null, 1));
        assert.deepEqual(
          report.observed.map((cell) => [cell.client, cell.endpoint, cell.outcome]),
          expectedMatrix(protection).map((cell) => [cell.client, cell.endpoint, cell.outcome]),
        );
        if (verifyClient === 'required') {
          const refused = report.observed.find((cell) => cell.client === 'anonymous' && cell.endpoint === 'safe');
          assert.match(refused?.detail ?? '', /^ERR_SSL_.*ALERT/, 'the refusal is recognised from the TLS alert');
        }
        await server.close();
      });
    }
  }

  it('observes the expected matrix over plain http with basic auth', async () => {
    const protection: RestApiProtection = { tls: false, verifyClient: 'none', basicAuth: true };
    const server = await startServer(protection);
    const report = await probeRestApiMatrix(server.url, protection, credentials);
    assert.deepEqual(report.mismatches, []);
    await server.close();
  });

  it('presents a client certificate and a password only for the clients that have them, each on its own connection', async () => {
    const protection: RestApiProtection = { tls: true, verifyClient: 'optional', basicAuth: false };
    const server = await startServer(protection, await serverFiles());
    await probeRestApi(server.url, credentials);
    // One request per cell, in client order: anonymous, ca-only, client-cert, basic-auth, both.
    assert.equal(server.seen.length, PROBE_CLIENTS.length * 2);
    const byClient = PROBE_CLIENTS.map((_, index) => server.seen.slice(index * 2, index * 2 + 2));
    const [anonymous, caOnly, clientCert, basicAuth, both] = byClient;
    for (const request of [...anonymous!, ...caOnly!])
      assert.deepEqual([request.clientCn, request.authorization], [undefined, false]);
    for (const request of clientCert!) assert.deepEqual([request.clientCn, request.authorization], ['pgfleet', false]);
    for (const request of basicAuth!) assert.deepEqual([request.clientCn, request.authorization], [undefined, true]);
    for (const request of both!) assert.deepEqual([request.clientCn, request.authorization], ['pgfleet', true]);
    assert.deepEqual(
      anonymous!.map((request) => `${request.method} ${request.path}`),
      ['GET /patroni', 'PATCH /config'],
    );
    await server.close();
  });

  it('reports a server certificate from another CA as untrusted for the clients that verify, not as a refusal', async () => {
    const protection: RestApiProtection = { tls: true, verifyClient: 'none', basicAuth: false };
    const server = await startServer(protection, await serverFiles(otherDir));
    const observed = await probeRestApi(server.url, credentials, { endpoints: ['safe'] });
    assert.deepEqual(
      observed.map((cell) => [cell.client, cell.outcome]),
      [
        ['anonymous', 'allowed'],
        ['ca-only', 'server-untrusted'],
        ['client-cert', 'server-untrusted'],
        ['basic-auth', 'server-untrusted'],
        ['client-cert-and-basic-auth', 'server-untrusted'],
      ],
    );
    assert.ok(
      observed
        .filter((cell) => cell.outcome === 'server-untrusted')
        .every((cell) => cell.detail === 'UNABLE_TO_VERIFY_LEAF_SIGNATURE'),
    );
    await server.close();
  });

  it('tells a wrong scheme and a closed port apart from a protection verdict', async () => {
    const http = await startServer({ tls: false, verifyClient: 'none', basicAuth: false });
    const httpsToHttp = await probeRestApi(http.url.replace('http:', 'https:'), credentials, {
      clients: ['ca-only'],
      endpoints: ['safe'],
    });
    assert.equal(httpsToHttp[0]?.outcome, 'protocol-mismatch');
    const https = await startServer({ tls: true, verifyClient: 'none', basicAuth: false }, await serverFiles());
    const httpToHttps = await probeRestApi(https.url.replace('https:', 'http:'), credentials, {
      clients: ['anonymous'],
      endpoints: ['safe'],
    });
    assert.equal(httpToHttps[0]?.outcome, 'connection-closed');
    const port = new URL(https.url).port;
    await https.close();
    const closed = await probeRestApi(`https://127.0.0.1:${port}`, credentials, {
      clients: ['anonymous'],
      endpoints: ['safe'],
    });
    assert.deepEqual([closed[0]?.outcome, closed[0]?.detail], ['unreachable', 'ECONNREFUSED']);
    await http.close();
  });

  it('skips the clients whose credentials were not given, and never puts the password in its results', async () => {
    const protection: RestApiProtection = { tls: true, verifyClient: 'optional', basicAuth: true };
    const server = await startServer(protection, await serverFiles());
    const report = await probeRestApiMatrix(server.url, protection, {
      cafile: credentials.cafile,
      username: 'admin',
      password: new Secret(PASSWORD),
    });
    const skipped = report.observed.filter((cell) => cell.outcome === 'skipped').map((cell) => cell.client);
    assert.deepEqual([...new Set(skipped)], ['client-cert', 'client-cert-and-basic-auth']);
    assert.deepEqual(report.mismatches, []);
    assert.doesNotMatch(JSON.stringify(report), new RegExp(PASSWORD));
    assert.doesNotMatch(JSON.stringify(report), new RegExp(Buffer.from(`admin:${PASSWORD}`).toString('base64')));
    await server.close();
  });
  it('gives the anonymous probe no certificate, even right after a probe with one on the same server', async () => {
    const protection: RestApiProtection = { tls: true, verifyClient: 'optional', basicAuth: false };
    const server = await startServer(protection, await serverFiles());
    await probeRestApi(server.url, credentials, { clients: ['client-cert'] });
    const [safe, unsafe] = await probeRestApi(server.url, credentials, { clients: ['anonymous'] });
    assert.deepEqual(
      server.seen.map((request) => request.clientCn),
      ['pgfleet', 'pgfleet', undefined, undefined],
    );
    assert.deepEqual([safe?.outcome, unsafe?.outcome], ['allowed', 'forbidden-403']);
    await server.close();
  });

  it("builds pgfleet's own client TLS once per set of files: shared by every client, renewed when a file is replaced", async () => {
    const protection: RestApiProtection = { tls: true, verifyClient: 'required', basicAuth: false };
    const server = await startServer(protection, await serverFiles());
    const files = {
      cafile: credentials.cafile,
      certfile: join(dir, 'rotating.crt'),
      keyfile: join(dir, 'rotating.key'),
    };
    await copyFile(credentials.certfile!, files.certfile);
    await copyFile(credentials.keyfile!, files.keyfile);
    const first = restClientTlsOptions(files);
    assert.ok('secureContext' in first);
    assert.equal(
      (restClientTlsOptions(files) as { secureContext: unknown }).secureContext,
      first.secureContext,
      'the same files: the same context',
    );
    const clients = [new PatroniRestClient(server.url, files), new PatroniRestClient(server.url, files)];
    for (const client of clients) assert.equal((await client.send('GET', '/patroni')).status, 200);
    // Rotated: a new client certificate in the same files.
    await issueCertificate(join(dir, 'pki'), { ...leafRequest({ kind: 'client', name: 'rotated' }), kind: 'client' });
    await copyFile(join(dir, 'pki', 'client', 'rotated.crt'), files.certfile);
    await copyFile(join(dir, 'pki', 'client', 'rotated.key'), files.keyfile);
    assert.notEqual((restClientTlsOptions(files) as { secureContext: unknown }).secureContext, first.secureContext);
    const rotated = new PatroniRestClient(server.url, files);
    assert.equal((await rotated.send('GET', '/patroni')).status, 200);
    assert.deepEqual(
      server.seen.map((request) => request.clientCn),
      ['pgfleet', 'pgfleet', 'rotated'],
    );
    await Promise.all([...clients, rotated].map((client) => client.close()));
    await server.close();
  });

  it("leaves a key that does not match its certificate to fail at connection time, and names a file pgfleet's client cannot read", async () => {
    const mismatched = {
      cafile: credentials.cafile,
      certfile: credentials.certfile,
      keyfile: join(dir, 'pki', 'server', 'member.key'),
    };
    assert.ok(!('secureContext' in restClientTlsOptions(mismatched)));
    const server = await startServer({ tls: true, verifyClient: 'none', basicAuth: false }, await serverFiles());
    const client = new PatroniRestClient(server.url, mismatched);
    await assert.rejects(client.send('GET', '/patroni'), { code: 'PATRONI_UNREACHABLE' });
    await client.close();
    assert.throws(() => new PatroniRestClient(server.url, { cafile: join(dir, 'missing-ca.crt') }), {
      code: 'REST_CLIENT_FILE_UNREADABLE',
      message: /cannot read the CA certificate .*missing-ca\.crt .*\(ENOENT\)/,
    });
    await server.close();
  });
});
