import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { expect } from 'vitest'
import { ConfigError, type ConfigIssue, type ModelConfigOptions } from '../../../src/core/config'
import { tempDirs } from '../../support/temp'

export const temp = tempDirs()

export interface Layout {
  /** The temp dir holding everything, outside the models root. */
  base: string
  /** What NETWORK_VOLUME points at. */
  volume: string
  /** The one models root: `<volume>/ComfyUI/models`, created. */
  root: string
  options: ModelConfigOptions
}

export async function makeLayout(): Promise<Layout> {
  const base = await temp.make('modeldl-config-')
  const volume = join(base, 'volume')
  const root = join(volume, 'ComfyUI', 'models')
  await mkdir(root, { recursive: true })
  return {
    base,
    volume,
    root,
    options: { networkVolume: volume, defaultBucket: 'models-bucket', modelsRoots: [root] },
  }
}

/** A valid flat-format model; override fields to break it. */
export function flatModel(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    directoryGroup: 'loras',
    modelName: 'foo.safetensors',
    originalS3Path: 'models/loras/foo.safetensors',
    localPath: '{{NETWORK_VOLUME}}/ComfyUI/models/loras/foo.safetensors',
    modelSize: 1234,
    ...overrides,
  }
}

/** Awaits a rejection that must be a ConfigError and returns it for closer checks. */
export async function rejection(promise: Promise<unknown>): Promise<ConfigError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(err).toBeInstanceOf(ConfigError)
  return err as ConfigError
}

/** The issues as `entry|field`, for checking which entries and fields were named. */
export function named(issues: ConfigIssue[]): string[] {
  return issues.map((issue) => `${issue.entry}|${issue.field}`)
}
