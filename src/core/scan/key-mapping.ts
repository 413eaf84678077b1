import { isAbsolute, join, relative, sep } from 'node:path'

/**
 * The group of objects that sit directly under the source prefix, with no group folder of their own.
 * Their local path mirrors the source (`<models root>/<file>`); only the group label is made up.
 */
export const ROOT_GROUP = 'other'

/** Where one listed object goes locally under the ComfyUI layout. */
export interface MappedKey {
  group: string
  /** The path inside the group folder, '/'-separated (`sdxl/detail.safetensors`). */
  pathInGroup: string
  /** `group/path…/file`. */
  entryId: string
  /** The file name. */
  name: string
  /** Absolute, normalized, strictly inside the models root. */
  localPath: string
  /** Folders of the key relative to the prefix (`loras`, `loras/sdxl`), outermost first. */
  folders: string[]
}

// A segment that would mean something else to the file system than to S3, on any platform the
// config may travel to: `.` and `..` move, a backslash is a separator on Windows, a colon names a drive
// or a stream there, NUL ends a C string.
const UNSAFE_SEGMENT = /^\.{1,2}$|[\\:\0]/

/**
 * `<group>/<path…>/<file>` (relative to the source prefix) → its local place under `modelsRoot`, or
 * null when the key cannot be a file there: a folder marker (`…/`), an empty, `.` or `..` segment, or
 * anything that would land outside the root. S3 keys are arbitrary text; a hostile or careless one
 * must never name a path outside the models folder.
 */
export function mapKey(relativeKey: string, modelsRoot: string): MappedKey | null {
  const segments = relativeKey.split('/')
  if (segments.some((segment) => segment === '' || UNSAFE_SEGMENT.test(segment))) return null
  const name = segments[segments.length - 1] as string
  const grouped = segments.length > 1
  const group = grouped ? (segments[0] as string) : ROOT_GROUP
  const pathInGroup = grouped ? segments.slice(1).join('/') : name
  const localPath = join(modelsRoot, ...segments)
  const rel = relative(modelsRoot, localPath)
  if (rel === '' || rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)) return null
  const folders: string[] = []
  for (let i = 1; i < segments.length; i++) folders.push(segments.slice(0, i).join('/'))
  return { group, pathInGroup, entryId: `${group}/${pathInGroup}`, name, localPath, folders }
}

/** Lower-case, with a leading dot: how extensions are compared. */
export function normalizeExtensions(extensions: readonly string[]): string[] {
  return extensions
    .map((ext) => ext.trim().toLowerCase())
    .filter((ext) => ext !== '' && ext !== '.')
    .map((ext) => (ext.startsWith('.') ? ext : `.${ext}`))
}

export function hasModelExtension(name: string, normalizedExtensions: readonly string[]): boolean {
  const lower = name.toLowerCase()
  return normalizedExtensions.some((ext) => lower.endsWith(ext) && lower.length > ext.length)
}

/** The folders a folder-marker key (`loras/sdxl/`, an empty object some tools create) stands for. */
export function markerFolders(relativeKey: string): string[] {
  if (!relativeKey.endsWith('/')) return []
  const segments = relativeKey.slice(0, -1).split('/')
  if (segments.some((segment) => segment === '' || UNSAFE_SEGMENT.test(segment))) return []
  return segments.map((_, i) => segments.slice(0, i + 1).join('/'))
}
