// "Download once, link many": what a waiting link record becomes once its target is (or is not) there.
// Links are made only inside the models roots and point only inside them.
import { SIZE_ONLY, type ModelRecord, ACTIVE_STATUSES } from '../../shared/service-contract'
import type { PathGate } from '../gate/path-gate'
import { localState } from './local/install-state'
import { linkModel, type LinkOutcome } from './local/model-link'
import type { QueueEvent } from './queue-machine'

export type LinkResolution =
  /** The target is not installed yet but will be (it is in the queue): keep waiting. */
  { kind: 'wait' } | { kind: 'event'; event: QueueEvent; outcome?: LinkOutcome }

export async function resolveLink(
  link: Readonly<ModelRecord>,
  target: Readonly<ModelRecord> | undefined,
  gate: PathGate,
): Promise<LinkResolution> {
  const to = link.linkTo!
  const targetState = await localState(to, link.expectedSize)
  if (targetState.kind !== 'installed') {
    if (target && ACTIVE_STATUSES.includes(target.status)) return { kind: 'wait' }
    return failed(
      'link_target_missing',
      `Its link target ${to} is not installed and not queued: download it first`,
    )
  }
  try {
    await gate.modelPath(link.localPath, 'The link')
    await gate.modelPath(to, 'Its target')
    const { roots } = await gate.roots()
    const outcome = await linkModel(
      link.localPath,
      to,
      link.expectedSize,
      roots.map((root) => root.real),
    )
    // A link is as good as the file it points at.
    const verifiedBy =
      target?.status === 'completed' && target.verifiedBy?.length ? target.verifiedBy : [SIZE_ONLY]
    return { kind: 'event', event: { type: 'link-made', verifiedBy }, outcome }
  } catch (err) {
    return failed('link_failed', (err as Error).message)
  }
}

function failed(code: string, message: string): LinkResolution {
  return { kind: 'event', event: { type: 'link-failed', code, message } }
}
