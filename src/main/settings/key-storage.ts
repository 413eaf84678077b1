import type { SafeStorage } from 'electron'

export interface KeyStorageStatus {
  available: boolean
  reason?: string
}

const NO_ENCRYPTION =
  'This system offers no encryption for stored secrets (Electron safeStorage is unavailable), so the app ' +
  'does not store keys. Use the AWS credential chain instead: an AWS profile, SSO, or environment variables.'

const PLAIN_TEXT_ONLY =
  'No keyring is available on this desktop (GNOME Keyring, KWallet): keys could only be stored in a form ' +
  'any program of this user could read, so the app does not store them. Unlock or install a keyring and ' +
  'restart the app, or use the AWS credential chain (an AWS profile, SSO, or environment variables).'

/**
 * Whether access keys typed into the window may be stored here. On Linux safeStorage falls back to a
 * hard-coded password ("basic_text") when no keyring answers: that is obfuscation, not encryption, so
 * the app refuses it too, and says why.
 */
export async function keyStorageStatus(
  safeStorage: Pick<SafeStorage, 'isAsyncEncryptionAvailable' | 'getSelectedStorageBackend'>,
  platform: NodeJS.Platform = process.platform,
): Promise<KeyStorageStatus> {
  if (!(await safeStorage.isAsyncEncryptionAvailable())) return { available: false, reason: NO_ENCRYPTION }
  if (platform === 'linux') {
    const backend = safeStorage.getSelectedStorageBackend()
    if (backend === 'basic_text' || backend === 'unknown')
      return { available: false, reason: PLAIN_TEXT_ONLY }
  }
  return { available: true }
}
