// A key indented too little lands one level up, where YAML reads it as a key of the wrong mapping (an
// unknown key, or a destination named "password_file"). The mapping the user meant is the one that ends
// just above it: say so, with the indentation that puts the key there.

import type { KeyPath, YamlSource } from "./_yaml_source.ts";
import { formatKeyPath } from "./problem.ts";

/** How deep below the previous key to look for the mapping the key belongs in. */
const MAX_DEPTH = 4;

/**
 * `; it belongs in destinations.nas: indent it 4 spaces, like "url" on line 4` when the key at `path`
 * is one that the mapping just above it takes (`keysAt` names the keys the schema allows at a path), else
 * undefined.
 */
export function misplacedKeyHint(
  source: YamlSource,
  path: KeyPath,
  keysAt: (path: KeyPath) => readonly string[],
): string | undefined {
  const key = path.at(-1);
  if (typeof key !== "string") return undefined;
  const siblings = source.keysOf(path.slice(0, -1));
  const index = siblings.findIndex((sibling) => sibling.key === key);
  if (index <= 0) return undefined;
  // Down the last entries of the previous key: the mappings that end right above this line.
  let candidate: KeyPath = [...path.slice(0, -1), siblings[index - 1]!.key];
  for (let depth = 0; depth < MAX_DEPTH; depth++) {
    const children = source.keysOf(candidate);
    const first = children[0];
    if (first === undefined) return undefined;
    if (keysAt(candidate).includes(key)) {
      const { line, column } = first.position;
      return `; it belongs in ${formatKeyPath(candidate)}: indent it ${column - 1} spaces, ` +
        `like "${first.key}" on line ${line}`;
    }
    candidate = [...candidate, children.at(-1)!.key];
  }
  return undefined;
}
