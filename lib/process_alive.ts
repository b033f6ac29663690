/**
 * Whether process `pid` of this host still runs. Reads `/proc`; where there is none, every process counts
 * as running (what it left behind then goes by other rules: a lock by its age).
 */
export function processAlive(pid: number): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  try {
    Deno.statSync("/proc/self");
  } catch {
    return true;
  }
  try {
    Deno.statSync(`/proc/${pid}`);
    return true;
  } catch {
    return false;
  }
}
