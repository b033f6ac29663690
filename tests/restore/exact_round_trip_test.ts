// A backup and a restore through the CLI give back a folder exactly, as Python sees both: names and link
// targets that are not UTF-8, times to the nanosecond before 1970 and after 2100 (files, folders and
// symlinks), extended attributes (user.* on a file and a folder, trusted.* on a symlink as root), owners
// (as root), FIFOs, hard links and holes. Needs the backup side of issue 14 (nanoseconds, byte names and xattrs recorded).

import assert from "node:assert/strict";
import { makeFixture } from "../_support/fixture.ts";
import { python } from "../platform/_python.ts";

const IS_ROOT = Deno.uid() === 0;

/** Builds the source folder with Python (bytes names, ns times, xattrs). */
const BUILD = `
root = os.fsencode(args["root"])
j = lambda *parts: os.path.join(root, *parts)
os.mkdir(j(b"caf\\xe9"))
with open(j(b"caf\\xe9", b"file\\xff"), "wb") as f: f.write(b"not utf-8 name\\n")
with open(j(b"plain.txt"), "wb") as f: f.write(b"plain\\n")
os.link(j(b"plain.txt"), j(b"caf\\xe9", b"hard\\x80link"))
with open(j(b"sparse"), "wb") as f:
  f.truncate(64 * 1024 * 1024)  # zeros enough for whole chunks on each side of the data
  f.seek(32 * 1024 * 1024)
  f.write(b"middle")
os.symlink(b"caf\\xe9/file\\xff", j(b"link\\xfe"))
os.mkfifo(j(b"pipe"), 0o640)
os.setxattr(j(b"plain.txt"), b"user.comment", b"\\x00binary\\xff")
os.setxattr(j(b"caf\\xe9"), b"user.folder", b"yes")
if args["root_user"]: os.setxattr(j(b"link\\xfe"), b"trusted.link", b"t", follow_symlinks=False)
if args["root_user"]: os.chown(j(b"caf\\xe9", b"file\\xff"), 1234, 5678)
times = {b"caf\\xe9/file\\xff": -1234567890123456789, b"plain.txt": 4200000000987654321, b"sparse": 1,
  b"link\\xfe": -987654321, b"pipe": 4200000000000000001, b"caf\\xe9": -500000000000000007}
for path, ns in times.items(): os.utime(j(path), ns=(ns, ns), follow_symlinks=False)
os.utime(root, ns=(7, 4300000000000000003))
`;

/** Every entry below a folder as Python sees it: type and mode, mtime_ns, size, xattrs, link target, content. */
const DESCRIBE = `
import hashlib
root = os.fsencode(args)
out = {}
groups = {}
for dirpath, dirnames, filenames in os.walk(root):
  for name in dirnames + filenames + ([b"."] if dirpath == root else []):
    p = os.path.normpath(os.path.join(dirpath, name))
    s = os.lstat(p)
    rel = os.path.relpath(p, root).hex()
    entry = {"mode": oct(s.st_mode), "mtime_ns": str(s.st_mtime_ns), "owner": [s.st_uid, s.st_gid],
      "xattrs": {os.fsencode(n).hex(): os.getxattr(p, n, follow_symlinks=False).hex()
                 for n in sorted(os.listxattr(p, follow_symlinks=False))}}
    if stat.S_ISREG(s.st_mode):
      entry["size"] = s.st_size
      entry["sha"] = hashlib.sha256(open(p, "rb").read()).hexdigest()
      entry["sparse"] = s.st_blocks * 512 < s.st_size
      if s.st_nlink > 1: groups.setdefault(s.st_ino, []).append(rel)
    if stat.S_ISLNK(s.st_mode): entry["target"] = os.readlink(p).hex()
    out[rel] = entry
for rels in groups.values():
  for rel in rels: out[rel]["linked_with"] = sorted(r for r in rels if r != rel)
print(json.dumps(out, sort_keys=True))
`;

Deno.test("a backup restored through the CLI is the folder backed up, byte for byte and to the nanosecond", async () => {
  const fixture = await makeFixture((root) => ({ p: { sources: [`${root}/src`] } }));
  try {
    const src = `${fixture.root}/src`;
    Deno.mkdirSync(src);
    python(BUILD, { root: src, root_user: IS_ROOT });
    const before = python<Record<string, unknown>>(DESCRIBE, src);
    await fixture.backup("p");
    const out = `${fixture.root}/out`;
    await fixture.keptOk(["restore", "latest", "--target", out]);
    const after = python<Record<string, unknown>>(DESCRIBE, `${out}${src}`);
    assert.deepEqual(after, before);
  } finally {
    await fixture.cleanup();
  }
});
