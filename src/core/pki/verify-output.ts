/**
 * The verdict of `openssl verify -CAfile CA CERT`: "CERT: OK" and exit 0, or
 * lines like "error 20 at 0 depth lookup: unable to get local issuer
 * certificate" and exit 2.
 */
export interface VerifyVerdict {
  ok: boolean;
  /** X509_V_ERR_* number (20: unable to get local issuer certificate, 7: signature failure...). */
  errorNumber: number | undefined;
  /** Depth in the chain: 0 is the certificate itself. */
  depth: number | undefined;
  /** openssl's words for the failure, or its last line when it printed no "error N" line. */
  reason: string | undefined;
}

export function parseVerifyOutput(output: string, exitCode: number): VerifyVerdict {
  const lines = output
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line.length > 0);
  const error = lines
    .map((line) => /^error (\d+) at (\d+) depth lookup: ?(.*)$/.exec(line))
    .find((match) => match !== null);
  if (exitCode === 0 && !error && lines.some((line) => line.endsWith(': OK'))) {
    return { ok: true, errorNumber: undefined, depth: undefined, reason: undefined };
  }
  if (error)
    return { ok: false, errorNumber: Number(error[1]), depth: Number(error[2]), reason: error[3]!.trim() || undefined };
  return {
    ok: false,
    errorNumber: undefined,
    depth: undefined,
    reason: lines[lines.length - 1] ?? `openssl verify exited with ${exitCode}`,
  };
}
