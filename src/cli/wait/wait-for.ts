// `download --wait`: follows the models through the owner's events until each is completed, failed or
// cancelled, and shows them. Three displays: a frame redrawn in place on a terminal, plain lines when
// stderr is not one (logs, CI, tests parse them), JSON lines on stdout with --json. Ctrl-C pauses.
import { TERMINAL_STATUSES, type ModelRecord } from '../../shared/service-contract'
import { describeRetry, retryNotice } from '../../shared/retry-notice'
import { listJson, percent, statusLine, terminalSafe } from '../format'
import { followModels } from '../model-follower'
import type { ServiceSession } from '../owner-session'
import { closingSummary, frameLines, modelLabel } from './progress-lines'
import { TerminalFrame } from './terminal-frame'

export type Display = 'tty' | 'lines' | 'json'

export interface WaitOptions {
  display: Display
  /** The command to type again to resume after Ctrl-C, e.g. `modeldl download missing --wait`. */
  resumeCommand: string
}

/** A terminal frame is redrawn at most this often: progress ticks come up to ten times a second. */
const REDRAW_MS = 100
/** Plain lines: how often the running models' percentages are listed. */
const LINES_SUMMARY_MS = 5_000

export async function waitFor(session: ServiceSession, ids: string[], options: WaitOptions): Promise<number> {
  const { display } = options
  const started = Date.now()
  const view = display === 'tty' ? new FrameView() : display === 'lines' ? new LinesView() : new JsonView()
  const bytes = new MovedBytes()
  let interrupted = false
  let latest: ModelRecord[] = []
  let end!: (code: number) => void
  let lost!: (error: unknown) => void
  const finished = new Promise<number>((resolve, reject) => {
    end = resolve
    lost = reject
  })
  const finish = (code: number): void => {
    const closing =
      display === 'json' ? [] : closingSummary(latest, bytes.total(latest), (Date.now() - started) / 1000)
    const notes: string[] = []
    if (interrupted) notes.push(`Paused. To resume, run the same command again: ${options.resumeCommand}`)
    else {
      for (const r of latest.filter((m) => m.status !== 'completed'))
        notes.push(terminalSafe(`${r.status}: ${r.localPath}${r.errorMessage ? `: ${r.errorMessage}` : ''}`))
    }
    view.close([...closing, ...notes])
    end(code)
  }
  const check = (records: ModelRecord[]): void => {
    const done = records.every((r) => TERMINAL_STATUSES.includes(r.status))
    if (!done && !(interrupted && records.every((r) => r.status !== 'progress'))) return
    if (interrupted) return finish(1)
    finish(records.every((r) => r.status === 'completed') ? 0 : 1)
  }
  const onSigint = (): void => {
    if (interrupted) return
    interrupted = true
    view.note('Pausing: partial files are kept; running the same command again resumes them.')
    void session.api
      .pause({ ids })
      .catch(() => undefined)
      .then(() => check(latest))
  }
  let stop: (() => void) | null = null
  process.on('SIGINT', onSigint)
  try {
    stop = await followModels(session, ids, {
      onRecords: (records) => {
        latest = records
        bytes.observe(records)
        view.show(records)
        check(records)
      },
      onLost: (error) => {
        view.close([])
        lost(error)
      },
    })
    return await finished
  } finally {
    stop?.()
    process.off('SIGINT', onSigint)
  }
}

interface View {
  show(records: readonly ModelRecord[]): void
  /** A line that stays, whatever is redrawn after it. */
  note(line: string): void
  /** The last lines; nothing is drawn after them. */
  close(lines: readonly string[]): void
}

/** The terminal: a header, a line per running model, a line for the finished ones; redrawn in place. */
class FrameView implements View {
  private readonly frame = new TerminalFrame(process.stderr, () => this.render())
  private records: readonly ModelRecord[] = []
  private timer: ReturnType<typeof setTimeout> | null = null
  private lastDraw = 0
  private closed = false

  show(records: readonly ModelRecord[]): void {
    this.records = records
    if (this.timer) return
    const wait = this.lastDraw + REDRAW_MS - Date.now()
    if (wait <= 0) this.render()
    else this.timer = setTimeout(() => this.render(), wait)
  }

  note(line: string): void {
    if (!this.closed) this.frame.log(line)
  }

  close(lines: readonly string[]): void {
    if (this.closed) return
    this.closed = true
    if (this.timer) clearTimeout(this.timer)
    this.frame.done(lines)
  }

  private render(): void {
    this.timer = null
    if (this.closed) return
    this.lastDraw = Date.now()
    this.frame.draw(frameLines(this.records, this.frame.width(), this.frame.height()))
  }
}

/** Not a terminal: a line per status change (tests and scripts parse these), running ones now and then. */
class LinesView implements View {
  private readonly last = new Map<string, string>()
  private lastSummary = 0

  show(records: readonly ModelRecord[]): void {
    for (const r of records) {
      const notice = retryNotice(r, Date.now())
      const key = `${r.status}:${notice ? `retry ${notice.attempt}` : ''}:${r.fetchedBy ?? ''}`
      if (this.last.get(r.id) === key) continue
      this.last.set(r.id, key)
      console.error(
        notice ? `retrying  ${modelLabel(r)}: ${terminalSafe(describeRetry(notice))}` : statusLine(r),
      )
    }
    if (Date.now() - this.lastSummary > LINES_SUMMARY_MS) {
      this.lastSummary = Date.now()
      const running = records.filter((r) => r.status === 'progress')
      if (running.length)
        console.error(running.map((r) => `${terminalSafe(r.modelName)} ${percent(r)}%`).join(', '))
    }
  }

  note(line: string): void {
    console.error(line)
  }

  close(lines: readonly string[]): void {
    for (const line of lines) console.error(line)
  }
}

/** --json: a line on stdout whenever a model's status or bytes change. */
class JsonView implements View {
  private readonly last = new Map<string, string>()

  show(records: readonly ModelRecord[]): void {
    for (const r of records) {
      const key = `${r.status}:${r.downloaded}`
      if (this.last.get(r.id) === key) continue
      this.last.set(r.id, key)
      console.log(JSON.stringify({ event: 'model', ...listJson(r) }))
    }
  }

  note(line: string): void {
    console.error(line)
  }

  close(lines: readonly string[]): void {
    for (const line of lines) console.error(line)
  }
}

/**
 * Bytes this run brought over: each model's bytes beyond what it had when first seen (a resumed
 * `.part`, a file found complete), so the closing MB/s is the network's, not the disk's.
 */
class MovedBytes {
  private readonly start = new Map<string, number>()

  observe(records: readonly ModelRecord[]): void {
    for (const r of records) if (!this.start.has(r.id)) this.start.set(r.id, bytesOf(r))
  }

  total(records: readonly ModelRecord[]): number {
    // A link moves no bytes of its own: its target did.
    return records
      .filter((r) => !r.linkTo)
      .reduce((sum, r) => sum + Math.max(0, bytesOf(r) - (this.start.get(r.id) ?? 0)), 0)
  }
}

function bytesOf(r: ModelRecord): number {
  return r.status === 'completed' ? r.totalSize || r.expectedSize : r.downloaded
}
