// The shape a snapshot or index file must have once it opens (docs/format.md#snapshots, #index). They are
// authenticated, so only a key holder can make a wrong one; still, a malformed file is one damaged file to
// leave out, never a crash of every command that lists them.

import { describeValue, isJsonObject } from "./_bounds.ts";

const ID = /^[0-9a-f]{64}$/;

/** What is wrong with a snapshot document, or undefined. */
export function snapshotProblem(value: unknown): string | undefined {
  if (!isJsonObject(value)) return `it is ${describeValue(value)}, not an object`;
  if (typeof value.tree !== "string" || !ID.test(value.tree)) return `"tree" is not a blob id`;
  for (const field of ["time", "host", "username", "plan", "destination"]) {
    if (typeof value[field] !== "string") {
      return `"${field}" must be a string, found ${describeValue(value[field])}`;
    }
  }
  if (!isJsonObject(value.stats)) return `"stats" must be an object, found ${describeValue(value.stats)}`;
  for (const field of ["paths", "tags"]) {
    const list = value[field];
    if (!Array.isArray(list) || list.some((item) => typeof item !== "string")) {
      return `"${field}" must be a list of strings`;
    }
  }
  return undefined;
}

/**
 * What is wrong with an index document's structure, or undefined. Single entries with wrong values are the
 * index's to leave out (MasterIndex.addIndexFile); this checks only what it walks over.
 */
export function indexProblem(value: unknown): string | undefined {
  if (!isJsonObject(value)) return `it is ${describeValue(value)}, not an object`;
  if (!Array.isArray(value.packs)) return `"packs" must be a list, found ${describeValue(value.packs)}`;
  for (const pack of value.packs) {
    if (!isJsonObject(pack) || typeof pack.id !== "string" || !ID.test(pack.id)) {
      return "a pack has no valid id";
    }
    if (!Array.isArray(pack.blobs)) return `pack ${pack.id.slice(0, 12)} has no list of blobs`;
    for (const blob of pack.blobs) {
      if (!Array.isArray(blob)) return `pack ${pack.id.slice(0, 12)} lists a blob that is not a list`;
    }
  }
  return undefined;
}
