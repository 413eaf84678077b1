// A model config in the old nested format whose objects really exist on a test S3 server: what the
// desktop-app test and the Electron smoke test open at launch.
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { TestS3Server } from '../../support/s3-server'

export interface ServedModel {
  group: string
  modelName: string
  key: string
  size: number
  localPath: string
}

/**
 * Uploads one small object per model and writes `models.json` (bucket-less `originalS3Path`s, as the
 * old system's configs have: AWS_BUCKET_NAME names the bucket) into `dir`. Returns the config's path.
 */
export async function serveNestedConfig(
  s3: TestS3Server,
  dir: string,
  modelsRoot: string,
  models: Array<Pick<ServedModel, 'group' | 'modelName' | 'size'>>,
): Promise<{ path: string; models: ServedModel[] }> {
  const served: ServedModel[] = []
  const config: Record<string, Record<string, unknown>> = {}
  for (const m of models) {
    const key = `models/${m.group}/${m.modelName}`
    await s3.putRandom(key, m.size)
    const localPath = join(modelsRoot, m.group, m.modelName)
    served.push({ ...m, key, localPath })
    config[m.group] ??= {}
    config[m.group]![m.modelName.replace(/\.[^.]+$/, '')] = {
      originalS3Path: key,
      localPath,
      modelName: m.modelName,
      modelSize: m.size,
      directoryGroup: m.group,
    }
  }
  const path = join(dir, 'models.json')
  await writeFile(path, JSON.stringify(config, null, 2))
  return { path, models: served }
}
