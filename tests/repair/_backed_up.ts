// The repository the repair tests damage: one plan `files` backing up `<root>/src` (random files cut into
// several blobs, and a small text file), backed up once.

import { type Fixture, makeFixture } from "../_support/fixture.ts";
import { writeRandomFile } from "../_support/random_bytes.ts";

export async function backedUp(): Promise<{ fixture: Fixture; src: string }> {
  const fixture = await makeFixture((root) => ({ files: { sources: [`${root}/src`] } }));
  const src = `${fixture.root}/src`;
  Deno.mkdirSync(src);
  writeRandomFile(`${src}/a.bin`, 2_500_000, 1);
  writeRandomFile(`${src}/b.bin`, 600_000, 2);
  Deno.writeTextFileSync(`${src}/note.txt`, "small\n");
  await fixture.backup("files");
  return { fixture, src };
}
