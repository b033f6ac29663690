// Planning a restore: what it will do with each entry of the snapshot (docs/restore.md), decided by looking
// at the target and writing nothing. The plan is a stream: walked again each time it is read, entry by
// entry, so that a snapshot of millions of files never sits in memory.

import ignore, { type Ignore } from "ignore";
import { describeError, IntegrityError, UsageError, UserError } from "../errors.ts";
import { describePath, type FileStat, hasEscapedBytes, pathBytes, platform } from "../platform/mod.ts";
import { asBlobId, isSafeName, resolveTreePath, type Tree, type TreeNode } from "../repo/mod.ts";
import { errorKind } from "../workers/mod.ts";
import { toHex } from "../crypto/mod.ts";
import { readFullSync } from "../read_full.ts";
import { includeProblem } from "./include_problem.ts";
import { partialNames } from "./partial_names.ts";
import type { RestoreAction, RestoreEntry } from "./types.ts";
import { checkTarget, lstatOrUndefined, modifiedNs, resolveTarget, sameSpecialType } from "./_target_fs.ts";
import { linkGroup } from "./link_group.ts";

/** Options of {@linkcode planRestore}. */
export interface PlanOptions {
  /** Root tree of the snapshot. */
  tree: string;
  /** Folder to restore into; it need not exist. */
  target: string;
  /**
   * Restore only this path of the snapshot (`/etc/nginx`). It keeps its absolute path below the target
   * (TARGET/etc/nginx), and the folders leading to it (TARGET/etc) get the snapshot's metadata too. A
   * name is read as text output writes it: `caf\xe9` is the byte 0xE9 (see `resolveTreePath()`).
   */
  path?: string;
  /** gitignore-style patterns: restore only matching paths (and the folders leading to them). */
  include?: readonly string[];
  /** Replace what is in the way of an entry and differs from it, instead of refusing it. */
  overwrite?: boolean;
  /** The restore runs as root: owners are restored, device nodes created. */
  asRoot: boolean;
}

/** Reads trees: what planning needs of a repository. */
export interface TreeSource {
  loadTree(id: string): Promise<Tree>;
  /**
   * With `--overwrite`, a file that matches an entry by size and time is read and its pieces' ids compared
   * with the entry's content ({@link holdsContent}): these answer for the blobs. A source without them (a
   * test's) takes such a file as it is.
   */
  readonly index?: { lookup(id: string): { readonly rawLength: number } | undefined };
  blobIdBytes?(data: Uint8Array): Uint8Array;
}

/**
 * What a restore will do, as a stream of entries in depth-first order: each folder before what is in it.
 * Each iteration walks the snapshot and looks at the target again; {@linkcode applyRestore} walks it once,
 * writing as it goes, so an entry is decided just before it is written.
 */
export interface RestorePlan extends AsyncIterable<RestoreEntry> {
  /** The folder restored into: absolute, without symlinks. */
  readonly target: string;
  readonly overwrite: boolean;
  readonly asRoot: boolean;
}

/**
 * Plans a restore. Throws a `UsageError` when an include pattern can match nothing
 * ({@linkcode includeProblem}), a `UserError` when the target cannot be a folder (as `applyRestore()`
 * would, without making it) or `path` is not in the snapshot, and an `IntegrityError` when a tree on the
 * way lists a name twice; writes nothing.
 *
 * Iterating the plan yields damaged or unreadable trees below as `fail` entries and throws only for a bug.
 */
export async function planRestore(source: TreeSource, options: PlanOptions): Promise<RestorePlan> {
  assertIncludable(options.include);
  const target = resolveTarget(options.target).path;
  checkTarget(target); // a dry run says what the restore would say
  const { root, parts } = await startOfWalk(source, options);
  const settings: WalkSettings = {
    source,
    include: includeMatcher(options.include),
    overwrite: options.overwrite ?? false,
    asRoot: options.asRoot,
    exact: platform().kind === "ffi",
  };
  return {
    target,
    overwrite: settings.overwrite,
    asRoot: settings.asRoot,
    [Symbol.asyncIterator]() {
      const fresh = lstatOrUndefined(target) === undefined;
      return new PlanWalk(settings).entries(root, target, { fresh, forced: false, only: parts });
    },
  };
}

/** Options of {@linkcode planExport}: a restore's, less what only a target folder on disk needs. */
export type ExportPlanOptions = Pick<PlanOptions, "tree" | "path" | "include">;

