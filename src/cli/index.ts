// `modeldl`: the command-line face of the engine. Plain Node; never imports electron.
import workerEntry from '../worker/index?modulePath'
import { getCommand, GET_HELP } from './commands/get'
import { UsageError } from './usage-error'

const HELP = `modeldl — fetch model files from S3 or any S3-compatible store

Commands:
  get <s3://bucket/key> <local-path> …   fetch objects now (resumable, verified)
  help [command]                         this text, or a command's options

${GET_HELP}`

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv
  switch (command) {
    case 'get':
      return getCommand(rest, workerEntry)
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
    if (err instanceof UsageError || (err as { code?: string })?.code?.startsWith('ERR_PARSE_ARGS')) {
      console.error(`modeldl: ${(err as Error).message}`)
      process.exitCode = 2
    } else {
      console.error('modeldl: unexpected error:', err)
      process.exitCode = 1
    }
  },
)
