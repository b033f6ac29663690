import { MemoryBackend } from "../../lib/backends/mod.ts";
import { backendConformance } from "./conformance.ts";

backendConformance("MemoryBackend", () => {
  return Promise.resolve({ backend: new MemoryBackend(), cleanup: () => Promise.resolve() });
});
