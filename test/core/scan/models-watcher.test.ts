// ModelsWatcher on real folders: a deleted or added file under a nested group folder, a folder made after
// start, a root that appears later or is replaced, and close() releasing everything.
import { mkdir, rename, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { afterEach, describe, expect, it } from 'vitest'
import { ModelsWatcher } from '../../../src/core/scan/models-watcher'
import { tempDirs } from '../../support/temp'

const temp = tempDirs()
const watchers: ModelsWatcher[] = []
afterEach(async () => {
  await Promise.all(watchers.splice(0).map((w) => w.close()))
  await temp.cleanup()
})

/** Counts onChange calls; `next()` waits for the next one (or fails after `ms`). */
function recorder() {
  let calls = 0
  let waiters: Array<() => void> = []
  return {
    onChange: () => {
      calls++
      const w = waiters
      waiters = []
      for (const resolve of w) resolve()
    },
    get calls() {
      return calls
    },
    next(ms = 2_000): Promise<number> {
      const started = Date.now()
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no change noticed within ${ms} ms`)), ms)
        waiters.push(() => {
          clearTimeout(timer)
          resolve(Date.now() - started)
        })
      })
    },
  }
}

for (const strategy of ['per-directory', 'recursive'] as const) {
  describe(`ModelsWatcher (${strategy})`, () => {
    const make = async (root: string, rec: ReturnType<typeof recorder>, pollMs = 100) => {
      const watcher = new ModelsWatcher(root, rec.onChange, { debounceMs: 100, pollMs, strategy })
      watchers.push(watcher)
      await watcher.start()
      return watcher
    }

    it('notices a file deleted and a file added in a nested group folder, each within a second or two', async () => {
      const root = await temp.make('modeldl-watch-')
      await mkdir(join(root, 'loras', 'sdxl'), { recursive: true })
      await writeFile(join(root, 'loras', 'sdxl', 'a.safetensors'), 'x')
      const rec = recorder()
      await make(root, rec)
      await sleep(150)
      expect(rec.calls).toBe(0)

      let change = rec.next()
      await rm(join(root, 'loras', 'sdxl', 'a.safetensors'))
      expect(await change).toBeLessThan(2_000)

      change = rec.next()
      await writeFile(join(root, 'loras', 'sdxl', 'b.safetensors'), 'y')
      await change

      // A folder made after start is watched too.
      change = rec.next()
      await mkdir(join(root, 'vae', 'new'), { recursive: true })
      await change
      await sleep(150)
      change = rec.next()
      await writeFile(join(root, 'vae', 'new', 'c.pt'), 'z')
      await change
    })

    it('makes one call of a burst', async () => {
      const root = await temp.make('modeldl-watch-')
      const rec = recorder()
      await make(root, rec)
      const change = rec.next()
      for (let i = 0; i < 20; i++) await writeFile(join(root, `f${i}.safetensors`), 'x')
      await change
      await sleep(400)
      expect(rec.calls).toBe(1)
    })

    it('still reports under a steady stream of writes (a download filling its .part file)', async () => {
      const root = await temp.make('modeldl-watch-')
      const rec = recorder()
      const watcher = new ModelsWatcher(root, rec.onChange, { debounceMs: 300, maxWaitMs: 500, strategy })
      watchers.push(watcher)
      await watcher.start()
      for (let i = 0; i < 30; i++) {
        await writeFile(join(root, 'x.safetensors.part'), Buffer.alloc(i + 1))
        await sleep(50)
      }
      expect(rec.calls).toBeGreaterThanOrEqual(2)
    })

    it('waits for a root that does not exist yet, then watches it', async () => {
      const parent = await temp.make('modeldl-watch-')
      const root = join(parent, 'ComfyUI', 'models')
      const rec = recorder()
      await make(root, rec)

      let change = rec.next()
      await mkdir(join(root, 'checkpoints'), { recursive: true })
      await change
      await sleep(150)
      change = rec.next()
      await writeFile(join(root, 'checkpoints', 'x.safetensors'), 'x')
      await change
    })

    it('keeps watching when the root is removed and made again', async () => {
      const parent = await temp.make('modeldl-watch-')
      const root = join(parent, 'models')
      await mkdir(join(root, 'loras'), { recursive: true })
      const rec = recorder()
      await make(root, rec)

      let change = rec.next()
      await rename(root, join(parent, 'models-old'))
      await change
      change = rec.next()
      await mkdir(join(root, 'vae'), { recursive: true })
      await change
      await sleep(150)
      change = rec.next()
      await writeFile(join(root, 'vae', 'v.pt'), 'x')
      await change
    })

    it('close() stops every notice', async () => {
      const root = await temp.make('modeldl-watch-')
      await mkdir(join(root, 'loras'))
      const rec = recorder()
      const watcher = await make(root, rec)
      await writeFile(join(root, 'loras', 'a.safetensors'), 'x')
      await watcher.close()
      await writeFile(join(root, 'loras', 'b.safetensors'), 'x')
      await sleep(400)
      expect(rec.calls).toBe(0)
    })
  })
}
