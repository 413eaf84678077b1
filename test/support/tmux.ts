// A real terminal for the tests of what a terminal shows: a tmux server of our own (its own socket,
// so no user's session is touched), one pane of a given size running a command, read back with
// `tmux capture-pane` — the screen, or the screen with everything that scrolled off above it.
import { execFileSync, spawnSync } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'

export function hasTmux(): boolean {
  return spawnSync('tmux', ['-V']).status === 0
}

export interface TmuxPane {
  /** The visible screen, one string per row, wrapped rows joined back into their line. */
  screen(): string[]
  /** The scrollback and the screen, wrapped rows joined back into their line. */
  everything(): string[]
  kill(): void
}

let sockets = 0

/**
 * Runs `command` (a bash command line) with `env` in a `columns` × `rows` pane. The pane's shell
 * prints `EXIT <status>` when the command ends and then waits, so that the screen can still be read.
 */
export function tmuxPane(
  dir: string,
  command: string,
  env: Record<string, string | undefined>,
  columns: number,
  rows: number,
): TmuxPane {
  const socket = `modeldl-test-${process.pid}-${sockets++}`
  const script = join(dir, `${socket}.sh`)
  const exports = Object.entries(env)
    .filter((e): e is [string, string] => e[1] !== undefined)
    .map(([k, v]) => `export ${k}='${v.replace(/'/g, `'\\''`)}'`)
  writeFileSync(script, [...exports, command, 'echo "EXIT $?"', 'exec sleep 600', ''].join('\n'))
  const tmux = (...args: string[]): string =>
    execFileSync('tmux', ['-L', socket, '-f', '/dev/null', ...args], { encoding: 'utf8' })
  tmux('new-session', '-d', '-x', String(columns), '-y', String(rows), `bash ${script}`)
  const capture = (...extra: string[]): string[] => {
    const lines = tmux('capture-pane', '-p', '-J', ...extra).split('\n')
    while (lines.length && lines[lines.length - 1] === '') lines.pop()
    return lines
  }
  return {
    screen: () => capture(),
    everything: () => capture('-S', '-'),
    kill: () => {
      spawnSync('tmux', ['-L', socket, 'kill-server'])
    },
  }
}
