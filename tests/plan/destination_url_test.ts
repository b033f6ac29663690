import assert from "node:assert/strict";
import { parseDestinationUrl } from "../../lib/plan/mod.ts";

Deno.test("parseDestinationUrl() reads a path as a local destination, relative paths as written", () => {
  assert.deepEqual(parseDestinationUrl("/srv/backup"), { location: { kind: "local", path: "/srv/backup" } });
  assert.deepEqual(parseDestinationUrl("../repo"), { location: { kind: "local", path: "../repo" } });
  assert.deepEqual(parseDestinationUrl("C:\\backup"), { location: { kind: "local", path: "C:\\backup" } });
});

Deno.test("parseDestinationUrl() reads file:// URLs, decoding escapes", () => {
  assert.deepEqual(parseDestinationUrl("file:///srv/my%20backup"), {
    location: { kind: "local", path: "/srv/my backup" },
  });
  assert.deepEqual(parseDestinationUrl("file://localhost/srv"), {
    location: { kind: "local", path: "/srv" },
  });
});

Deno.test("parseDestinationUrl() refuses a file:// URL with a host, a query or a bad escape", () => {
  assert.match(parseDestinationUrl("file://nas/srv").problem ?? "", /names the host "nas"/);
  assert.match(parseDestinationUrl("file:///srv?x=1").problem ?? "", /query/);
  assert.match(parseDestinationUrl("file:///srv/100%").problem ?? "", /write %25 for a literal "%"/);
});

Deno.test("parseDestinationUrl() reads s3:// as HTTPS with bucket and prefix", () => {
  assert.deepEqual(parseDestinationUrl("s3://s3.example.com/backups/kept/web"), {
    location: { kind: "s3", endpoint: "https://s3.example.com", bucket: "backups", prefix: "kept/web" },
  });
  assert.deepEqual(parseDestinationUrl("S3://s3.example.com:9000/backups"), {
    location: { kind: "s3", endpoint: "https://s3.example.com:9000", bucket: "backups", prefix: "" },
  });
});

Deno.test("parseDestinationUrl() reads s3+http:// as plain HTTP", () => {
  assert.deepEqual(parseDestinationUrl("s3+http://127.0.0.1:8080/test-bucket/a%20b/"), {
    location: { kind: "s3", endpoint: "http://127.0.0.1:8080", bucket: "test-bucket", prefix: "a b" },
  });
});

Deno.test("parseDestinationUrl() names what is wrong with an S3 URL", () => {
  const problem = (url: string) => parseDestinationUrl(url).problem ?? "";
  assert.match(problem("s3://s3.example.com"), /names no bucket/);
  assert.match(problem("s3://s3.example.com/"), /names no bucket/);
  assert.match(problem("s3:///bucket"), /names no host/);
  assert.match(problem("s3://s3.example.com/My_Bucket"), /invalid bucket name "My_Bucket"/);
  assert.match(problem("s3://s3.example.com/ab"), /invalid bucket name "ab"/);
  assert.match(problem("s3://key:secret@s3.example.com/bucket"), /must not contain credentials/);
  assert.match(problem("s3://s3.example.com/bucket?versioning=1"), /query/);
  assert.match(problem("s3://s3.example.com:99999/bucket"), /^cannot parse URL/);
  assert.match(problem("s3://s3.example.com/bucket/100%-done"), /write %25/);
});

Deno.test("parseDestinationUrl() refuses other schemes and empty URLs", () => {
  assert.match(parseDestinationUrl("sftp://nas/srv").problem ?? "", /^unsupported URL scheme "sftp"/);
  assert.match(
    parseDestinationUrl("https://s3.example.com/bucket").problem ?? "",
    /unsupported URL scheme "https"/,
  );
  assert.match(parseDestinationUrl("").problem ?? "", /url is empty/);
  assert.match(parseDestinationUrl("   ").problem ?? "", /url is empty/);
});

Deno.test("parseDestinationUrl() refuses restic's repository strings, naming the kept form", () => {
  const problem = (url: string) => parseDestinationUrl(url).problem ?? "";
  assert.match(
    problem("s3:s3.example.com/my-bucket/kept"),
    /restic's form of an S3 repository: write "s3:\/\/s3.example.com\/my-bucket\/kept"/,
  );
  assert.match(problem("s3:https://s3.example.com/bucket"), /write "s3:\/\/s3.example.com\/bucket"/);
  assert.match(problem("s3:http://127.0.0.1:9000/bucket"), /write "s3\+http:\/\/127.0.0.1:9000\/bucket"/);
  assert.match(problem("file:relative"), /write the path "relative"/);
  for (const url of ["sftp:user@host:/srv/kept", "rest:http://host:8000/", "b2:bucket:kept", "rclone:r:p"]) {
    assert.match(
      problem(url),
      /looks like a restic "[a-z0-9]+:" repository, which kept cannot store to/,
      url,
    );
    assert.match(problem(url), new RegExp(`"\\./${url.replace(/[.+]/g, "\\$&")}" for a local folder`), url);
  }
});

Deno.test("parseDestinationUrl() still reads paths with a colon after their first part", () => {
  for (const path of ["/srv/a:b", "/srv/s3:x/kept", "backups/2024:01", "./s3:bucket", "~/a:b"]) {
    assert.deepEqual(parseDestinationUrl(path), { location: { kind: "local", path } });
  }
});
