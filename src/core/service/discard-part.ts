// Removing the partial file of a download that was cancelled while it was not running. Two doors could
// make that remove something it must not: a record whose path left the models roots (the setting
// changed, the state file was edited) and a `.part` another machine on a shared volume is writing
// under its claim. Both are kept, and the log says why.
import { readClaim } from '../claims/claim-file'
import { GateError, type PathGate } from '../gate/path-gate'
import { removePartFiles } from '../transfer/sidecar'
import type { Logger } from './persist/log'

export async function discardPart(localPath: string, gate: PathGate, log: Logger): Promise<void> {
  try {
    await gate.modelPath(localPath, 'Partial file')
  } catch (err) {
    if (!(err instanceof GateError)) throw err
    log.warn(`Kept ${localPath}.part: ${err.message}`)
    return
  }
  if ((await readClaim(localPath)).exists) {
    log.info(`Kept ${localPath}.part: another machine holds its claim and is fetching it`)
    return
  }
  await removePartFiles(localPath)
}
