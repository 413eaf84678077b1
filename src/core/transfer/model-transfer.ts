import { rm } from 'node:fs/promises'
import { basename, dirname } from 'node:path'
import type { TransferJob, TransferResult } from '../../shared/transfer'
import { ConfinedFolder } from './confined-folder'
import { TransferError } from './errors'
import { headObject } from './head'
import { parseS3Uri } from './s3-uri'
import { removePartFiles } from './sidecar'
import { runTransfer, type TransferContext } from './transfer'

/** The old system's compressed copy of an object: `<key>.tar.zst` holding the model file. */
export const ARCHIVE_SUFFIX = '.tar.zst'

/**
 * One model onto disk: the object itself, or, when the job allows it and the store has one, its
 * `.tar.zst` sibling, fetched like any object (resumable, verified) and unpacked into place (streamed,
 * size and sha256 checked, atomic). Without a sibling it is a plain transfer.
 */
export async function runModelTransfer(job: TransferJob, ctx: TransferContext): Promise<TransferResult> {
  // The archive's member is checked against the config's size, so a job without one fetches plainly;
  // siblings are an S3 mirror's convention, never looked for beside a URL.
  if (!job.compressedSibling || job.expectedSize === undefined || job.s3Uri === undefined)
    return runTransfer(job, ctx)
  const expectedSize = job.expectedSize
  const siblingUri = `${job.s3Uri}${ARCHIVE_SUFFIX}`
  try {
    await headObject(ctx.store, parseS3Uri(siblingUri), ctx.signal, ctx.tuning.maxAttempts)
  } catch (err) {
    if (err instanceof TransferError && err.code === 'not_found') return runTransfer(job, ctx)
    throw err
  }
  const folder = await ConfinedFolder.enter(dirname(job.localPath), job.roots)
  const localPath = folder.file(basename(job.localPath))
  const archivePath = `${localPath}${ARCHIVE_SUFFIX}`
  const started = performance.now()
  const fetched = await runTransfer(
    { id: job.id, s3Uri: siblingUri, localPath: archivePath, ...(job.roots ? { roots: job.roots } : {}) },
    ctx,
  )
  try {
    ctx.log?.('info', `Unpacking ${siblingUri} into ${job.localPath}`)
    // Loaded on first use: tar-stream and fzstd cost every worker start ~40 ms, and few jobs unpack.
    const { unpackModelArchive } = await import('./archive/unpack-model-archive')
    const unpacked = await unpackModelArchive({
      archivePath,
      memberName: basename(job.localPath),
      localPath,
      recheckFolder: () => folder.recheck(),
      expectedSize,
      ...(job.sha256 ? { sha256: job.sha256 } : {}),
      signal: ctx.signal,
      onProgress: (bytesOut) =>
        ctx.onProgress?.({
          id: job.id,
          phase: 'finalizing',
          bytesDone: bytesOut,
          totalBytes: expectedSize,
          speedBps: 0,
          etaSeconds: null,
        }),
    })
    return {
      ...fetched,
      localPath: job.localPath,
      size: unpacked.size,
      verified: [
        ...fetched.verified,
        { algorithm: 'sha256', source: job.sha256 ? 'job' : 's3', value: unpacked.sha256 },
      ],
      durationMs: Math.round(performance.now() - started),
    }
  } finally {
    // The archive was only a vehicle: it never stays beside the model.
    await rm(archivePath, { force: true })
    await removePartFiles(archivePath)
  }
}
