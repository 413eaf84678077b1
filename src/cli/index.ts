// `modeldl`: the command-line face of the service. Plain Node; never imports electron.
import { resolve } from 'node:path'
import { defaultStateDir, statePaths } from '../core/service/state-paths'
import workerEntry from '../worker/index?modulePath'
import type { Entrypoints } from './entrypoints'
import { knownFailure, UsageError } from './usage-error'

/**
 * The whole help, every command's part of it. Commands are loaded only when run: `modeldl get`
 * need not parse the queue, the owner lock, the logger and the web server before its first byte.
 */
async function help(): Promise<string> {
  const [download, scan, workflow, info, control, worker, get, serve] = await Promise.all([
    import('./commands/download'),
    import('./commands/scan'),
    import('./commands/workflow'),
    import('./commands/info'),
    import('./commands/control'),
    import('./commands/worker'),
    import('./commands/get'),
    import('./commands/serve'),
  ])
  return [
    'modeldl — fetch model files from S3 or any S3-compatible store',
    download.DOWNLOAD_HELP,
    scan.SCAN_HELP,
    workflow.WORKFLOW_HELP,
    info.INFO_HELP,
    control.CONTROL_HELP,
    worker.WORKER_HELP,
    get.GET_HELP,
    serve.SERVE_HELP,
  ].join('\n\n')
}

const entry: Entrypoints = { worker: workerEntry, cli: process.argv[1] ?? '' }

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv
  switch (command) {
    case 'download':
      return (await import('./commands/download')).downloadCommand(rest, entry)
    case 'scan':
      return (await import('./commands/scan')).scanCommand(rest)
    case 'workflow':
      return (await import('./commands/workflow')).workflowCommand(rest, entry)
    case 'progress':
      return (await import('./commands/info')).progressCommand(rest, entry)
    case 'list':
      return (await import('./commands/info')).listCommand(rest, entry)
    case 'queue':
      return (await import('./commands/info')).queueCommand(rest, entry)
    case 'status':
      return (await import('./commands/info')).statusCommand(rest, entry)
    case 'cancel':
    case 'pause':
    case 'resume':
    case 'retry':
      return (await import('./commands/control')).controlCommand(command, rest, entry)
    case 'worker':
      return (await import('./commands/worker')).workerCommand(rest, entry)
    case 'get':
      return (await import('./commands/get')).getCommand(rest, workerEntry)
    case 'serve':
      return (await import('./commands/serve')).serveCommand(rest, entry)
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      console.log(await help())
      return 0
    default:
      throw new UsageError(`Unknown command "${command}". Run \`modeldl help\`.`)
  }
}

/** The log a report should come with: `--home DIR` if given, else MODELDL_HOME or the default folder. */
function logFileFor(argv: string[]): string {
  let home: string | undefined
  argv.forEach((arg, i) => {
    if (arg === '--home') home = argv[i + 1]
    else if (arg.startsWith('--home=')) home = arg.slice('--home='.length)
  })
  return statePaths(home ? resolve(home) : defaultStateDir()).logFile
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code
  },
  (err: unknown) => {
    const known = knownFailure(err)
    if (known) {
      console.error(`modeldl: ${known.message}`)
      process.exitCode = known.exitCode
      return
    }
    // Not a condition the program knows: the stack is what a bug report needs.
    console.error('modeldl: unexpected error:', err)
    console.error(
      `modeldl: this looks like a bug; the log is ${logFileFor(process.argv.slice(2))}. ` +
        'Please report it with the lines above.',
    )
    process.exitCode = 1
  },
)