/**
 * The entries an export (`exportZip()`) writes, chosen and ordered as {@linkcode planRestore} chooses them
 * (path, include, unsafe names refused, unreadable trees as `fail` entries), each planned as if into an
 * empty folder: nothing on disk is looked at, and no entry is refused for want of root or of the C library,
 * since an archive holds any name and any owner. An entry's `target` is its path. Throws as
 * {@linkcode planRestore} does, bar what it says of a target.
 */
export async function planExport(
  source: TreeSource,
  options: ExportPlanOptions,
): Promise<AsyncIterable<RestoreEntry>> {
  assertIncludable(options.include);
  const { root, parts } = await startOfWalk(source, options);
  const settings: WalkSettings = {
    source,
    include: includeMatcher(options.include),
    overwrite: false,
    asRoot: true,
    exact: true,
  };
  return {
    [Symbol.asyncIterator]: () =>
      new PlanWalk(settings).entries(root, "", { fresh: true, forced: false, only: parts }),
  };
}

function assertIncludable(include: readonly string[] | undefined): void {
  const invalid = includeProblem(include ?? []);
  if (invalid) throw new UsageError(`Invalid include pattern "${invalid.pattern}": ${invalid.problem}`);
}

function includeMatcher(include: readonly string[] | undefined): Ignore | undefined {
  return include && include.length > 0 ? ignore().add([...include]) : undefined;
}

/** The snapshot's root tree and the names on `options.path`, checked to be in it. */
async function startOfWalk(
  source: TreeSource,
  options: ExportPlanOptions,
): Promise<{ root: Tree; parts: string[] }> {
  const asked = options.path ?? "/";
  const root = await source.loadTree(options.tree);
  assertUniqueNames(root, "/");
  const parts = await namesOnPath(source, options.tree, asked);
  await assertPathIsInTree(source, root, parts, asked);
  return { root, parts };
}

interface WalkSettings {
  source: TreeSource;
  include: Ignore | undefined;
  overwrite: boolean;
  asRoot: boolean;
  /**
   * The C library is used (docs/platform.md): names of any bytes can be written, times are set to the
   * nanosecond. Without it, names that are not UTF-8 are refused and times are set to the millisecond.
   */
  exact: boolean;
}

/** How a folder is walked. */
interface FolderState {
  /** Created by this restore: nothing can be in the way of its entries, which are not looked at. */
  fresh: boolean;
  /** Matches `include` itself: everything below it is restored. */
  forced: boolean;
  /** The path still to follow (`options.path`): only the entry named first, then the rest inside it. */
  only: readonly string[];
}

/** A folder being walked. */
interface Frame {
  /** Its entry; undefined for the target. */
  entry: RestoreEntry | undefined;
  /** Its path in the snapshot ("" for the root) and below the target. */
  dir: string;
  targetDir: string;
  /** The entries to walk (following a path, the one on it) and the next one's index. */
  nodes: readonly TreeNode[];
  next: number;
  /** The names its files are written under before their rename. */
  partials: Map<string, string>;
  state: FolderState;
}

/**
 * One walk of a plan. A loop over a stack of folders rather than nested generators: each entry then costs
 * one step of one generator, not one per folder it is in.
 */
class PlanWalk {
  readonly #settings: WalkSettings;
  /**
   * Folders planned but not yielded yet, outermost first. With `include`, a folder that does not match
   * itself is yielded only once something below it is to be written: none is left empty.
   */
  readonly #pending: RestoreEntry[] = [];
  /** Each hard-link group met so far: the inode of its first file, skipped as it is, or "written". */
  readonly #linkGroups = new Map<string, bigint | "written">();

  constructor(settings: WalkSettings) {
    this.#settings = settings;
  }

