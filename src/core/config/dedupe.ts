import { sourceOf } from '../../shared/service-contract'
import { printableUrl } from '../url/printable-url'
import type { ModelEntry, PlacedModel } from './entry'
import type { ConfigIssue } from './issues'

/**
 * One entry per file. Entries naming the same file (letter case ignored, since macOS and Windows ignore
 * it) merge when they agree on everything that ends up in it, and are rejected when they do not: two
 * downloads racing into one file would leave whichever finished last. Sharing an object across different
 * files is fine: the service fetches it once and links the rest.
 */
export function mergeDuplicates(placed: PlacedModel[]): { entries: ModelEntry[]; issues: ConfigIssue[] } {
  const issues: ConfigIssue[] = []
  const byFile = new Map<string, PlacedModel>()
  const byId = new Map<string, PlacedModel>()
  const kept: PlacedModel[] = []

  for (const candidate of placed) {
    const fileKey = foldCase(candidate.location)
    let owner = byFile.get(fileKey)
    if (!owner) {
      owner = candidate
      byFile.set(fileKey, candidate)
      kept.push(candidate)
    } else {
      const conflict = conflictBetween(owner, candidate)
      if (conflict) {
        issues.push({ entry: candidate.entry, field: 'localPath', message: conflict })
        continue
      }
      mergeInto(owner.model, candidate.model)
    }

    // The id is how the service and scripts address an entry, so it must name one file.
    const idOwner = byId.get(candidate.model.id)
    if (idOwner && idOwner !== owner) {
      issues.push({
        entry: candidate.entry,
        field: 'modelName',
        message: `id ${candidate.model.id} is already used by ${idOwner.entry} for another file; directoryGroup/modelName must be unique`,
      })
    } else {
      byId.set(candidate.model.id, owner)
    }
  }
  return { entries: kept.map((p) => p.model), issues }
}

/** A model's source as messages show it: a URL with its credentials masked. */
function shown(m: ModelEntry): string {
  return m.url !== undefined ? printableUrl(m.url) : (m.s3Uri ?? '')
}

function conflictBetween(first: PlacedModel, second: PlacedModel): string | undefined {
  const a = first.model
  const b = second.model
  const differences: string[] = []
  if (sourceOf(a) !== sourceOf(b)) differences.push(`a different object (${shown(a)} vs ${shown(b)})`)
  if (a.expectedSize !== b.expectedSize)
    differences.push(`a different size (${a.expectedSize} vs ${b.expectedSize})`)
  if (a.sha256 && b.sha256 && a.sha256 !== b.sha256) differences.push('a different sha256')
  if (a.symLinkedFrom !== b.symLinkedFrom) {
    differences.push(
      `a different symLinkedFrom (${a.symLinkedFrom ?? 'none'} vs ${b.symLinkedFrom ?? 'none'})`,
    )
  }
  const sameFile = `${b.localPath} is the same file as ${first.entry}'s ${a.localPath}`
  const caseOnly = first.location !== second.location
  // On Linux two spellings are two files and on macOS one, so no single reading of them is safe.
  if (caseOnly) {
    const reason =
      differences.length > 0 ? differences.join(', ') : 'a different spelling; use one spelling for both'
    return `${sameFile} on case-insensitive file systems (macOS, Windows), with ${reason}`
  }
  if (differences.length > 0) return `${sameFile}, with ${differences.join(', ')}`
  return undefined
}

function mergeInto(kept: ModelEntry, duplicate: ModelEntry): void {
  if (duplicate.id !== kept.id && !kept.aliases.includes(duplicate.id)) kept.aliases.push(duplicate.id)
  if (!kept.sha256 && duplicate.sha256) kept.sha256 = duplicate.sha256
}

function foldCase(path: string): string {
  return path.normalize('NFC').toLowerCase()
}
