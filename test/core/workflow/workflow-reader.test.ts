// Reading ComfyUI workflows from real files: the editor's JSON, the API JSON, PNGs carrying either in
// tEXt, zTXt or iTXt chunks, and the inputs that must fail with a clear message.
import { mkdir, readFile, truncate, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { deflateSync } from 'node:zlib'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { readWorkflowFile } from '../../../src/core/workflow/workflow-reader'
import { WorkflowError } from '../../../src/core/workflow/workflow-error'
import { pngChunk, pngWithText } from '../../support/png-file'
import { tempDirs } from '../../support/temp'

const FIXTURES = join(import.meta.dirname, '../../fixtures/workflows')
const fixture = (name: string) => readFile(join(FIXTURES, name), 'utf8')

const temp = tempDirs()
let dir: string
beforeEach(async () => {
  dir = await temp.make('modeldl-workflow-')
})
afterEach(() => temp.cleanup())

async function write(name: string, content: string | Buffer): Promise<string> {
  const path = join(dir, name)
  await writeFile(path, content)
  return path
}

async function failure(path: string): Promise<WorkflowError> {
  const err = await readWorkflowFile(path).then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(err).toBeInstanceOf(WorkflowError)
  return err as WorkflowError
}

const brief = (models: { name: string; folder: string }[]) => models.map((m) => `${m.folder}/${m.name}`)

describe('the editor (UI) format', () => {
  it('maps loader widgets to folders, keeps subfolders, merges the models lists and lists unknown nodes', async () => {
    const read = await readWorkflowFile(join(FIXTURES, 'flux-template.json'))
    expect(read.format).toBe('ui')
    expect(read.container).toBe('json')
    expect(brief(read.models)).toEqual([
      'diffusion_models/flux1-dev.safetensors',
      'text_encoders/clip_l.safetensors',
      'text_encoders/t5xxl_fp16.safetensors',
      'vae/ae.safetensors',
      'loras/flux/detail.safetensors',
      'upscale_models/4x-UltraSharp.pth',
      'unknown/adapters/fancy-v2.gguf',
    ])
    const byName = new Map(read.models.map((m) => [m.name, m]))
    expect(byName.get('flux1-dev.safetensors')).toMatchObject({
      url: 'https://huggingface.co/Comfy-Org/flux1-dev/resolve/main/flux1-dev.safetensors?download=true',
      nodes: [{ id: '1', type: 'UNETLoader' }],
    })
    // The top-level list carries the URL and the hash of a model a node loads.
    expect(byName.get('t5xxl_fp16.safetensors')).toMatchObject({
      url: expect.stringContaining('flux_text_encoders'),
      sha256: '6e480b09fae049a72d2a8c5fbccb8d3e92febeb233bbe9dfe7256958a9167635',
      nodes: [{ id: '2', type: 'DualCLIPLoader' }],
    })
    expect(byName.get('adapters/fancy-v2.gguf')?.nodes).toEqual([{ id: '7', type: 'ApplyFancyAdapter' }])
    expect(read.models.every((m) => m.problem === undefined)).toBe(true)
  })

  it('finds nodes inside subgraphs and a graph sent as a /prompt body; merges an unknown value a models list names', async () => {
    const workflow = {
      nodes: [{ id: 1, type: 'MyGGUFLoader', widgets_values: ['flux-q8.gguf'] }],
      definitions: {
        subgraphs: [
          { id: 'sg', nodes: [{ id: 5, type: 'CheckpointLoader', widgets_values: ['v1.yaml', 'a.ckpt'] }] },
        ],
      },
      models: [{ name: 'flux-q8.gguf', directory: 'diffusion_models', url: 'file:///etc/shadow' }],
    }
    const read = await readWorkflowFile(await write('sub.json', JSON.stringify(workflow)))
    expect(brief(read.models)).toEqual(['diffusion_models/flux-q8.gguf', 'checkpoints/a.ckpt'])
    expect(read.models[0]).toMatchObject({ nodes: [{ id: '1', type: 'MyGGUFLoader' }] })
    expect(read.models[0]!.url).toBeUndefined()
    expect(read.models[0]!.notes.join()).toMatch(/not http\(s\) and is ignored/)

    const body = {
      prompt: { '1': { class_type: 'VAELoader', inputs: {} } },
      extra_data: { extra_pnginfo: { workflow } },
    }
    expect((await readWorkflowFile(await write('body.json', JSON.stringify(body)))).format).toBe('ui')
  })
})

describe('the API format', () => {
  it('maps loader inputs to folders, skips links, lists unknown nodes with a model-like value', async () => {
    const read = await readWorkflowFile(join(FIXTURES, 'sdxl-api.json'))
    expect(read.format).toBe('api')
    expect(brief(read.models)).toEqual([
      'checkpoints/sdxl/sd_xl_base_1.0.safetensors',
      'loras/sdxl/detail.safetensors',
      'controlnet/controlnet-canny-sdxl.safetensors',
      'unknown/face/restore.onnx.pth',
    ])
    expect(read.models[1]!.nodes).toEqual([{ id: '10', type: 'LoraLoader' }])
  })

  it('marks names that would leave the models folder as never fetched, and keeps them listed', async () => {
    const read = await readWorkflowFile(join(FIXTURES, 'hostile-names.json'))
    expect(read.models.map((m) => [m.name, m.problem === undefined])).toEqual([
      ['../../../etc/passwd.safetensors', false],
      ['/abs/vae.safetensors', false],
      ['C:\\models\\x.ckpt', false],
      ['ok/fine.safetensors', true],
    ])
    expect(read.models[0]!.problem).toMatch(/not a plain relative path.*never fetched/)

    const ui = {
      nodes: [],
      models: [
        { name: 'a.safetensors', directory: '../../etc' },
        { name: 'b\nc.pt', directory: 'vae' },
      ],
    }
    const fromList = await readWorkflowFile(await write('traversal.json', JSON.stringify(ui)))
    expect(fromList.models.map((m) => m.problem)).toEqual([
      expect.stringMatching(/^the folder is not a plain relative path/),
      expect.stringMatching(/^the name is not a plain relative path.*control character/),
    ])
  })
})

describe('PNG files', () => {
  it('reads the editor graph from a tEXt "workflow" chunk, and the API prompt from a "prompt" chunk', async () => {
    const ui = await fixture('flux-template.json')
    const api = await fixture('sdxl-api.json')
    const both = await readWorkflowFile(
      await write(
        'both.png',
        pngWithText([
          { type: 'tEXt', keyword: 'prompt', text: api },
          { type: 'tEXt', keyword: 'workflow', text: ui },
        ]),
      ),
    )
    expect(both).toMatchObject({ format: 'ui', container: 'png:workflow' })
    expect(both.models).toEqual((await readWorkflowFile(join(FIXTURES, 'flux-template.json'))).models)

    const prompt = await readWorkflowFile(
      await write('prompt.png', pngWithText([{ type: 'tEXt', keyword: 'prompt', text: api }])),
    )
    expect(prompt).toMatchObject({ format: 'api', container: 'png:prompt' })
    expect(prompt.models).toHaveLength(4)
  })

  it('reads zTXt and iTXt (compressed or not, UTF-8 names) and falls back to the prompt when the graph is broken', async () => {
    const api = JSON.stringify({
      '1': { class_type: 'LoraLoader', inputs: { lora_name: 'stil/über-ß.safetensors' } },
    })
    for (const chunk of [
      { type: 'zTXt', keyword: 'prompt', text: await fixture('sdxl-api.json') },
      { type: 'iTXt', keyword: 'prompt', text: api, compressed: true },
      { type: 'iTXt', keyword: 'prompt', text: api },
    ] as const) {
      const read = await readWorkflowFile(await write(`${chunk.type}.png`, pngWithText([chunk])))
      expect(read.container, chunk.type).toBe('png:prompt')
      expect(read.models.length).toBeGreaterThan(0)
    }
    const utf8 = await readWorkflowFile(
      await write('utf8.png', pngWithText([{ type: 'iTXt', keyword: 'prompt', text: api }])),
    )
    expect(utf8.models[0]!.name).toBe('stil/über-ß.safetensors')

    const fallback = await readWorkflowFile(
      await write(
        'fallback.png',
        pngWithText([
          { type: 'tEXt', keyword: 'workflow', text: '{"nodes": [' },
          { type: 'tEXt', keyword: 'prompt', text: api },
        ]),
      ),
    )
    expect(fallback.container).toBe('png:prompt')
  })

  it('refuses a PNG without a workflow, a damaged chunk, a cut-off file and a decompression bomb', async () => {
    const a1111 = pngWithText([{ type: 'tEXt', keyword: 'parameters', text: 'a cat, Steps: 20' }])
    expect((await failure(await write('plain.png', a1111))).message).toMatch(
      /plain\.png: a PNG without a ComfyUI workflow: it has no "workflow" or "prompt" text chunk/,
    )
    const good = pngWithText([
      { type: 'tEXt', keyword: 'workflow', text: await fixture('flux-template.json') },
    ])
    const damaged = Buffer.from(good)
    damaged[60] = damaged[60]! ^ 0xff // inside the tEXt chunk's text
    const crc = await failure(await write('damaged.png', damaged))
    expect(crc).toMatchObject({ code: 'bad_png' })
    expect(crc.message).toMatch(/tEXt chunk fails its CRC check/)

    // Cut inside the text chunk: nothing before the cut carries a workflow.
    expect((await failure(await write('cut.png', good.subarray(0, 80)))).message).toMatch(/truncated/)
    // Cut after it (a partly copied file): the text chunk is whole, so the workflow is read.
    const noEnd = pngWithText([{ type: 'tEXt', keyword: 'prompt', text: await fixture('sdxl-api.json') }], {
      iend: false,
    })
    expect((await readWorkflowFile(await write('noend.png', noEnd))).format).toBe('api')

    const bomb = Buffer.concat([
      Buffer.from('workflow\0\0', 'latin1'),
      deflateSync(Buffer.alloc(40 * 1024 * 1024, 0x20)),
    ])
    const big = await failure(
      await write('bomb.png', pngWithText([{ type: 'raw', chunkType: 'zTXt', data: bomb }])),
    )
    expect(big).toMatchObject({ code: 'too_large' })
    expect(big.message).toMatch(/inflates to more than 32 MiB/)

    const claims = Buffer.concat([
      pngWithText([]).subarray(0, 8),
      pngChunk('tEXt', Buffer.from('prompt\0{}')).subarray(0, 4),
    ])
    claims.writeUInt32BE(0xffffffff, 8)
    expect(
      (await failure(await write('claims.png', Buffer.concat([claims, Buffer.alloc(20)])))).message,
    ).toMatch(/claims 4294967295 bytes/)
  })
})

describe('bad input', () => {
  it('names a truncated JSON, a file that is neither, a model config, an empty file and a missing one', async () => {
    const text = await fixture('flux-template.json')
    const cut = await failure(await write('cut.json', text.slice(0, 500)))
    expect(cut.code).toBe('bad_json')
    expect(cut.message).toMatch(
      /cut\.json: not valid JSON at line \d+, column \d+: .*\(the file looks cut short\)/,
    )

    expect((await failure(await write('notes.txt', 'hello, world'))).message).toMatch(
      /neither a ComfyUI workflow \(\.json\) nor a PNG that carries one/,
    )
    const jpeg = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 0x10, 0x4a, 0x46])
    expect((await failure(await write('photo.jpg', jpeg))).code).toBe('not_a_workflow')
    const config = [
      { directoryGroup: 'vae', modelName: 'a', originalS3Path: 's3://b/a', localPath: '/x', modelSize: 1 },
    ]
    expect((await failure(await write('config.json', JSON.stringify(config)))).message).toMatch(
      /not a ComfyUI workflow.*This looks like a model config: use modeldl download/,
    )
    expect((await failure(await write('empty.json', ''))).message).toMatch(/the file is empty/)
    expect((await failure(join(dir, 'nope.json'))).message).toMatch(/nope\.json: file not found/)
    await mkdir(join(dir, 'folder.json'))
    expect((await failure(join(dir, 'folder.json'))).message).toMatch(/is a folder, not a workflow file/)
  })

  it('refuses huge inputs before reading them: a 65 MiB file, a 21 MiB JSON', async () => {
    const huge = await write('huge.png', '')
    await truncate(huge, 65 * 1024 * 1024) // sparse: nothing is written, only the size is claimed
    const big = await failure(huge)
    expect(big.code).toBe('too_large')
    expect(big.message).toMatch(/a workflow may be at most 64\.0 MiB/)

    const json = await write('big.json', `{"nodes": [], "pad": "${'x'.repeat(21 * 1024 * 1024)}"}`)
    expect((await failure(json)).message).toMatch(
      /the JSON is too large \(21\.0 MiB\); a workflow may be at most 20\.0 MiB/,
    )
  })
})
