// A CA file for S3 over HTTPS is checked before any connection: only a regular file holding a PEM
// certificate is used. A FIFO would block kept for good; a key given by mistake only showed as
// `UnknownIssuer` from the TLS handshake.

import assert from "node:assert/strict";
import { BackendError } from "../../lib/errors.ts";
import { S3Backend } from "../../lib/backends/mod.ts";
import { tempDir } from "../_support/temp_dir.ts";

function openWith(caFile: string): Promise<S3Backend> {
  return S3Backend.open({
    // Nothing listens there: the CA file must be refused before any request.
    endpoint: "https://127.0.0.1:9",
    bucket: "b",
    prefix: "",
    region: "us-east-1",
    credentials: { accessKeyId: "k", secretAccessKey: "s" },
    caFile,
  });
}

async function refused(caFile: string, why: RegExp): Promise<void> {
  await assert.rejects(openWith(caFile), (error) => {
    assert.ok(error instanceof BackendError);
    assert.equal(error.permanent, true);
    assert.match(error.message, new RegExp(`^Cannot use CA file "${caFile}": ${why.source}$`));
    return true;
  });
}

Deno.test("a CA file that is a FIFO, holds no certificate or is missing is refused in one line", async () => {
  using temp = tempDir("kept-test-");
  const fifo = `${temp.path}/ca.fifo`;
  new Deno.Command("mkfifo", { args: [fifo] }).outputSync();
  await refused(fifo, /it is not a regular file/);
  const key = `${temp.path}/ca.key`;
  Deno.writeTextFileSync(key, "-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----\n");
  await refused(key, /it holds no PEM certificate \(-----BEGIN CERTIFICATE-----\)/);
  await refused(`${temp.path}/missing.pem`, /No such file or directory.*/);
});