  /** Plans the snapshot below `root`, restored into `target`. */
  async *entries(root: Tree, target: string, state: FolderState): AsyncGenerator<RestoreEntry> {
    const stack = [frame(undefined, root, "", target, state)];
    while (stack.length > 0) {
      const folder = stack.at(-1)!;
      const node = folder.nodes[folder.next++];
      if (node === undefined) {
        stack.pop();
        if (folder.entry !== undefined && this.#pending.at(-1) === folder.entry) this.#pending.pop();
        continue;
      }
      const path = `${folder.dir}/${node.name}`;
      if (!isSafeName(node.name) || !standsForBytes(node.name)) {
        yield { path, node, action: "refuse", reason: "unsafe_name" };
        continue;
      }
      const target = `${folder.targetDir}/${node.name}`;
      const matches = folder.state.forced || this.#matches(path, node.type === "dir");
      if (node.type === "dir") {
        const entry = await this.#enterFolder(stack, node, path, target, matches);
        if (stack.at(-1)!.entry !== entry) {
          // Refused or failed: nothing below it is planned. One that does not match is in the way only of
          // what below it would match, and is no problem when nothing would.
          if (matches || await this.#matchesBelow(node, path, folder.state.only.slice(1))) yield entry;
        } else if (matches) {
          if (this.#pending.length > 0) yield* this.#pending.splice(0);
          yield entry;
        } else {
          this.#pending.push(entry);
        }
      } else if (matches) {
        const partial = folder.partials.get(node.name);
        const entry = this.#leafEntry(
          node,
          path,
          target,
          folder.state.fresh,
          partial && `${folder.targetDir}/${partial}`,
        );
        // Something is written below the folders that wait: they come first.
        const written = entry.action === "create" || entry.action === "replace" || entry.action === "skip";
        if (written && this.#pending.length > 0) yield* this.#pending.splice(0);
        yield entry;
      }
    }
  }

  #matches(path: string, isDir: boolean): boolean {
    const include = this.#settings.include;
    return !include || include.ignores(path.slice(1) + (isDir ? "/" : ""));
  }

  /**
   * True when an entry below the folder `node` (at `path`; following `only`, as the walk would) matches
   * `include`, or a tree below cannot be read, which leaves it unknown. Walks the trees only, not the
   * target: for a folder refused or failed, whose entries the walk does not plan.
   */
  async #matchesBelow(node: TreeNode, path: string, only: readonly string[]): Promise<boolean> {
    const folders = [{ node, path, only }];
    for (let folder = folders.pop(); folder !== undefined; folder = folders.pop()) {
      if (!folder.node.subtree) continue;
      let tree: Tree;
      try {
        tree = await this.#settings.source.loadTree(folder.node.subtree);
      } catch (error) {
        if (errorKind(error) === "bug") throw error;
        return true;
      }
      const [follow, ...rest] = folder.only;
      for (const child of tree.nodes) {
        if ((follow !== undefined && child.name !== follow) || !isSafeName(child.name)) continue;
        const childPath = `${folder.path}/${child.name}`;
        if (this.#matches(childPath, child.type === "dir")) return true;
        if (child.type === "dir") folders.push({ node: child, path: childPath, only: rest });
      }
    }
    return false;
  }

  /**
   * Plans a folder and, unless it is refused or failed, puts what is in it on top of `stack` (here rather
   * than in the generator, whose suspended frame would hold the tree longer than the walk needs it).
   */
  async #enterFolder(
    stack: Frame[],
    node: TreeNode,
    path: string,
    target: string,
    matches: boolean,
  ): Promise<RestoreEntry> {
    const parent = stack.at(-1)!;
    try {
      const entry = this.#decideFolder(node, path, target, parent.state.fresh);
      if (entry.action === "refuse") return entry;
      const tree = node.subtree ? await this.#settings.source.loadTree(node.subtree) : { nodes: [] };
      assertUniqueNames(tree, path);
      const state = { fresh: entry.action !== "skip", forced: matches, only: parent.state.only.slice(1) };
      stack.push(frame(entry, tree, path, target, state));
      return entry;
    } catch (error) {
      return failed({ path, target, node }, error);
    }
  }

  #decideFolder(node: TreeNode, path: string, target: string, fresh: boolean): RestoreEntry {
    if (!this.#canName(node)) return { path, target, node, action: "refuse", reason: "needs_ffi" };
    const info = fresh ? undefined : lstatOrUndefined(target);
    if (!info) return { path, target, node, action: "create" };
    if (info.type === "dir") return { path, target, node, action: "skip" };
    if (this.#settings.overwrite) return { path, target, node, action: "replace" };
    return { path, target, node, action: "refuse", reason: "not_a_folder" };
  }

  /** Plans a file, symlink, FIFO, device or socket. `partial`: a file's path before its rename. */
  #leafEntry(node: TreeNode, path: string, target: string, fresh: boolean, partial: string | undefined) {
    let entry: RestoreEntry;
    try {
      entry = this.#decideLeaf(node, path, target, fresh);
    } catch (error) {
      return failed({ path, target, node }, error);
    }
    if (partial !== undefined && (entry.action === "create" || entry.action === "replace")) {
      entry.partial = partial;
    }
    return entry;
  }

  #decideLeaf(node: TreeNode, path: string, target: string, fresh: boolean): RestoreEntry {
    const entry = (action: RestoreAction): RestoreEntry => ({ path, target, node, action });
    if (node.type === "socket") return entry("omit");
    if (node.type === "symlink" && !standsForBytes(node.target ?? "")) {
      throw new IntegrityError(
        `${describePath(path)}: the snapshot's link target holds a character that stands for no byte`,
      );
    }
    if (!this.#canName(node)) return { ...entry("refuse"), reason: "needs_ffi" };
    const info = fresh ? undefined : lstatOrUndefined(target);
    const { asRoot, exact, overwrite, source } = this.#settings;
    const decided = ((): RestoreEntry => {
      if (info && matchesNode(info, node, target, { exact, asRoot })) {
        // --overwrite replaces what differs: a file whose size and time were kept is read to be sure.
        const same = !overwrite || node.type !== "file" || holdsContent(target, node.content ?? [], source);
        if (same) return entry("skip");
      }
      if ((node.type === "chardev" || node.type === "blockdev") && !asRoot) {
        return { ...entry("refuse"), reason: "needs_root" };
      }
      if (!info) return entry("create");
      if (overwrite) return entry("replace");
      return { ...entry("refuse"), reason: "differs" };
    })();
    return node.type === "file" ? this.#hardLinked(decided, info) : decided;
  }

  /**
   * A file of a hard-link group (`links` > 1) after its group's first one: where that one is written again,
   * or where this one is a file of its own (a rerun after one of them was deleted), one that would be
   * skipped differs from the snapshot: with `--overwrite` it is linked to the group again (`replace`), so
   * that a rerun ends as a fresh restore does; without, it is refused (`differs`).
   */
  #hardLinked(entry: RestoreEntry, info: FileStat | undefined): RestoreEntry {
    const { node } = entry;
    const key = linkGroup(node);
    if (key === undefined) return entry;
    const first = this.#linkGroups.get(key);
    if (first === undefined) {
      // Apply links the later ones to the first one it skips or writes (a refused one is not there).
      if (entry.action === "skip") this.#linkGroups.set(key, info!.ino);
      else if (entry.action === "create" || entry.action === "replace") this.#linkGroups.set(key, "written");
      return entry;
    }
    if (entry.action === "skip" && (first === "written" || first !== info!.ino)) {
      // A file of its own where the snapshot has a link: replaced only when told to, as any that differs.
      return this.#settings.overwrite
        ? { ...entry, action: "replace" }
        : { ...entry, action: "refuse", reason: "differs" };
    }
    return entry;
  }

