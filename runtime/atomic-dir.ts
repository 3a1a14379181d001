// Writes a folder of generated files as a whole (`dslc FILE -o DIR`). A compiled model is only correct as a
// set: a manifest from one compile with kernels from another trains silently wrong. So the files go into a
// new sibling folder, and only once every one of them is written and flushed is that folder renamed into
// place. A crash or a full disk leaves the old folder (or, between the two renames, a backup of it beside
// the target) and never a mixture; files of an earlier, larger model are gone with the old folder.
import * as fs from "node:fs";
import * as path from "node:path";
import { syncFolder, writeFileSynced } from "./atomic-write.js";

/** Why a target cannot be written; the caller reports it as a usage error (`message` names the path). */
export class OutputDirError extends Error {
  constructor(message: string, readonly help: string) {
    super(message);
  }
}

export interface DirFile {
  path: string;
  /** Text, or bytes for binary files (an exported model's weights and model.onnx). */
  content: string | Uint8Array;
}

export interface DirWriteOptions {
  /** May an existing folder at the target be replaced? Anything else there is refused, never deleted. */
  replaceable: (dir: string) => string | undefined;
  /** Test seam: called after each file lands in the temporary folder (a throw simulates a crash there). */
  afterFile?: (index: number) => void;
}

/** Pseudo file systems: writing there is never meant, and some of their files block or grow forever. */
const PSEUDO = ["/proc", "/sys", "/dev"];

export function writeDirAtomic(dir: string, files: DirFile[], options: DirWriteOptions): void {
  const target = resolveTarget(dir);
  const parent = path.dirname(target);
  removeAbandoned(parent, target);
  const existing = inspectExisting(target, options);
  createParent(parent);
  const temporary = path.join(parent, `.${path.basename(target)}.dslc-${process.pid}-${Date.now().toString(36)}.tmp`);
  try {
    fs.mkdirSync(temporary);
  } catch (error) {
    throw ioError(error, parent, "create a folder in");
  }
  try {
    files.forEach((file, index) => {
      writeDurably(path.join(temporary, file.path), file.content);
      options.afterFile?.(index);
    });
    if (existing) fs.chmodSync(temporary, existing.mode & 0o7777);
    syncDir(temporary);
  } catch (error) {
    fs.rmSync(temporary, { recursive: true, force: true });
    throw error instanceof OutputDirError || !(error as NodeJS.ErrnoException).code ? error : ioError(error, temporary, "write");
  }
  swapIn(temporary, target, Boolean(existing));
  syncDir(parent);
}

/** The folder to replace: `-o link` replaces the folder the link points to, not the link. */
function resolveTarget(dir: string): string {
  let target = path.resolve(dir);
  try {
    target = fs.realpathSync(target);
  } catch {
    // Not there yet: resolve the nearest existing ancestor, so that `/proc/../proc/x` is still caught.
    let ancestor = path.dirname(target);
    while (!fs.existsSync(ancestor) && path.dirname(ancestor) !== ancestor) ancestor = path.dirname(ancestor);
    const real = safeRealpath(ancestor);
    target = path.join(real, path.relative(ancestor, target));
  }
  if (PSEUDO.some((root) => target === root || target.startsWith(root + "/")) && !target.startsWith("/dev/shm/"))
    throw new OutputDirError(`\`${dir}\` is on a system file system (${target.split("/").slice(0, 2).join("/")})`, "write the compiled model to an ordinary folder, e.g. `-o build/model`");
  if (path.dirname(target) === target) throw new OutputDirError(`\`${dir}\` is the root folder`, "name a new or dslc-written folder, e.g. `-o build/model`");
  return target;
}

function safeRealpath(file: string): string {
  try {
    return fs.realpathSync(file);
  } catch {
    return file;
  }
}

