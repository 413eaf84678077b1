// The reason of a failure before the path it names, for a row too narrow for both.
import { describe, expect, it } from 'vitest'
import { reasonFirst } from '../../../src/renderer/src/lib/error-text'

const uri = 's3://models/models/loras/pixel_art.safetensors'
const file = '/workspace/ComfyUI/models/loras/pixel_art.safetensors'
const own = [uri, file]

describe('reasonFirst', () => {
  it('drops a trailing ": <object>" and keeps the object for after', () => {
    expect(reasonFirst(`Not found: ${uri}`, own)).toEqual({ reason: 'Not found', where: uri })
    expect(reasonFirst(`Its bucket does not exist: ${uri}`, own).reason).toBe('Its bucket does not exist')
  })

  it('calls the row\'s own object or file "it" inside a sentence', () => {
    expect(reasonFirst(`The server failed HEAD of ${uri} (503)`, own).reason).toBe(
      'The server failed HEAD of it (503)',
    )
    expect(reasonFirst(`${uri} changed on the server during the download`, own).reason).toBe(
      'It changed on the server during the download',
    )
    expect(reasonFirst(`Not enough free space for ${file}: 6.9 GB needed`, own)).toEqual({
      reason: 'Not enough free space for it: 6.9 GB needed',
      where: file,
    })
  })

  it('shortens other paths to their last part and leaves words like s3:ListBucket alone', () => {
    const target = '/workspace/ComfyUI/models/clip/clip_l.safetensors'
    expect(
      reasonFirst(`Its target ${target} failed: Not found: s3://b/models/clip/clip_l.safetensors`, own),
    ).toEqual({
      reason: 'Its target …/clip_l.safetensors failed: Not found: …/clip_l.safetensors',
      where: target,
    })
    expect(reasonFirst(`Access denied to ${uri} (the credentials lack s3:ListBucket)`, own).reason).toBe(
      'Access denied to it (the credentials lack s3:ListBucket)',
    )
  })

  it('keeps a message that names no path as it is', () => {
    expect(reasonFirst('The worker stopped unexpectedly', own)).toEqual({
      reason: 'The worker stopped unexpectedly',
      where: undefined,
    })
  })
})
