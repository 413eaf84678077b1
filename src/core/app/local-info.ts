import type { LocalInfo } from '../../shared/api-contract'
import { localState } from '../service/local/install-state'

/** What the window shows for a model's path: the install state from stat, never by reading the file. */
export async function localInfo(localPath: string, expectedSize: number): Promise<LocalInfo> {
  const state = await localState(localPath, expectedSize)
  switch (state.kind) {
    case 'installed':
    case 'missing':
      return { state: state.kind }
    case 'wrong_size':
      return { state: 'wrong_size', bytes: state.size }
    case 'partial':
      return { state: 'partial', bytes: state.bytes }
    case 'not_a_file':
      return { state: 'not_a_file' }
    case 'broken_link':
      return { state: 'broken_link' }
    case 'checksum_mismatch':
      // Only reachable with verify, which stat-only callers never ask for.
      return { state: 'wrong_size' }
  }
}
