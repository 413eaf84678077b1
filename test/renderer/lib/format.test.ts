// @vitest-environment jsdom
import { describe, expect, it } from 'vitest'
import {
  errorMessage,
  formatBytes,
  formatBytesPair,
  formatCount,
  formatEta,
  formatSpeed,
  percentOf,
  shortenPath,
} from '../../../src/renderer/src/lib/format'
import { webSocketUrl, resolveApi } from '../../../src/renderer/src/transport'
import { createFakeApi } from '../support/fake-api'

describe('numbers as the window shows them', () => {
  it.each([
    [0, '0 B'],
    [999, '999 B'],
    [1000, '1.0 kB'],
    [23_800_000_000, '23.8 GB'],
    [335_000_000, '335 MB'],
    // 999.96 MB would read "1000.0 MB": it carries into the next unit.
    [999_960_000, '1.0 GB'],
    [-1, '—'],
    [Number.NaN, '—'],
  ])('formatBytes(%d) is %s', (bytes, text) => {
    expect(formatBytes(bytes)).toBe(text)
  })

  it('names the unit once when both sides of a pair share it', () => {
    expect(formatBytesPair(1_200_000_000, 6_900_000_000)).toBe('1.2 / 6.9 GB')
    expect(formatBytesPair(850_000_000, 6_900_000_000)).toBe('850 MB / 6.9 GB')
  })

  it('shows a speed per second, or a dash when nothing moves', () => {
    expect(formatSpeed(25_000_000)).toBe('25.0 MB/s')
    expect(formatSpeed(0)).toBe('—')
  })

  it.each([
    [45, '45s'],
    [185, '3m 05s'],
    [7440, '2h 04m'],
    [400 * 3600, '16d'],
    [null, '—'],
    [-5, '—'],
  ])('formatEta(%s) is %s', (seconds, text) => {
    expect(formatEta(seconds)).toBe(text)
  })

  it('never says 100% before the last byte', () => {
    expect(percentOf(999, 1000)).toBe(99)
    expect(percentOf(1000, 1000)).toBe(100)
    expect(percentOf(1, 3)).toBe(33)
    expect(percentOf(5, 0)).toBe(0)
  })

  it('counts in words', () => {
    expect(formatCount(1, 'model')).toBe('1 model')
    expect(formatCount(1234, 'model')).toBe('1,234 models')
    expect(formatCount(2, 'entry', 'entries')).toBe('2 entries')
  })

  it('cuts a long path in the middle, keeping its root and last folders', () => {
    expect(shortenPath('/workspace/ComfyUI/models/loras/sdxl/detail.safetensors')).toBe(
      '/workspace/…/loras/sdxl/detail.safetensors',
    )
    expect(shortenPath('/models/vae/ae.safetensors')).toBe('/models/vae/ae.safetensors')
    expect(shortenPath('C:\\AI\\ComfyUI\\models\\loras\\x\\y.safetensors')).toBe(
      'C:\\…\\loras\\x\\y.safetensors',
    )
  })
})

describe('errorMessage', () => {
  it('takes the message of an error, of a plain object from the context bridge, or a string', () => {
    expect(errorMessage(new Error('Access denied: check the profile'))).toBe(
      'Access denied: check the profile',
    )
    expect(errorMessage({ code: 'forbidden', message: 'Refused' })).toBe('Refused')
    expect(errorMessage('timed out')).toBe('timed out')
  })

  it('still says where to look when there is no message', () => {
    expect(errorMessage(undefined)).toMatch(/see the log file in the state folder/)
    expect(errorMessage({ message: '' })).toMatch(/see the log file/)
  })
})

describe('which door the window talks through', () => {
  it('uses window.api when the preload exposed it', () => {
    const { api } = createFakeApi()
    expect(resolveApi({ api, location: { protocol: 'http:', host: 'x' } })).toBe(api)
  })

  it('speaks WebSocket to the host that served the page, wss under https', () => {
    expect(webSocketUrl({ protocol: 'http:', host: '127.0.0.1:8723' })).toMatch(/^ws:\/\/127\.0\.0\.1:8723\//)
    expect(webSocketUrl({ protocol: 'https:', host: 'pod.example:443' })).toMatch(
      /^wss:\/\/pod\.example:443\//,
    )
  })
})
