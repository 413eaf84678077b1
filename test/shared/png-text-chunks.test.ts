// What the window sends of a PNG must read the same in core as the whole file: the same text, the
// same fault. Each case is a real PNG written by the test, read by core's reader both ways.
import { describe, expect, it } from 'vitest'
import { readPngText } from '../../src/core/workflow/png-text'
import { pngTextOnly } from '../../src/shared/png-text-chunks'
import { pngChunk, pngWithText } from '../support/png-file'

const WORKFLOW = '{"nodes": [{"id": 1, "type": "VAELoader", "widgets_values": ["ae.safetensors"]}]}'
const IMAGE = { type: 'raw', chunkType: 'IDAT', data: Buffer.alloc(256 * 1024, 9) } as const

/** What readPngText answers, or the message it fails with. */
function read(bytes: Uint8Array): Record<string, string> | string {
  try {
    return Object.fromEntries(readPngText(Buffer.from(bytes), ['workflow', 'prompt']))
  } catch (err) {
    return (err as Error).message
  }
}

describe('pngTextOnly', () => {
  const good = pngWithText([
    { type: 'tEXt', keyword: 'Software', text: 'ComfyUI' },
    IMAGE,
    { type: 'zTXt', keyword: 'workflow', text: WORKFLOW },
    {
      type: 'iTXt',
      keyword: 'prompt',
      text: '{"1": {"class_type": "VAELoader", "inputs": {}}}',
      compressed: true,
    },
  ])
  const withoutChunk = pngWithText([{ type: 'tEXt', keyword: 'Software', text: 'GIMP' }, IMAGE])
  const damaged = Buffer.from(good)
  damaged[damaged.indexOf('zTXt') + 10]! ^= 0xff // inside the workflow chunk's data: its CRC fails
  const cut = good.subarray(0, good.indexOf('zTXt') + 20) // mid-way through the workflow chunk
  const liar = Buffer.concat([
    pngWithText([], { iend: false }),
    Buffer.from([0xff, 0xff, 0xff, 0xff]),
    Buffer.from('tEXtxxxx'),
  ])

  it.each([
    ['a PNG with text before and after its image', good, /^\{"workflow/],
    ['a PNG without a workflow chunk', withoutChunk, /ends before its IEND|no "workflow"|^\{\}$/],
    ['a PNG whose workflow chunk fails its CRC', damaged, /fails its CRC check/],
    ['a PNG cut off inside the workflow chunk', cut, /truncated/],
    ['a PNG whose chunk claims more than the spec allows', liar, /claims 4294967295 bytes/],
    [
      'bytes after IEND',
      Buffer.concat([good, pngChunk('tEXt', Buffer.from('workflow\0{}'))]),
      /^\{"workflow/,
    ],
  ])('reads the same as the whole file: %s', (_what, bytes, whole) => {
    const sent = pngTextOnly(bytes)
    expect(JSON.stringify(read(bytes))).toMatch(whole)
    expect(read(sent)).toEqual(read(bytes))
  })

  it('leaves out the image: a 256 KiB render is sent as its text', () => {
    const sent = pngTextOnly(good)
    expect(good.length).toBeGreaterThan(256 * 1024)
    expect(sent.length).toBeLessThan(1024)
    expect(read(sent)).toMatchObject({ workflow: WORKFLOW })
  })

  it('returns anything that is not a PNG unchanged', () => {
    const json = new TextEncoder().encode(WORKFLOW)
    expect(pngTextOnly(json)).toBe(json)
  })
})
