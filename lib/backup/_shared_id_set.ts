// Chunk workers look ids up in the index's own shared memory: lib/repo/_id_table.ts.
export { type SharedIds, SharedIdSet } from "../repo/_id_table.ts";
