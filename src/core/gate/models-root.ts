// What may be a models root. A root is the fence every model path is checked against, so a root of
// "/" or a system folder would let every path through: such a folder is refused wherever a root is
// set (a window's Settings, settings.json, MODELDL_MODELS_ROOT, --models-root).
import { stat } from 'node:fs/promises'
import { parse } from 'node:path'
import { resolveRoot, type Checked, type ModelsRoot } from '../config/path-safety'

/** Never a models root, nor anything inside them: the OS's own files and its virtual file systems. */
const SYSTEM_TREES = [
  '/bin',
  '/boot',
  '/dev',
  '/etc',
  '/lib',
  '/lib32',
  '/lib64',
  '/libx32',
  '/proc',
  '/run',
  '/sbin',
  '/sys',
  '/usr',
  '/System',
  '/Library',
  '/private/etc',
  '/private/var/db',
]
/** Never a models root themselves (models belong in a folder of their own below them). */
const TOO_BROAD = [
  '/home',
  '/Users',
  '/var',
  '/tmp',
  '/private',
  '/private/tmp',
  '/private/var',
  '/mnt',
  '/media',
  '/opt',
  '/srv',
  '/root',
  '/Volumes',
]
const WINDOWS_SYSTEM = /^[a-z]:\\(windows|program files|program files \(x86\)|programdata)(\\|$)/i

function inside(tree: string, path: string): boolean {
  return path === tree || path.startsWith(`${tree}/`)
}

/** Why `real` (a resolved, normalized absolute path) cannot be a models root, or null. */
export function systemFolderProblem(real: string): string | null {
  const trimmed = real.length > 1 ? real.replace(/[\\/]+$/, '') : real
  if (trimmed === parse(trimmed).root || trimmed === '') return 'is the root of the file system'
  if (WINDOWS_SYSTEM.test(trimmed)) return 'is a system folder'
  const tree = SYSTEM_TREES.find((t) => inside(t, trimmed))
  if (tree) return tree === trimmed ? 'is a system folder' : `is inside the system folder ${tree}`
  if (TOO_BROAD.includes(trimmed)) return 'holds far more than models: pick a folder of its own below it'
  return null
}

/**
 * Checks a folder offered as a models root: absolute, no "..", not a system folder (neither as
 * written nor where its symlinks lead). With `mustExist` (a window picking a root) it must also be an
 * existing folder: a window never creates folders on the way.
 */
export async function checkModelsRoot(
  configured: string,
  options: { mustExist: boolean },
): Promise<Checked<{ root: ModelsRoot }>> {
  const resolved = await resolveRoot(configured)
  if (!resolved.ok) return resolved
  const { root } = resolved
  for (const path of new Set([root.lexical, root.real])) {
    const problem = systemFolderProblem(path)
    if (problem) {
      const where = path === root.lexical ? '' : ` (it leads to ${path})`
      return { ok: false, message: `${configured}${where} ${problem}: it cannot be a models root` }
    }
  }
  if (options.mustExist) {
    const st = await stat(root.real).catch((err: NodeJS.ErrnoException) => err)
    if (st instanceof Error) {
      const why = st.code === 'ENOENT' ? 'does not exist' : `cannot be read (${st.code ?? st.message})`
      return { ok: false, message: `${configured} ${why}: create the folder first, then choose it` }
    }
    if (!st.isDirectory()) return { ok: false, message: `${configured} is not a folder` }
  }
  return { ok: true, root }
}
