import { resolve } from 'node:path'
import { TransferError, TransferStopped } from '../../core/transfer/errors'
import { formatBytes } from '../../core/transfer/preflight'
import { parseS3Uri } from '../../core/transfer/s3-uri'
import { WorkerHost } from '../../core/worker-host'
import { preforkedLauncher } from '../../core/worker-prefork'
import { SIZE_ONLY } from '../../shared/service-contract'
import {
  DEFAULT_TUNING,
  type TransferJob,
  type TransferProgress,
  type TransferResult,
  type TransferTuning,
} from '../../shared/transfer'
import { describeVerification } from '../../shared/verification'
import { UsageError } from '../usage-error'
import { parseFlags } from '../parse-flags'

export const GET_HELP = `modeldl get <s3://bucket/key> <local-path> [<s3://bucket/key> <local-path> …] [options]

Fetches objects straight to local paths with the transfer engine (no queue): resumable, verified,
nothing at the final path until it is complete. Credentials and endpoint come from the standard AWS
variables (AWS_PROFILE, AWS_ACCESS_KEY_ID…, AWS_REGION, AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL).

Options:
  --jobs N            files fetched at once (default 4)
  --connections N     parallel ranged GETs per file (default: 1 for a server on this machine, 4 otherwise)
  --part-size BYTES   bytes per ranged GET (default ${DEFAULT_TUNING.partSize}); suffixes K, M, G allowed
  --limit BYTES/S     bandwidth limit for all files together (0 = none); suffixes K, M, G allowed
  --sha256 HEX        expected sha256 (only with a single object)
  --no-verify         skip the ETag-MD5 check (size and S3 checksums are still verified)
  --quiet             no progress output
  --json              progress and results as JSON lines on stdout
Exit status: 0 all files complete and verified, 1 any failed or was interrupted, 2 bad input.`

export function parseByteSize(text: string, flag: string): number {
  const m = /^(\d+(?:\.\d+)?)([KMG]i?B?)?$/i.exec(text.trim())
  if (!m) throw new UsageError(`${flag} takes a byte count such as 67108864, 64M or 1G, got "${text}"`)
  const unit = (m[2] ?? '').toUpperCase()[0]
  const mult = unit === 'K' ? 1024 : unit === 'M' ? 1024 ** 2 : unit === 'G' ? 1024 ** 3 : 1
  return Math.round(Number(m[1]) * mult)
}

function parsePositive(text: string, flag: string): number {
  const n = Number(text)
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`${flag} takes a whole number ≥ 1, got "${text}"`)
  return n
}

