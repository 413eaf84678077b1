import { mkdir, readFile } from 'node:fs/promises'
import { dirname } from 'node:path'
import { z } from 'zod'
import { writeFileAtomic } from '../fs/atomic-write'

export const MAX_RECENT_CONFIGS = 10

const RecentFileSchema = z.object({ recent: z.array(z.string()) })

/** The config files opened lately, most recent first, kept in the state folder (`recent-configs.json`). */
export class RecentConfigs {
  private writing: Promise<void> = Promise.resolve()

  private constructor(
    readonly path: string,
    private paths: string[],
  ) {}

  /** A missing or unreadable file is an empty list: losing this list is harmless. */
  static async open(path: string): Promise<RecentConfigs> {
    let paths: string[] = []
    try {
      const parsed = RecentFileSchema.safeParse(JSON.parse(await readFile(path, 'utf8')))
      if (parsed.success) paths = parsed.data.recent.slice(0, MAX_RECENT_CONFIGS)
    } catch {
      // absent or damaged: start empty
    }
    return new RecentConfigs(path, paths)
  }

  list(): string[] {
    return [...this.paths]
  }

  /** Moves the path to the front; persisted before the promise resolves. */
  add(path: string): Promise<void> {
    this.paths = [path, ...this.paths.filter((p) => p !== path)].slice(0, MAX_RECENT_CONFIGS)
    const snapshot = `${JSON.stringify({ recent: this.paths }, null, 2)}\n`
    this.writing = this.writing.then(async () => {
      await mkdir(dirname(this.path), { recursive: true })
      await writeFileAtomic(this.path, snapshot)
    })
    const done = this.writing
    this.writing = done.catch(() => {})
    return done
  }
}
