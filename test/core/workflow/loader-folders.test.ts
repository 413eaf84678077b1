// The loader table against the list of ComfyUI loaders: each one, in both formats, lands in
// its folder; the input names and widget positions are those of ComfyUI's INPUT_TYPES.
import { describe, expect, it } from 'vitest'
import { foldersFor, LOADER_FOLDERS, looksLikeModelFile } from '../../../src/core/workflow/loader-folders'
import { COMFY_MODEL_FOLDERS } from '../../../src/shared/url-model'
import { workflowModels, workflowShape } from '../../../src/core/workflow/workflow-models'

// [node type, input name, widgets before it, folder] as ComfyUI's nodes.py and comfy_extras define them.
const EXPECTED: Array<[string, string, number, string]> = [
  ['CheckpointLoaderSimple', 'ckpt_name', 0, 'checkpoints'],
  ['CheckpointLoader', 'ckpt_name', 1, 'checkpoints'],
  ['ImageOnlyCheckpointLoader', 'ckpt_name', 0, 'checkpoints'],
  ['unCLIPCheckpointLoader', 'ckpt_name', 0, 'checkpoints'],
  ['LoraLoader', 'lora_name', 0, 'loras'],
  ['LoraLoaderModelOnly', 'lora_name', 0, 'loras'],
  ['VAELoader', 'vae_name', 0, 'vae'],
  ['ControlNetLoader', 'control_net_name', 0, 'controlnet'],
  ['DiffControlNetLoader', 'control_net_name', 0, 'controlnet'],
  ['UpscaleModelLoader', 'model_name', 0, 'upscale_models'],
  ['UNETLoader', 'unet_name', 0, 'diffusion_models'],
  ['CLIPLoader', 'clip_name', 0, 'text_encoders'],
  ['DualCLIPLoader', 'clip_name2', 1, 'text_encoders'],
  ['TripleCLIPLoader', 'clip_name3', 2, 'text_encoders'],
  ['CLIPVisionLoader', 'clip_name', 0, 'clip_vision'],
  ['StyleModelLoader', 'style_model_name', 0, 'style_models'],
  ['GLIGENLoader', 'gligen_name', 0, 'gligen'],
  ['HypernetworkLoader', 'hypernetwork_name', 0, 'hypernetworks'],
  ['PhotoMakerLoader', 'photomaker_model_name', 0, 'photomaker'],
]

const modelsOf = (json: unknown) => workflowModels(workflowShape(json)!)

describe('loader folders', () => {
  it.each(EXPECTED)('%s.%s (widget %i) → %s, in the API and the UI format', (type, input, widget, folder) => {
    const api = modelsOf({ '1': { class_type: type, inputs: { [input]: 'sub/m.safetensors', other: 1 } } })
    expect(api.map((m) => [m.folder, m.name])).toContainEqual([folder, 'sub/m.safetensors'])
    const values: unknown[] = Array.from({ length: widget }, (_, i) => `before-${i}.yaml`)
    values.push('sub/m.safetensors', 'default')
    const ui = modelsOf({ nodes: [{ id: 3, type, widgets_values: values }] })
    expect(ui.map((m) => [m.folder, m.name])).toContainEqual([folder, 'sub/m.safetensors'])
  })

  it('takes every text encoder of a multi-CLIP loader, skips "None" and empty values', () => {
    const ui = modelsOf({
      nodes: [
        { id: 1, type: 'TripleCLIPLoader', widgets_values: ['a.safetensors', 'None', 'c.safetensors'] },
      ],
    })
    expect(ui.map((m) => m.name)).toEqual(['a.safetensors', 'c.safetensors'])
    expect(modelsOf({ '1': { class_type: 'VAELoader', inputs: { vae_name: '' } } })).toEqual([])
  })

  it('searches the old folder names ComfyUI still reads, and knows a model file by its extension', () => {
    expect(foldersFor('text_encoders')).toEqual(['text_encoders', 'clip'])
    expect(foldersFor('diffusion_models')).toEqual(['diffusion_models', 'unet'])
    expect(foldersFor('loras')).toEqual(['loras'])
    for (const name of ['a.safetensors', 'B.CKPT', 'c.pt', 'd.pth', 'e.bin', 'f.gguf', 'g.sft']) {
      expect(looksLikeModelFile(name), name).toBe(true)
    }
    for (const name of ['.safetensors', 'euler', 'notes.txt', 'model.safetensors style']) {
      expect(looksLikeModelFile(name), name).toBe(false)
    }
  })

  it('offers every loader folder in the window’s Add URL folder list (src/shared/url-model.ts)', () => {
    const loaderFolders = new Set(
      Object.values(LOADER_FOLDERS).flatMap((inputs) => inputs.map((i) => i.folder)),
    )
    expect([...loaderFolders].filter((f) => !(COMFY_MODEL_FOLDERS as readonly string[]).includes(f))).toEqual(
      [],
    )
  })
})
