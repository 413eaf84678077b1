// One drop target for two kinds of file: a model config, or a ComfyUI workflow (.json or .png). Only the
// routing is decided here, from the file's type and first bytes; what the file really is, the service
// decides, and says when it is neither.

/** Enough of a JSON file to find its first keys: ComfyUI writes "nodes" or "class_type" near the top. */
const SNIFF_BYTES = 64 * 1024

export async function droppedFileKind(file: File): Promise<'workflow' | 'config'> {
  if (file.type === 'image/png' || /\.png$/i.test(file.name)) return 'workflow'
  const head = await file.slice(0, SNIFF_BYTES).text()
  if (/"originalS3Path"\s*:/.test(head)) return 'config'
  if (/"class_type"\s*:/.test(head) || /"nodes"\s*:\s*\[/.test(head)) return 'workflow'
  return 'config'
}
