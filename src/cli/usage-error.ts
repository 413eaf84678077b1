/** Bad input on the command line: printed without a stack, exit status 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError'
}

/** What file-system error codes mean, for conditions of the machine rather than bugs. */
const FS_CONDITIONS: Record<string, string> = {
  ENOTDIR: 'a part of the path is a file, not a folder',
  EISDIR: 'is a folder, not a file',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
}

/**
 * The message and exit status of an error the CLI knows: bad usage or settings (2), a service that
 * refused or is unavailable, a state folder that cannot be used, a file-system condition (1). Null for
 * anything else: that is a bug or something unforeseen, and gets a stack trace.
 */
export function knownFailure(err: unknown): { message: string; exitCode: number } | null {
  const e = err as { code?: unknown; name?: unknown; message?: unknown; path?: unknown; syscall?: unknown }
  if (!e || typeof e !== 'object' || typeof e.message !== 'string') return null
  const code = typeof e.code === 'string' ? e.code : undefined
  if (err instanceof UsageError || code?.startsWith('ERR_PARSE_ARGS') || code === 'bad_request')
    return { message: e.message, exitCode: 2 }
  if (e.name === 'ServiceError' || e.name === 'StateFolderError') return { message: e.message, exitCode: 1 }
  const problem = code ? FS_CONDITIONS[code] : undefined
  if (problem && typeof e.path === 'string') {
    const doing = typeof e.syscall === 'string' ? `${e.syscall} ` : ''
    return { message: `Cannot ${doing}${e.path}: ${problem} (${code})`, exitCode: 1 }
  }
  return null
}
