import { join } from 'node:path'
import { DownloadService, type ServiceSettings } from '../../../src/core/service/download-service'
import { createLogger } from '../../../src/core/service/persist/log'
import { ProgressFileWriter } from '../../../src/core/service/persist/progress-file'
import { StateStore } from '../../../src/core/service/persist/state-store'
import { statePaths } from '../../../src/core/service/state-paths'
import type { ModelRecord } from '../../../src/shared/service-contract'
import { DEFAULT_TUNING } from '../../../src/shared/transfer'
import { builtWorkerEntry } from '../../support/built'
import { TEST_CREDENTIALS, type TestS3Server } from '../../support/s3-server'

export async function openService(
  s3: TestS3Server,
  stateDir: string,
  modelsRoot: string,
  overrides: Partial<ServiceSettings> = {},
  /** The service's environment (its worker gets the allowed part: HF_ENDPOINT, NODE_EXTRA_CA_CERTS…). */
  env: Record<string, string | undefined> = {},
): Promise<DownloadService> {
  const paths = statePaths(stateDir, {})
  const log = createLogger(paths.logFile)
  return DownloadService.open({
    paths,
    ownerKind: 'cli',
    workerEntry: builtWorkerEntry(),
    env,
    store: new StateStore(paths.stateFile, { log: log.log }),
    progressFile: new ProgressFileWriter(paths.progressFile, { log: log.log }),
    log,
    modelsRoots: [modelsRoot],
    settings: {
      concurrency: 2,
      maxConnections: 16,
      maxAutoRetries: 1,
      compressedSiblings: false,
      s3: { endpoint: s3.endpoint, region: 'us-east-1', ...TEST_CREDENTIALS },
      tuning: { ...DEFAULT_TUNING, freeSpaceMarginBytes: 0 },
      ...overrides,
    },
  })
}

/** Resolves with the record once `test` holds (checked on every service event), or rejects after timeoutMs. */
export function waitForRecord(
  service: DownloadService,
  id: string,
  test: (r: ModelRecord) => boolean,
  timeoutMs = 30_000,
): Promise<ModelRecord> {
  return new Promise((resolve, reject) => {
    const check = (): boolean => {
      const r = service.record(id)
      if (r && test(r)) {
        off()
        clearTimeout(timer)
        resolve(r)
        return true
      }
      return false
    }
    const off = service.on(() => void check())
    const timer = setTimeout(() => {
      off()
      reject(new Error(`Timed out waiting for ${id}: ${JSON.stringify(service.record(id))}`))
    }, timeoutMs)
    check()
  })
}

export const modelPath = (root: string, group: string, name: string): string => join(root, group, name)