  /**
   * False when the entry's name or link target holds bytes that are not UTF-8 and kept runs without the C
   * library, which alone can write them (Deno's calls would write U+FFFD in their place).
   */
  #canName(node: TreeNode): boolean {
    if (this.#settings.exact) return true;
    return !hasEscapedBytes(node.name) && !(node.type === "symlink" && hasEscapedBytes(node.target ?? ""));
  }
}

/** True unless `text` holds a lone surrogate that stands for no byte (docs/format.md#names): damage. */
function standsForBytes(text: string): boolean {
  if (!hasEscapedBytes(text)) return true;
  try {
    pathBytes(text);
    return true;
  } catch {
    return false;
  }
}

/** A folder to walk: all its entries, or with `state.only` the one to follow. */
function frame(
  entry: RestoreEntry | undefined,
  tree: Tree,
  dir: string,
  targetDir: string,
  state: FolderState,
): Frame {
  const follow = state.only[0];
  const nodes = follow === undefined
    ? tree.nodes
    : tree.nodes.filter((node) => node.name === follow).slice(0, 1);
  return { entry, dir, targetDir, nodes, next: 0, partials: partialNames(tree.nodes), state };
}

/**
 * True when what is at `target` is the snapshot's entry already (a resumed restore). A file's time is
 * compared as a restore sets it: to the nanosecond, or (not `exact`) to the millisecond; its mode too, and
 * its owner when the restore sets owners (`asRoot`). Its content is not read here (see holdsContent).
 */
