/**
 * True for an entry name that would escape an extraction folder: absolute (POSIX or Windows) or with a
 * `..` segment. Unpacking never uses entry names as paths (the one member goes to the model's own
 * path), but an archive that holds such names was not made by our tooling, and a tool a person might
 * run on it later would write outside its folder: such archives are refused whole.
 */
export function isUnsafeEntryName(name: string): boolean {
  if (name.startsWith('/') || name.startsWith('\\') || /^[A-Za-z]:/.test(name)) return true
  return name.split(/[\\/]/).includes('..')
}

/** The last segment of an entry name: `models/x.safetensors` and `./x.safetensors/` both give `x.safetensors`. */
export function entryBaseName(name: string): string {
  const segments = name.split('/').filter((s) => s !== '')
  return segments[segments.length - 1] ?? ''
}

/** A member name must be a bare file name: it is matched against entries' last segments. */
export function isBareFileName(name: string): boolean {
  return name !== '' && name !== '.' && name !== '..' && !/[\\/\0]/.test(name)
}
