// Which ComfyUI loader nodes load which model files, from which model folder: the one table to extend
// when ComfyUI (or a custom node pack) adds a loader. Input names and order are those of the node's
// INPUT_TYPES in ComfyUI's nodes.py / comfy_extras; in the UI format a loader's combo widgets come in
// that order in `widgets_values` (inputs fed by links, such as DiffControlNetLoader's model, have no
// widget and take no index).

export interface LoaderInput {
  /** The input's name: the key in the API format's `inputs`, and in a `widgets_values` object. */
  input: string
  /** Its position in the UI format's `widgets_values` array. */
  widget: number
  /** The model folder under the models root. */
  folder: string
}

const one = (input: string, folder: string): LoaderInput[] => [{ input, widget: 0, folder }]
const several = (inputs: string[], folder: string): LoaderInput[] =>
  inputs.map((input, widget) => ({ input, widget, folder }))

export const LOADER_FOLDERS: Readonly<Record<string, readonly LoaderInput[]>> = {
  CheckpointLoaderSimple: one('ckpt_name', 'checkpoints'),
  // The deprecated loader's first widget is a yaml config that ships with ComfyUI: not a download.
  CheckpointLoader: [{ input: 'ckpt_name', widget: 1, folder: 'checkpoints' }],
  ImageOnlyCheckpointLoader: one('ckpt_name', 'checkpoints'),
  unCLIPCheckpointLoader: one('ckpt_name', 'checkpoints'),
  LoraLoader: one('lora_name', 'loras'),
  LoraLoaderModelOnly: one('lora_name', 'loras'),
  VAELoader: one('vae_name', 'vae'),
  ControlNetLoader: one('control_net_name', 'controlnet'),
  DiffControlNetLoader: one('control_net_name', 'controlnet'),
  UpscaleModelLoader: one('model_name', 'upscale_models'),
  UNETLoader: one('unet_name', 'diffusion_models'),
  CLIPLoader: one('clip_name', 'text_encoders'),
  DualCLIPLoader: several(['clip_name1', 'clip_name2'], 'text_encoders'),
  TripleCLIPLoader: several(['clip_name1', 'clip_name2', 'clip_name3'], 'text_encoders'),
  QuadrupleCLIPLoader: several(['clip_name1', 'clip_name2', 'clip_name3', 'clip_name4'], 'text_encoders'),
  CLIPVisionLoader: one('clip_name', 'clip_vision'),
  StyleModelLoader: one('style_model_name', 'style_models'),
  GLIGENLoader: one('gligen_name', 'gligen'),
  HypernetworkLoader: one('hypernetwork_name', 'hypernetworks'),
  PhotoMakerLoader: one('photomaker_model_name', 'photomaker'),
}

/**
 * Folders ComfyUI still searches under their old names (folder_paths.py maps `text_encoders` to
 * models/text_encoders and models/clip, `diffusion_models` to models/diffusion_models and models/unet):
 * a file in either counts, and an S3 mirror laid out the old way matches.
 */
export const FOLDER_ALIASES: Readonly<Record<string, readonly string[]>> = {
  text_encoders: ['clip'],
  diffusion_models: ['unet'],
  clip: ['text_encoders'],
  unet: ['diffusion_models'],
}

/** The folder and the ones ComfyUI reads in its place, the folder first. */
export function foldersFor(folder: string): string[] {
  return [folder, ...(FOLDER_ALIASES[folder] ?? [])]
}

/** Extensions that make an unknown node's value look like a model file. */
export const MODEL_LIKE_EXTENSIONS = [
  '.safetensors',
  '.ckpt',
  '.pt',
  '.pth',
  '.bin',
  '.gguf',
  '.sft',
] as const

export function looksLikeModelFile(value: string): boolean {
  const lower = value.toLowerCase()
  return MODEL_LIKE_EXTENSIONS.some((ext) => lower.endsWith(ext) && lower.length > ext.length)
}