export async function getCommand(argv: string[], workerEntry: string): Promise<number> {
  const { values, positionals } = parseFlags({
    args: argv,
    allowPositionals: true,
    options: {
      jobs: { type: 'string' },
      connections: { type: 'string' },
      'part-size': { type: 'string' },
      limit: { type: 'string' },
      sha256: { type: 'string' },
      'no-verify': { type: 'boolean' },
      quiet: { type: 'boolean' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  })
  if (values.help) {
    console.log(GET_HELP)
    return 0
  }
  if (positionals.length === 0 || positionals.length % 2 !== 0) {
    throw new UsageError('get needs pairs of <s3://bucket/key> <local-path>')
  }
  const jobs: TransferJob[] = []
  for (let i = 0; i < positionals.length; i += 2) {
    const s3Uri = positionals[i]!
    try {
      parseS3Uri(s3Uri)
    } catch (err) {
      throw new UsageError((err as Error).message)
    }
    jobs.push({ id: String(i / 2 + 1), s3Uri, localPath: resolve(positionals[i + 1]!) })
  }
  if (values.sha256) {
    if (jobs.length !== 1) throw new UsageError('--sha256 goes with a single object')
    if (!/^[0-9a-f]{64}$/i.test(values.sha256)) throw new UsageError('--sha256 takes 64 hex digits')
    jobs[0]!.sha256 = values.sha256.toLowerCase()
  }
  const tuning: TransferTuning = {
    ...DEFAULT_TUNING,
    ...(values.connections ? { connectionsPerFile: parsePositive(values.connections, '--connections') } : {}),
    ...(values['part-size'] ? { partSize: parseByteSize(values['part-size'], '--part-size') } : {}),
    ...(values.limit ? { bandwidthLimitBps: parseByteSize(values.limit, '--limit') } : {}),
    ...(values['no-verify'] ? { verifyEtagMd5: false } : {}),
  }
  const concurrency = values.jobs ? parsePositive(values.jobs, '--jobs') : 4

  // The worker bin/modeldl.js forked while this bundle loaded, if any (else a new one).
  const host = new WorkerHost({ entry: workerEntry, s3: {}, tuning, launcher: preforkedLauncher })
  const reporter = new ProgressReporter(values.json ? 'json' : values.quiet ? 'quiet' : 'text', jobs)
  host.on('progress', (p) => reporter.progress(p))
  host.on('log', (level, message) => {
    if (level !== 'debug' && !values.quiet) console.error(`${level}: ${message}`)
  })
  let interrupted = false
  const onSigint = (): void => {
    interrupted = true
    reporter.line('Pausing: partial files are kept and the next run resumes them.')
    for (const j of jobs) host.pause(j.id)
  }
  process.on('SIGINT', onSigint)

  let failures = 0
  let next = 0
  const runNext = async (): Promise<void> => {
    while (next < jobs.length && !interrupted) {
      const job = jobs[next++]!
      try {
        const result = await host.run(job)
        reporter.done(job, result)
      } catch (err) {
        failures++
        if (err instanceof TransferStopped) reporter.failed(job, err.reason, err.message)
        else if (err instanceof TransferError) reporter.failed(job, err.code, err.message)
        else reporter.failed(job, 'internal', String(err))
      }
    }
  }
  try {
    await Promise.all(Array.from({ length: Math.min(concurrency, jobs.length) }, runNext))
  } finally {
    process.off('SIGINT', onSigint)
    await host.shutdown()
  }
  return failures === 0 && !interrupted ? 0 : 1
}

class ProgressReporter {
  private lastLine = 0
  constructor(
    private readonly mode: 'text' | 'json' | 'quiet',
    private readonly jobs: TransferJob[],
  ) {}

  progress(p: TransferProgress): void {
    if (this.mode === 'json') return void console.log(JSON.stringify({ event: 'progress', ...p }))
    if (this.mode !== 'text' || !process.stderr.isTTY || this.jobs.length > 1) return
    const now = Date.now()
    if (now - this.lastLine < 250) return
    this.lastLine = now
    const pct = p.totalBytes ? ((p.bytesDone / p.totalBytes) * 100).toFixed(1) : '100.0'
    const eta = p.etaSeconds === null ? '' : ` ETA ${p.etaSeconds}s`
    process.stderr.write(
      `\r${p.phase.padEnd(10)} ${pct.padStart(5)}%  ${formatBytes(p.bytesDone)} / ${formatBytes(p.totalBytes)}  ${formatBytes(p.speedBps)}/s${eta}   `,
    )
  }

  done(job: TransferJob, result: TransferResult): void {
    const { size, durationMs: ms, bytesResumed } = result
    const verified = result.verified.map((v) => v.algorithm)
    // The service's words for a record's verifiedBy, so a script reads `get` and `list` alike.
    const verifiedBy = result.verified.length ? result.verified.map(describeVerification) : [SIZE_ONLY]
    if (this.mode === 'json')
      return void console.log(
        JSON.stringify({
          event: 'done',
          id: job.id,
          localPath: job.localPath,
          size,
          bytesResumed,
          ms,
          verified,
          verifiedBy,
        }),
      )
    if (this.mode === 'quiet') return
    if (process.stderr.isTTY && this.jobs.length === 1) process.stderr.write('\n')
    const check = result.verified.length
      ? `verified by ${verifiedBy.join(', ')}`
      : 'size only: the store gave no checksum and its ETag is not an MD5; pass --sha256 to verify the bytes'
    console.error(`done  ${job.localPath}  ${formatBytes(size)} in ${(ms / 1000).toFixed(2)} s (${check})`)
  }

  failed(job: TransferJob, code: string, message: string): void {
    if (this.mode === 'json')
      return void console.log(
        JSON.stringify({ event: 'failed', id: job.id, localPath: job.localPath, code, message }),
      )
    if (process.stderr.isTTY && this.jobs.length === 1) process.stderr.write('\n')
    console.error(`${code}  ${job.localPath}: ${message}`)
  }

  line(text: string): void {
    if (this.mode !== 'json') console.error(text)
  }
}
