// `modeldl`: the command-line face of the service. Plain Node; never imports electron.
import workerEntry from '../worker/index?modulePath'
import { CONTROL_HELP, controlCommand } from './commands/control'
import { DOWNLOAD_HELP, downloadCommand } from './commands/download'
import { getCommand, GET_HELP } from './commands/get'
import { INFO_HELP, listCommand, progressCommand, queueCommand, statusCommand } from './commands/info'
import { SCAN_HELP, scanCommand } from './commands/scan'
import { SERVE_HELP, serveCommand } from './commands/serve'
import { WORKER_HELP, workerCommand } from './commands/worker'
import type { Entrypoints } from './entrypoints'
import { UsageError } from './usage-error'

const HELP = `modeldl — fetch model files from S3 or any S3-compatible store

${DOWNLOAD_HELP}

${SCAN_HELP}

${INFO_HELP}

${CONTROL_HELP}

${WORKER_HELP}

${GET_HELP}

${SERVE_HELP}`

const entry: Entrypoints = { worker: workerEntry, cli: process.argv[1] ?? '' }

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv
  switch (command) {
    case 'download':
      return downloadCommand(rest, entry)
    case 'scan':
      return scanCommand(rest)
    case 'progress':
      return progressCommand(rest)
    case 'list':
      return listCommand(rest)
    case 'queue':
      return queueCommand(rest)
    case 'status':
      return statusCommand(rest)
    case 'cancel':
    case 'pause':
    case 'resume':
    case 'retry':
      return controlCommand(command, rest, entry)
    case 'worker':
      return workerCommand(rest, entry)
    case 'get':
      return getCommand(rest, workerEntry)
    case 'serve':
      return serveCommand(rest, entry)
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      console.log(HELP)
      return 0
    default:
      throw new UsageError(`Unknown command "${command}". Run \`modeldl help\`.`)
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code
  },
  (err: unknown) => {
    const e = err as { code?: string; name?: string; message?: string }
    if (err instanceof UsageError || e?.code?.startsWith('ERR_PARSE_ARGS') || e?.code === 'bad_request') {
      console.error(`modeldl: ${e.message}`)
      process.exitCode = 2
    } else if (e?.name === 'ServiceError') {
      console.error(`modeldl: ${e.message}`)
      process.exitCode = 1
    } else {
      console.error('modeldl: unexpected error:', err)
      process.exitCode = 1
    }
  },
)
