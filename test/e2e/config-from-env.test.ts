// The demo tells people to export MODEL_CONFIG_FILE and run `modeldl serve --ui`: the window must open
// with that config loaded, as `download` uses it, not on "No model config loaded".
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startUiSession, type UiSession } from './support/ui-session'
import { modelRow, nestedConfig, objectKeys, type ModelObject } from './support/ui-helpers'

const MODELS: ModelObject[] = [
  { group: 'loras', name: 'detail_lora.safetensors', size: 64 * 1024 },
  { group: 'vae', name: 'ae.safetensors', size: 32 * 1024 },
]

let session: UiSession

beforeAll(async () => {
  session = await startUiSession({
    objects: objectKeys(MODELS),
    config: () => nestedConfig(MODELS),
    loadConfigAtStart: 'env',
  })
}, 120_000)

afterAll(async () => {
  await session?.close()
})

describe('modeldl serve --ui with MODEL_CONFIG_FILE and no --config', () => {
  it('opens the window on that config', async () => {
    const page = await session.newPage()
    for (const m of MODELS) await modelRow(page, m.name).waitFor({ timeout: 15_000 })
    await expect(page.getByText('No model config loaded').count()).resolves.toBe(0)
    await expect(page.getByText('config.json', { exact: true }).count()).resolves.toBeGreaterThan(0)
    expect(session.stderr()).toContain(`Loaded 2 models from ${session.work}/config.json`)
  })
})
