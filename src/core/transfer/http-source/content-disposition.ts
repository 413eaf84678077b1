/**
 * The file name a Content-Disposition header gives (`filename*=UTF-8''…` preferred over
 * `filename="…"`), reduced to a plain name: no folders, no control characters, never `.` or `..`.
 * Null when there is none worth using.
 */
export function fileNameFromDisposition(header: string | undefined): string | null {
  if (!header) return null
  const extended = /filename\*\s*=\s*([^']*)'[^']*'([^;]+)/i.exec(header)
  let name: string | undefined
  if (extended) {
    try {
      name = decodeURIComponent(extended[2]!.trim())
    } catch {
      name = undefined
    }
  }
  if (name === undefined) {
    const quoted = /filename\s*=\s*"((?:[^"\\]|\\.)*)"/i.exec(header)
    const bare = /filename\s*=\s*([^;\s]+)/i.exec(header)
    name = quoted ? quoted[1]!.replace(/\\(.)/g, '$1') : bare?.[1]
  }
  if (name === undefined) return null
  // eslint-disable-next-line no-control-regex
  const plain = (name.split(/[\\/]/).pop() ?? '').replace(/[\u0000-\u001f\u007f]/g, '').trim()
  return plain === '' || plain === '.' || plain === '..' ? null : plain
}