function matchesNode(
  info: FileStat,
  node: TreeNode,
  target: string,
  { exact, asRoot }: { exact: boolean; asRoot: boolean },
): boolean {
  switch (node.type) {
    case "file": {
      const restored = exact ? modifiedNs(node) : modifiedNs({ mtime: node.mtime });
      // As another user than root, the system may clear setuid and setgid as kept sets them: not compared.
      const bits = asRoot ? 0o7777 : 0o777;
      return info.type === "file" && info.size === (node.size ?? 0) && info.mtimeNs === restored &&
        (info.mode & bits) === (node.mode & bits) &&
        (!asRoot || (info.uid === node.uid && info.gid === node.gid));
    }
    case "symlink":
      return info.type === "symlink" && sameBytes(platform().readLink(target), pathBytes(node.target ?? ""));
    case "fifo":
    case "chardev":
    case "blockdev":
      return sameSpecialType(info, node) && info.rdev === (node.rdev ?? 0);
    default:
      return false;
  }
}

/**
 * True when the file at `path` holds exactly the blobs `content`, in order: each piece, cut at its blob's
 * length, has the blob's id. False when it differs or cannot be read. A blob the index no longer knows
 * cannot be told apart, nor written: the file is taken as it is (replacing it would remove it, then fail
 * on that blob). Without the index and ids of `source`, true.
 */
function holdsContent(path: string, content: readonly string[], source: TreeSource): boolean {
  const { index } = source;
  if (index === undefined || source.blobIdBytes === undefined) return true;
  const lengths = content.map((id) => index.lookup(id)?.rawLength);
  if (lengths.some((length) => length === undefined)) return true;
  try {
    using file = platform().openFile(path);
    let buffer = new Uint8Array(0);
    let position = 0;
    for (const [i, id] of content.entries()) {
      const length = lengths[i]!;
      if (buffer.length < length) buffer = new Uint8Array(length);
      const piece = buffer.subarray(0, length);
      const read = readFullSync(piece, (rest, filled) => file.read(rest, position + filled));
      if (read !== length || toHex(source.blobIdBytes(piece)) !== id) return false;
      position += length;
    }
    return file.read(buffer.subarray(0, 1), position) === 0;
  } catch {
    return false;
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}

/**
 * The names on `asked` as the trees spell them, a part given in its escaped form read as the name it
 * stands for (`resolveTreePath()`); the parts as given when it is not in the snapshot, which
 * {@linkcode assertPathIsInTree} then says in restore's words.
 */
async function namesOnPath(source: TreeSource, tree: string, asked: string): Promise<string[]> {
  try {
    return (await resolveTreePath((id) => source.loadTree(id), asBlobId(tree), asked)).parts;
  } catch (error) {
    if (!(error instanceof UserError)) throw error;
    return asked.split("/").filter((part) => part !== "" && part !== ".");
  }
}

/** The entry as a `fail`; a bug is thrown on. */
function failed(entry: Pick<RestoreEntry, "path" | "target" | "node">, error: unknown): RestoreEntry {
  const kind = errorKind(error);
  if (kind === "bug") throw error;
  return { ...entry, action: "fail", error: { kind, message: describeError(error) } };
}

/** Two entries with one name could let a symlink redirect the other's contents: refuse the tree. */
function assertUniqueNames(tree: Tree, path: string): void {
  const names = new Set<string>();
  for (const node of tree.nodes) {
    if (names.has(node.name)) {
      throw new IntegrityError(
        `${describePath(path)}: the snapshot lists "${describePath(node.name)}" twice`,
      );
    }
    names.add(node.name);
  }
}

/** Throws a `UserError` unless the snapshot holds the path made of `parts` (`asked`, as given). */
async function assertPathIsInTree(
  source: TreeSource,
  root: Tree,
  parts: readonly string[],
  asked: string,
): Promise<void> {
  let tree = root;
  let walked = "";
  for (const [i, part] of parts.entries()) {
    const node = tree.nodes.find((n) => n.name === part);
    if (!node) throw new UserError(`Path "${asked}" is not in the snapshot`);
    walked += `/${part}`;
    // An unsafe name is refused when the walk meets it.
    if (i === parts.length - 1 || !isSafeName(part)) return;
    if (node.type !== "dir") throw new UserError(`Path "${walked}" is not a folder in the snapshot`);
    tree = node.subtree ? await source.loadTree(node.subtree) : { nodes: [] };
    assertUniqueNames(tree, walked);
  }
}
