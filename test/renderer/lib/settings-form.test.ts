// @vitest-environment jsdom
import { describe, expect, it } from 'vitest'
import {
  checkDraft,
  draftFrom,
  isEmptyPatch,
  splitExtensions,
} from '../../../src/renderer/src/lib/settings-form'
import { settingsView } from '../support/fixtures'

describe('the settings form’s draft', () => {
  const view = settingsView({ bandwidthLimitBps: 2_500_000, modelExtensions: ['.safetensors', '.gguf'] })

  it('shows bytes per second as MB/s and extensions as a list', () => {
    const draft = draftFrom(view.settings)
    expect(draft.bandwidthMBps).toBe('2.5')
    expect(draft.modelExtensions).toBe('.safetensors, .gguf')
    expect(draft.accessKeyId).toBe('')
  })

  it('changes nothing when nothing was edited', () => {
    const check = checkDraft(draftFrom(view.settings), view)
    expect(check.errors).toEqual({})
    expect(isEmptyPatch(check.changed)).toBe(true)
  })

  it('keeps only what differs from the saved settings', () => {
    const draft = {
      ...draftFrom(view.settings),
      region: 'eu-west-1',
      modelExtensions: '.gguf .safetensors',
      concurrency: '3',
    }
    expect(checkDraft(draft, view).changed).toEqual({
      s3: { region: 'eu-west-1' },
      concurrency: 3,
      modelExtensions: ['.gguf', '.safetensors'],
    })
  })

  it('splits extensions on commas and spaces', () => {
    expect(splitExtensions(' .a, .b  .c,,')).toEqual(['.a', '.b', '.c'])
  })

  it('sends typed keys only as a pair', () => {
    const keys = { ...draftFrom(view.settings), credentials: 'keys' as const }
    expect(checkDraft({ ...keys, accessKeyId: 'AKIA1' }, view).errors).toEqual({
      secretAccessKey: 'enter the secret access key that goes with the key id',
    })
    const both = checkDraft({ ...keys, accessKeyId: ' AKIA1 ', secretAccessKey: 's' }, view)
    expect(both.errors).toEqual({})
    expect(both.changed.s3).toEqual({ credentials: 'keys', accessKeyId: 'AKIA1', secretAccessKey: 's' })
  })

  it('accepts stored keys without typing them again', () => {
    const stored = settingsView({ s3: { credentials: 'keys', accessKeyHint: 'AKIA' } })
    expect(checkDraft(draftFrom(stored.settings), stored).errors).toEqual({})
  })
})
