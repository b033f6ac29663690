import assert from "node:assert/strict";
import { resolveS3Credentials } from "../../lib/backends/mod.ts";
import { BackendError } from "../../lib/errors.ts";

const FILE = `
# a comment
[default]
aws_access_key_id = DEFAULTKEY
aws_secret_access_key = defaultsecret

[profile work]
aws_access_key_id=WORKKEY
aws_secret_access_key=worksecret
aws_session_token=worktoken
`;

function sources(env: Record<string, string>, files: Record<string, string> = {}) {
  return { env: (name: string) => env[name], readFile: (path: string) => files[path] };
}

Deno.test("`resolveS3Credentials()` takes the destination's keys first, then the environment, then the file", () => {
  const env = { AWS_ACCESS_KEY_ID: "ENVKEY", AWS_SECRET_ACCESS_KEY: "envsecret", HOME: "/home/u" };
  const files = { "/home/u/.aws/credentials": FILE };
  assert.deepEqual(
    resolveS3Credentials(
      { accessKeyId: "DEST", secretAccessKey: "destsecret", sessionToken: "t" },
      sources(env, files),
    ),
    { accessKeyId: "DEST", secretAccessKey: "destsecret", sessionToken: "t" },
  );
  assert.deepEqual(resolveS3Credentials({}, sources({ ...env, AWS_SESSION_TOKEN: "envtoken" }, files)), {
    accessKeyId: "ENVKEY",
    secretAccessKey: "envsecret",
    sessionToken: "envtoken",
  });
  assert.deepEqual(resolveS3Credentials({}, sources({ HOME: "/home/u" }, files)), {
    accessKeyId: "DEFAULTKEY",
    secretAccessKey: "defaultsecret",
  });
});

Deno.test("`resolveS3Credentials()` reads the profile named by the destination or AWS_PROFILE from the shared file", () => {
  const files = { "/etc/creds": FILE };
  const work = { accessKeyId: "WORKKEY", secretAccessKey: "worksecret", sessionToken: "worktoken" };
  const env = {
    AWS_SHARED_CREDENTIALS_FILE: "/etc/creds",
    AWS_ACCESS_KEY_ID: "ENVKEY",
    AWS_SECRET_ACCESS_KEY: "s",
  };
  // A profile named by the destination wins over the environment's keys.
  assert.deepEqual(resolveS3Credentials({ profile: "work" }, sources(env, files)), work);
  assert.deepEqual(
    resolveS3Credentials(
      {},
      sources({ AWS_SHARED_CREDENTIALS_FILE: "/etc/creds", AWS_PROFILE: "work" }, files),
    ),
    work,
  );
});

Deno.test("`resolveS3Credentials()` says what is missing, never showing a secret", () => {
  const message = (settings: Parameters<typeof resolveS3Credentials>[0], env: Record<string, string>) => {
    try {
      resolveS3Credentials(settings, sources(env, { "/h/.aws/credentials": FILE }));
    } catch (error) {
      assert.ok(error instanceof BackendError && error.permanent);
      return error.message;
    }
    return "no error";
  };
  assert.equal(
    message({ secretAccessKey: "hidden" }, {}),
    "Incomplete S3 credentials in the destination: a secret key but no access key id",
  );
  assert.equal(
    message({}, { AWS_ACCESS_KEY_ID: "K" }),
    "Incomplete S3 credentials in the environment: an access key id but no secret key",
  );
  assert.equal(
    message({ profile: "nope" }, { HOME: "/h" }),
    `Cannot find S3 credentials of profile "nope": "/h/.aws/credentials" has no such profile with both keys`,
  );
  assert.match(message({}, {}), /^Cannot find S3 credentials: set access_key_id and secret_access_key/);
});
