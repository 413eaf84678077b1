import { describe, expect, it } from 'vitest'
import {
  entryBaseName,
  isBareFileName,
  isUnsafeEntryName,
} from '../../../src/core/transfer/archive/tar-entry-name'

describe('tar entry names', () => {
  it.each(['/etc/passwd', '../x', 'a/../../x', 'a/..', '..', '\\\\server\\x', 'C:/x', 'c:x', 'a\\..\\x'])(
    '%s is unsafe',
    (name) => expect(isUnsafeEntryName(name)).toBe(true),
  )
  it.each(['model.safetensors', './model.safetensors', 'a/b/model..safetensors', '...', 'a/.../b', 'dir/'])(
    '%s is safe',
    (name) => expect(isUnsafeEntryName(name)).toBe(false),
  )
  it('the base name is the last non-empty segment', () => {
    expect(entryBaseName('model.safetensors')).toBe('model.safetensors')
    expect(entryBaseName('./checkpoints/model.safetensors')).toBe('model.safetensors')
    expect(entryBaseName('checkpoints/model.safetensors/')).toBe('model.safetensors')
    expect(entryBaseName('./')).toBe('.')
    expect(entryBaseName('')).toBe('')
  })
  it('a member name must be a bare file name', () => {
    expect(isBareFileName('model.safetensors')).toBe(true)
    for (const bad of ['', '.', '..', 'a/b', 'a\\b', 'a\0b']) expect(isBareFileName(bad)).toBe(false)
  })
})
