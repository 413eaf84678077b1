// A source of a few hundred small objects in ComfyUI-style nested folders, seeded into s3rver, and what a
// scan of it must find. Shared by the scan, save-config and CLI tests.
import { createHash } from 'node:crypto'
import type { TestS3Server } from '../../support/s3-server'

/** Objects under `models/` (the source prefix), relative keys. */
export function fixtureKeys(): string[] {
  const keys: string[] = []
  const n = (i: number) => String(i).padStart(3, '0')
  for (let i = 0; i < 40; i++) keys.push(`checkpoints/base-${n(i)}.safetensors`)
  // A model with its compressed copy, one whose copy sorts right after it, and a copy with no model.
  keys.push('checkpoints/big.safetensors', 'checkpoints/big.safetensors.tar.zst')
  keys.push('checkpoints/zz-last.ckpt', 'checkpoints/zz-last.ckpt.tar.zst')
  keys.push('archives/only-copy.safetensors.tar.zst')
  for (let i = 0; i < 120; i++) keys.push(`loras/sdxl/detail-${n(i)}.safetensors`)
  for (let i = 0; i < 60; i++) keys.push(`loras/flux/style/ink-${n(i)}.SafeTensors`)
  for (let i = 0; i < 30; i++) keys.push(`vae/v-${n(i)}.pt`)
  for (let i = 0; i < 20; i++) keys.push(`unet/u-${n(i)}.gguf`)
  for (let i = 0; i < 20; i++) keys.push(`upscale_models/up-${n(i)}.pth`)
  keys.push('clip/clip_l.safetensors', 'clip/t5xxl_fp16.safetensors')
  keys.push('embeddings/neg.bin', 'embeddings/neg.onnx', 'embeddings/x.sft')
  // Not models: listed only with allTypes.
  keys.push('loras/sdxl/README.txt', 'docs/notes.md', 'vae/config.json')
  // Directly under the prefix: the ROOT_GROUP.
  keys.push('loose.safetensors')
  return keys
}

/** Tiny, distinct sizes derived from the key, so a wrong mapping shows up as a wrong size. */
export function fixtureSize(key: string): number {
  return 1 + (createHash('sha256').update(key).digest().readUInt16LE(0) % 500)
}

export function fixtureBody(key: string): Buffer {
  return Buffer.alloc(fixtureSize(key), key)
}

export const MODEL_COUNT_DEFAULT_TYPES = 40 + 2 + 120 + 60 + 30 + 20 + 20 + 2 + 3 + 1
/** Plus the three non-models and the orphan compressed copy. */
export const MODEL_COUNT_ALL_TYPES = MODEL_COUNT_DEFAULT_TYPES + 3 + 1

/** Puts every key under `prefix` with a few uploads in flight. */
export async function seedFixture(s3: TestS3Server, prefix: string, keys = fixtureKeys()): Promise<void> {
  let next = 0
  const worker = async () => {
    while (next < keys.length) {
      const key = keys[next++]!
      await s3.put(`${prefix}${key}`, fixtureBody(key))
    }
  }
  await Promise.all(Array.from({ length: 8 }, worker))
}