function inspectExisting(target: string, options: DirWriteOptions): fs.Stats | undefined {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(target);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw ioError(error, target, "inspect");
  }
  if (!stat.isDirectory()) throw new OutputDirError(`\`${target}\` is a file, not a folder`, "name a new folder for the compiled model, or the folder an earlier `dslc -o` wrote");
  // Mode bits, not access(2): as root every folder is writable, but a read-only one is still a clear intent.
  if ((stat.mode & 0o222) === 0) throw new OutputDirError(`\`${target}\` is read-only`, "make it writable (`chmod u+w`) or choose another folder");
  const refusal = fs.readdirSync(target).length === 0 ? undefined : options.replaceable(target);
  if (refusal) throw new OutputDirError(`\`${target}\` ${refusal}; it was left untouched`, "choose a new folder, or move those files away, since `-o` replaces the whole folder");
  return stat;
}

function createParent(parent: string): void {
  try {
    fs.mkdirSync(parent, { recursive: true });
    fs.accessSync(parent, fs.constants.W_OK);
  } catch (error) {
    throw ioError(error, parent, "write in");
  }
}

/**
 * A run killed while writing leaves its temporary folder behind; it is never read (the target was not
 * touched), and the next run removes those whose process is gone, so they do not pile up. A run killed
 * between its two renames leaves no target and the old folder as a backup: that is put back first.
 */
function removeAbandoned(parent: string, target: string): void {
  const base = path.basename(target);
  const pattern = new RegExp(`^\\.${base.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\\.dslc-(\\d+)-[0-9a-z]+\\.(tmp|old)$`);
  for (const name of safeReaddir(parent).sort()) {
    const match = pattern.exec(name);
    if (!match || alive(Number(match[1]))) continue;
    const abandoned = path.join(parent, name);
    try {
      if (match[2] === "old" && !fs.existsSync(target)) fs.renameSync(abandoned, target);
      else fs.rmSync(abandoned, { recursive: true, force: true });
    } catch {
      // Tidying is best effort: what cannot be removed is still never read.
    }
  }
}

function safeReaddir(dir: string): string[] {
  try {
    return fs.readdirSync(dir);
  } catch {
    return [];
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Node has no renameat2(RENAME_EXCHANGE), so an existing folder is moved aside first: for a moment the
 * target is absent (a reader finds no model rather than half of one), and the old folder is removed only
 * once the new one is in place.
 */
function swapIn(temporary: string, target: string, replace: boolean): void {
  const backup = temporary.replace(/\.tmp$/, ".old");
  try {
    if (replace) fs.renameSync(target, backup);
  } catch (error) {
    fs.rmSync(temporary, { recursive: true, force: true });
    throw ioError(error, target, "replace");
  }
  try {
    fs.renameSync(temporary, target);
  } catch (error) {
    if (replace) fs.renameSync(backup, target);
    fs.rmSync(temporary, { recursive: true, force: true });
    throw ioError(error, target, "replace");
  }
  if (replace) fs.rmSync(backup, { recursive: true, force: true });
}

function writeDurably(file: string, content: string | Uint8Array): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  writeFileSynced(file, content, "wx");
}

function syncDir(dir: string): void {
  try {
    syncFolder(dir);
  } catch {
    // Some file systems refuse fsync on a folder; the rename is still atomic, only its durability is weaker.
  }
}

const REASONS: Record<string, string> = {
  EACCES: "permission denied",
  EPERM: "operation not permitted",
  EROFS: "the file system is read-only",
  ENOTDIR: "a part of the path is a file, not a folder",
  ENOSPC: "no space left on the device",
  EDQUOT: "disk quota exceeded",
  EEXIST: "it already exists",
  EBUSY: "it is in use (a mount point?)",
  ENAMETOOLONG: "the name is too long",
  ELOOP: "too many symbolic links",
};

function ioError(error: unknown, file: string, action: string): OutputDirError {
  const code = (error as NodeJS.ErrnoException).code;
  const reason = (code && REASONS[code]) ?? (error instanceof Error ? error.message : String(error));
  return new OutputDirError(`cannot ${action} \`${file}\`: ${reason}`, "choose a folder you can write to, e.g. `-o build/model`");
}
