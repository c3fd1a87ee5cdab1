/**
 * The service's work folder: uploads on their way in, extracted archives, exports on their way out.
 *
 * It holds other people's data, so it is private (mode 0700, owned by the service's user), and each
 * running instance works in its own sub-folder `instance-<worker id>`. An instance that dies —
 * killed mid-import, out of memory — leaves its folder behind; the next instance to start removes
 * every instance folder whose worker no longer holds its database lock (the same test that marks
 * its imports failed), so a crash costs no disk for longer than until the next start.
 */
import { chmod, lstat, mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';

export const INSTANCE_PREFIX = 'instance-';
const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
const INSTANCE_RE = new RegExp(`^${INSTANCE_PREFIX}(${UUID})$`, 'i');
/** What versions before per-instance folders left directly in the work folder (all transient). */
const LEGACY_RE = new RegExp(`^(uploads|${UUID}|candidate-${UUID})$`, 'i');

export interface PreparedWorkDir {
  /** This instance's private folder. */
  dir: string;
  /** Entries of the work folder removed as leftovers of dead instances. */
  removed: string[];
}

/** Creates dir (0700) if missing; refuses one that is a symlink or someone else's; tightens its mode. */
export async function ensurePrivateDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const st = await lstat(dir);
  if (!st.isDirectory()) throw new Error(`work folder ${dir} is not a directory (a symlink or a file); refusing to use it`);
  const uid = process.getuid?.();
  if (uid !== undefined && st.uid !== uid) {
    throw new Error(`work folder ${dir} belongs to user ${st.uid}, not to the service's user ${uid}; set ZHANBU_WORK_DIR to a folder of its own`);
  }
  if ((st.mode & 0o777) !== 0o700) await chmod(dir, 0o700);
}

/**
 * Makes the work folder private, removes what dead instances left in it, and creates this
 * instance's folder (empty, 0700). `isAlive` says whether the instance with that id still runs.
 * Entries the service did not create (anything not named like its own folders) are left alone:
 * the work folder may be a shared place such as /tmp by mistake.
 */
export async function prepareWorkDir(base: string, instanceId: string, isAlive: (id: string) => Promise<boolean>): Promise<PreparedWorkDir> {
  await ensurePrivateDir(base);
  const removed: string[] = [];
  for (const name of await readdir(base)) {
    const m = INSTANCE_RE.exec(name);
    const dead = m ? m[1]!.toLowerCase() !== instanceId.toLowerCase() && !(await isAlive(m[1]!)) : LEGACY_RE.test(name);
    if (dead) {
      await rm(join(base, name), { recursive: true, force: true });
      removed.push(name);
    }
  }
  const dir = join(base, `${INSTANCE_PREFIX}${instanceId}`);
  await rm(dir, { recursive: true, force: true });
  await ensurePrivateDir(dir);
  await ensurePrivateDir(join(dir, 'uploads'));
  return { dir, removed };
}
