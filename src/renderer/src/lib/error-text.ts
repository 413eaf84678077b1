// A download's error as a row can show it: the reason first, the object after. The service's messages
// name the object or file they are about ("Not found: s3://bucket/a/long/key.safetensors"); in a
// narrow cell that path pushes the reason out of sight, and the row already says which model it is.

export interface ReasonFirst {
  /** The message with the row's own object and file replaced by "it", other paths shortened. */
  reason: string
  /** The S3 object or path the message was about, shown after the reason (cut first when narrow). */
  where: string | undefined
}

/** s3:// URIs and absolute POSIX or Windows paths, up to a space, a colon-space, a comma or a bracket. */
const PATHS = /s3:\/\/[^\s,()]+?(?=[:,)]?(?:\s|$))|(?:[A-Za-z]:\\|\/)[^\s,():]*[/\\][^\s,():]+/g

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}

function lastPart(path: string): string {
  return path.split(/[\\/]/).filter(Boolean).pop() ?? path
}

export function reasonFirst(message: string, own: Array<string | undefined>): ReasonFirst {
  let reason = message
  let where: string | undefined
  // Longest first: a local path may contain a shorter one.
  for (const path of own.filter((p): p is string => !!p).sort((a, b) => b.length - a.length)) {
    if (!reason.includes(path)) continue
    where ??= path
    const p = escape(path)
    reason = reason
      // "Not found: <path>" → "Not found"
      .replace(new RegExp(`:\\s*${p}\\s*$`), '')
      // "<path> changed on the server…" → "It changed on the server…"
      .replace(new RegExp(`^${p}(?=\\s)`), 'It')
      .replaceAll(path, 'it')
  }
  // Paths of other files (a link's target): their last part says enough in a row.
  reason = reason.replace(PATHS, (path) => {
    where ??= path
    return `…/${lastPart(path)}`
  })
  return { reason: reason.trim() || message, where }
}
