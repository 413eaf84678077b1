import type { SaveConfigRequest, SaveConfigResult } from '../../shared/api-contract'

export async function saveModelConfig(
  request: SaveConfigRequest,
  options: { networkVolume?: string },
): Promise<SaveConfigResult> {
  void options
  return { path: request.path, written: 0, kept: 0 }
}
