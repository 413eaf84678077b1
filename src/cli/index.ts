// `modeldl`: the command-line face of the service. Plain Node; never imports electron.
import workerEntry from '../worker/index?modulePath'
import type { Entrypoints } from './entrypoints'
import { UsageError } from './usage-error'

/**
 * The whole help, every command's part of it. Commands are loaded only when run: `modeldl get`
 * need not parse the queue, the owner lock, the logger and the web server before its first byte.
 */
async function help(): Promise<string> {
  const [download, scan, info, control, worker, get, serve] = await Promise.all([
    import('./commands/download'),
    import('./commands/scan'),
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
