// One attempt of one download: the job the worker gets, checked against the gate right before it starts.
import { sourceFields, type ModelRecord } from '../../shared/service-contract'
import type { TransferJob, TransferResult } from '../../shared/transfer'
import { GateError, type PathGate } from '../gate/path-gate'
import { TransferError, TransferStopped } from '../transfer/errors'
import type { ClaimingRunner } from './claiming-runner'
import type { ServiceSettings } from './run-settings'

export interface RunJobDeps {
  gate: PathGate
  runner: ClaimingRunner
  settings: ServiceSettings
  /** False once the record was paused, cancelled or requeued while the paths were being checked. */
  stillWanted: () => boolean
}

export async function runJob(r: Readonly<ModelRecord>, deps: RunJobDeps): Promise<TransferResult> {
  const job: TransferJob = {
    id: r.id,
    ...sourceFields(r),
    localPath: r.localPath,
    expectedSize: r.expectedSize,
    ...(r.sha256 ? { sha256: r.sha256 } : {}),
    ...(deps.settings.compressedSiblings ? { compressedSibling: true } : {}),
  }
  return deps.runner.run(await confined(job, deps))
}

/**
 * The job with the real roots the worker checks again before it writes. A record whose path is no
 * longer inside the roots (the setting changed, the state file was edited) does not start.
 */
async function confined(job: TransferJob, deps: RunJobDeps): Promise<TransferJob> {
  try {
    await deps.gate.modelPath(job.localPath, 'This download')
  } catch (err) {
    if (err instanceof GateError) throw new TransferError('path_outside_roots', err.message)
    throw err
  }
  const { roots } = await deps.gate.roots()
  if (!deps.stillWanted()) throw new TransferStopped('paused')
  return { ...job, roots: roots.map((root) => root.real) }
}
