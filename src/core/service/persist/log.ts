import electronLog from 'electron-log/node'
import { resolve } from 'node:path'
import { inspect } from 'node:util'
import { redactSecrets } from './redact'

export type LogLevel = 'debug' | 'info' | 'warn' | 'error'

/** What the persistence modules (and anything else that only needs to report) take as a logger. */
export type LogFn = (level: LogLevel, message: string) => void

export interface Logger {
  readonly file: string
  debug(message: string, ...data: unknown[]): void
  info(message: string, ...data: unknown[]): void
  warn(message: string, ...data: unknown[]): void
  error(message: string, ...data: unknown[]): void
  /** The same logger as a LogFn, for `new StateStore(path, { log: logger.log })`. */
  log: LogFn
}

export interface LoggerOptions {
  /** The file is renamed to `<name>.old<ext>` (replacing the previous one) once it passes this size. */
  maxBytes?: number
  /** Also print to the console (stderr/stdout); off by default because the CLI's stdout is its output. */
  console?: boolean
  level?: LogLevel
}

export const DEFAULT_LOG_MAX_BYTES = 5 * 1024 * 1024

const INSPECT = { depth: 5, breakLength: Infinity } as const

/** One line of text from a message and its data; no printf-style `%s` handling, so a `%` is just a `%`. */
function formatMessage(data: unknown[]): string {
  return data.map((item) => (typeof item === 'string' ? item : inspect(item, INSPECT))).join(' ')
}

/**
 * A logger writing to `file` through electron-log's file transport (plain Node: no Electron needed).
 * Every message is formatted to text and redacted before any transport sees it, so secrets inside
 * objects or error stacks are masked too.
 */
export function createLogger(file: string, options: LoggerOptions = {}): Logger {
  const path = resolve(file)
  // One electron-log instance per file: instances are registered by logId, and a shared id would let a
  // later createLogger redirect an earlier one. Loggers for the same file share electron-log's File
  // object (it keys them by path), which keeps the size count for rotation consistent.
  const instance = electronLog.create({ logId: `modeldl:${path}` })
  const level = options.level ?? 'debug'
  const transports = instance.transports
  // Without an app name electron-log looks for a package.json to name a default folder we never use,
  // and throws when a bundled CLI has none.
  transports.file.setAppName('modeldl')
  transports.file.resolvePathFn = () => path
  transports.file.maxSize = options.maxBytes ?? DEFAULT_LOG_MAX_BYTES
  transports.file.level = level
  transports.console.level = options.console ? level : false
  // ipc and remote make no sense here (in plain Node ipc is not even created).
  for (const name of ['ipc', 'remote']) {
    const transport = transports[name]
    if (transport) transport.level = false
  }
  instance.hooks.push((message) => ({ ...message, data: [redactSecrets(formatMessage(message.data))] }))

  const log: LogFn = (lvl, message) => instance[lvl](message)
  return {
    file: path,
    debug: (message, ...data) => instance.debug(message, ...data),
    info: (message, ...data) => instance.info(message, ...data),
    warn: (message, ...data) => instance.warn(message, ...data),
    error: (message, ...data) => instance.error(message, ...data),
    log,
  }
}
