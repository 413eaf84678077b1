// A block of lines redrawn in place at the bottom of a terminal, as log-update does: the previous frame
// is erased row by row from the bottom up and the new one written. Three rules keep old frames out of
// the scrollback: no line is as wide as the terminal (it would wrap, and the erase would miss the extra
// row); no frame is taller than the screen (the cursor cannot go up into the scrollback to erase what
// scrolled there); and never "erase to the end of the screen" from its top row, which tmux (option
// scroll-on-clear, on by default) treats as a clear screen and saves the whole frame into the history.
const HIDE_CURSOR = '\x1b[?25l'
const SHOW_CURSOR = '\x1b[?25h'
const ERASE_LINE = '\x1b[2K'
const UP = '\x1b[1A'
const COLUMN_ONE = '\x1b[G'

/** The part of a TTY stream the frame needs (process.stderr on a terminal). */
export interface FrameOutput {
  write(text: string): boolean
  columns?: number
  rows?: number
  on(event: 'resize', listener: () => void): unknown
  off(event: 'resize', listener: () => void): unknown
}

export class TerminalFrame {
  /** The lines of the frame on screen, as written. */
  private drawn: string[] = []
  private hidden = false
  private readonly restore = (): void => {
    if (this.hidden) this.out.write(SHOW_CURSOR)
  }

  constructor(
    private readonly out: FrameOutput,
    /** Called when the terminal changes size: the caller draws again for the new width. */
    private readonly resized: () => void = () => undefined,
  ) {
    out.on('resize', this.onResize)
    process.once('exit', this.restore)
  }

  /** Lines may use at most this many characters: one less than the terminal, so none wraps. */
  width(): number {
    return Math.max(20, (this.out.columns || 80) - 1)
  }

  /** A frame may use at most this many lines: the screen less the cursor's row. */
  height(): number {
    return Math.max(3, (this.out.rows || 24) - 1)
  }

  /** Replaces the frame on screen with these lines. */
  draw(lines: readonly string[]): void {
    const fitted = lines.slice(0, this.height())
    const hide = this.hidden ? '' : HIDE_CURSOR
    this.hidden = true
    this.out.write(hide + this.erase() + fitted.map((l) => `${l}\n`).join(''))
    this.drawn = [...fitted]
  }

  /** Writes a line that stays (above the frame), then the frame again below it. */
  log(line: string): void {
    const frame = this.drawn
    this.out.write(this.erase() + `${line}\n`)
    this.drawn = []
    if (frame.length) this.draw(frame)
  }

  /** Erases the frame, writes these lines for good, and gives the cursor back. */
  done(lines: readonly string[] = []): void {
    this.out.write(this.erase() + lines.map((l) => `${l}\n`).join('') + (this.hidden ? SHOW_CURSOR : ''))
    this.drawn = []
    this.hidden = false
    this.out.off('resize', this.onResize)
    process.off('exit', this.restore)
  }

  private readonly onResize = (): void => this.resized()

  /**
   * Clears the cursor's (empty) row and each row the frame takes now (a narrower terminal rewraps its
   * lines), going up, and leaves the cursor at the start of the frame's first row.
   */
  private erase(): string {
    if (this.drawn.length === 0) return ''
    const columns = Math.max(1, this.out.columns || 80)
    const rows = this.drawn.reduce((n, line) => n + Math.max(1, Math.ceil([...line].length / columns)), 0)
    return (ERASE_LINE + UP).repeat(rows) + ERASE_LINE + COLUMN_ONE
  }
}
