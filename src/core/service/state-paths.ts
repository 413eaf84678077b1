import { createHash } from 'node:crypto'
import { homedir, tmpdir } from 'node:os'
import { join, resolve } from 'node:path'

/** Every file of one state folder. Exactly one process owns a state folder at a time. */
export interface StatePaths {
  dir: string
  /** Queue and model records (atomic writes, with the previous good copy beside it). */
  stateFile: string
  /** The old system's progress JSON, for scripts and backends. */
  progressFile: string
  logFile: string
  /** Who owns the folder now: {pid, kind, since, socket}. Written by the owner, advisory. */
  ownerFile: string
  /** The owner's local socket (a named pipe on Windows). */
  socketPath: string
  settingsFile: string
}

type Env = Record<string, string | undefined>

/** MODELDL_HOME, else the platform's per-user state folder. */
export function defaultStateDir(env: Env = process.env, platform = process.platform): string {
  if (env['MODELDL_HOME']) return resolve(env['MODELDL_HOME'])
  if (platform === 'win32') return join(env['LOCALAPPDATA'] ?? join(homedir(), 'AppData', 'Local'), 'modeldl')
  if (platform === 'darwin') return join(homedir(), 'Library', 'Application Support', 'modeldl')
  return join(env['XDG_STATE_HOME'] ?? join(homedir(), '.local', 'state'), 'modeldl')
}

// Unix socket paths are limited to ~104-108 bytes; a deep state folder gets one in the temp folder.
const MAX_SOCKET_PATH = 100

export function statePaths(dir: string, env: Env = process.env, platform = process.platform): StatePaths {
  const abs = resolve(dir)
  const tag = createHash('sha256').update(abs).digest('hex').slice(0, 16)
  let socketPath = join(abs, 'modeldl.sock')
  if (platform === 'win32') socketPath = `\\\\.\\pipe\\modeldl-${tag}`
  else if (Buffer.byteLength(socketPath) > MAX_SOCKET_PATH) socketPath = join(tmpdir(), `modeldl-${tag}.sock`)
  return {
    dir: abs,
    stateFile: join(abs, 'state.json'),
    progressFile: env['DOWNLOAD_PROGRESS_FILE']
      ? resolve(env['DOWNLOAD_PROGRESS_FILE'])
      : join(abs, 'progress.json'),
    logFile: env['MODEL_DOWNLOAD_LOG'] ? resolve(env['MODEL_DOWNLOAD_LOG']) : join(abs, 'modeldl.log'),
    ownerFile: join(abs, 'owner.json'),
    socketPath,
    settingsFile: join(abs, 'settings.json'),
  }
}
