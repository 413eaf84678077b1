// The settings form's text fields and the patch they make. Validation is the shared SettingsPatchSchema
// (the same one the service applies), plus what a text box adds: numbers that are not numbers, and keys
// that only make sense together.
import {
  SettingsPatchSchema,
  type AppSettings,
  type SettingsPatch,
  type SettingsView,
} from '../../../shared/settings'

export interface SettingsDraft {
  endpoint: string
  region: string
  bucket: string
  profile: string
  forcePathStyle: boolean
  credentials: 'chain' | 'keys'
  accessKeyId: string
  secretAccessKey: string
  sourceUri: string
  modelsRoot: string
  networkVolume: string
  concurrency: string
  connectionsPerFile: string
  partSizeMiB: string
  /** MB/s as typed; the setting is bytes per second. */
  bandwidthMBps: string
  notifications: boolean
  compressedSiblings: boolean
  /** Comma- or space-separated. */
  modelExtensions: string
}

export type DraftField = keyof SettingsDraft
export type FieldErrors = Partial<Record<DraftField, string>>

export function draftFrom(settings: AppSettings): SettingsDraft {
  return {
    endpoint: settings.s3.endpoint,
    region: settings.s3.region,
    bucket: settings.s3.bucket,
    profile: settings.s3.profile,
    forcePathStyle: settings.s3.forcePathStyle,
    credentials: settings.s3.credentials,
    accessKeyId: '',
    secretAccessKey: '',
    sourceUri: settings.sourceUri,
    modelsRoot: settings.modelsRoot,
    networkVolume: settings.networkVolume,
    concurrency: String(settings.concurrency),
    connectionsPerFile: String(settings.connectionsPerFile),
    partSizeMiB: String(settings.partSizeMiB),
    bandwidthMBps: settings.bandwidthLimitBps === 0 ? '0' : String(settings.bandwidthLimitBps / 1_000_000),
    notifications: settings.notifications,
    compressedSiblings: settings.compressedSiblings,
    modelExtensions: settings.modelExtensions.join(', '),
  }
}

/** Where a schema issue lands in the form. */
const FIELD_OF_PATH: Record<string, DraftField> = {
  's3.endpoint': 'endpoint',
  's3.region': 'region',
  's3.bucket': 'bucket',
  's3.profile': 'profile',
  's3.forcePathStyle': 'forcePathStyle',
  's3.credentials': 'credentials',
  's3.accessKeyId': 'accessKeyId',
  's3.secretAccessKey': 'secretAccessKey',
  sourceUri: 'sourceUri',
  modelsRoot: 'modelsRoot',
  networkVolume: 'networkVolume',
  concurrency: 'concurrency',
  connectionsPerFile: 'connectionsPerFile',
  partSizeMiB: 'partSizeMiB',
  bandwidthLimitBps: 'bandwidthMBps',
  notifications: 'notifications',
  compressedSiblings: 'compressedSiblings',
  modelExtensions: 'modelExtensions',
}

export function splitExtensions(text: string): string[] {
  return text
    .split(/[\s,]+/)
    .map((e) => e.trim())
    .filter(Boolean)
}

function wholeNumber(text: string, field: DraftField, errors: FieldErrors): number | undefined {
  const t = text.trim()
  if (!/^\d+$/.test(t)) {
    errors[field] = 'must be a whole number'
    return undefined
  }
  return Number(t)
}

export interface DraftCheck {
  /** Every field of the draft as a patch (what is validated and what Test connection tries). */
  full: SettingsPatch
  /** Only what differs from the saved settings (what Save sends). */
  changed: SettingsPatch
  errors: FieldErrors
}

export function checkDraft(draft: SettingsDraft, view: SettingsView): DraftCheck {
  const errors: FieldErrors = {}
  const current = view.settings
  const s3: NonNullable<SettingsPatch['s3']> = {
    endpoint: draft.endpoint.trim(),
    region: draft.region.trim(),
    bucket: draft.bucket.trim(),
    profile: draft.profile.trim(),
    forcePathStyle: draft.forcePathStyle,
    credentials: draft.credentials,
  }
  const keyId = draft.accessKeyId.trim()
  const secret = draft.secretAccessKey
  if (draft.credentials === 'keys') {
    if (!view.keyStorage.available) {
      errors.credentials = `keys cannot be stored here: ${view.keyStorage.reason ?? 'no secure storage on this machine'}`
    } else if (keyId || secret) {
      if (!keyId) errors.accessKeyId = 'enter the access key id that goes with the secret'
      if (!secret) errors.secretAccessKey = 'enter the secret access key that goes with the key id'
    } else if (!current.s3.accessKeyHint) {
      errors.accessKeyId = 'enter an access key id and secret to store, or use the AWS credential chain'
    }
  }
  if (keyId && secret) {
    s3.accessKeyId = keyId
    s3.secretAccessKey = secret
  }
  const full: SettingsPatch = {
    s3,
    sourceUri: draft.sourceUri.trim(),
    modelsRoot: draft.modelsRoot.trim(),
    networkVolume: draft.networkVolume.trim(),
    notifications: draft.notifications,
    compressedSiblings: draft.compressedSiblings,
    modelExtensions: splitExtensions(draft.modelExtensions),
  }
  const concurrency = wholeNumber(draft.concurrency, 'concurrency', errors)
  if (concurrency !== undefined) full.concurrency = concurrency
  const connections = wholeNumber(draft.connectionsPerFile, 'connectionsPerFile', errors)
  if (connections !== undefined) full.connectionsPerFile = connections
  const partSize = wholeNumber(draft.partSizeMiB, 'partSizeMiB', errors)
  if (partSize !== undefined) full.partSizeMiB = partSize
  const mbps = draft.bandwidthMBps.trim()
  if (/^\d+(\.\d+)?$/.test(mbps)) full.bandwidthLimitBps = Math.round(Number(mbps) * 1_000_000)
  else errors.bandwidthMBps = 'must be a number of MB/s (0 for no limit)'

  const parsed = SettingsPatchSchema.safeParse(full)
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const [head, second] = issue.path
      const key = head === 's3' ? `s3.${String(second)}` : String(head)
      const field = FIELD_OF_PATH[key]
      if (!field || errors[field]) continue
      if (field === 'modelExtensions' && typeof second === 'number') {
        errors[field] = `"${full.modelExtensions?.[second] ?? ''}" ${issue.message}`
      } else if (field === 'modelExtensions' && full.modelExtensions?.length === 0) {
        errors[field] = 'list at least one extension, such as .safetensors'
      } else {
        errors[field] = issue.message
      }
    }
  }
  return { full, changed: changedPart(full, current), errors }
}

function changedPart(full: SettingsPatch, current: AppSettings): SettingsPatch {
  const changed: SettingsPatch = {}
  const s3: NonNullable<SettingsPatch['s3']> = {}
  for (const [key, value] of Object.entries(full.s3 ?? {})) {
    const before = (current.s3 as unknown as Record<string, unknown>)[key]
    // Keys are write-only: typed keys are always a change.
    if (value !== before) (s3 as Record<string, unknown>)[key] = value
  }
  if (Object.keys(s3).length > 0) changed.s3 = s3
  for (const [key, value] of Object.entries(full)) {
    if (key === 's3') continue
    const before = (current as unknown as Record<string, unknown>)[key]
    const same =
      Array.isArray(value) && Array.isArray(before)
        ? value.join('\n') === before.join('\n')
        : value === before
    if (!same) (changed as Record<string, unknown>)[key] = value
  }
  return changed
}

export function isEmptyPatch(patch: SettingsPatch): boolean {
  return Object.keys(patch).length === 0
}
