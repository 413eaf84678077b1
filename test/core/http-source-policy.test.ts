import { describe, expect, it } from 'vitest'
import { isPrivateAddress, refusedRedirect } from '../../src/core/transfer/http-source/address-policy'
import { fileNameFromDisposition } from '../../src/core/transfer/http-source/content-disposition'
import { guardedLookup, PrivateAddressError } from '../../src/core/transfer/http-source/guarded-lookup'
import { routeUrl } from '../../src/core/transfer/http-source/known-hosts'

describe('which redirects are followed', () => {
  it('knows private, loopback and link-local addresses, v4 and v6', () => {
    for (const a of [
      '127.0.0.1',
      '10.1.2.3',
      '172.20.0.1',
      '192.168.1.1',
      '169.254.169.254',
      '::1',
      'fd00::1',
      'fe80::1',
      '::ffff:10.0.0.1',
      '[::1]',
    ])
      expect(isPrivateAddress(a), a).toBe(true)
    for (const a of ['8.8.8.8', '172.32.0.1', '2606:4700::1111', 'huggingface.co'])
      expect(isPrivateAddress(a), a).toBe(false)
  })

  it('refuses other schemes always, and private hosts unless the first URL was on one', () => {
    expect(refusedRedirect(new URL('http://cdn.example/x'), true)).toMatch(/only https/)
    expect(refusedRedirect(new URL('file:///etc/passwd'), true)).toMatch(/only https/)
    expect(refusedRedirect(new URL('https://169.254.169.254/latest'), false)).toMatch(/private address/)
    expect(refusedRedirect(new URL('https://localhost:8443/x'), false)).toMatch(/private address/)
    expect(refusedRedirect(new URL('https://127.0.0.1:8443/x'), true)).toBeNull()
    expect(refusedRedirect(new URL('https://cdn-lfs.hf.co/x'), false)).toBeNull()
  })

  it('refuses a host name that resolves to a private address at connect time', async () => {
    const lookup = guardedLookup(false)!
    const err = await new Promise<Error | null>((done) => lookup('localhost', {}, (e) => done(e)))
    expect(err).toBeInstanceOf(PrivateAddressError)
    expect(guardedLookup(true)).toBeUndefined()
  })
})

describe('file names from Content-Disposition', () => {
  it('prefers filename*, strips folders and control characters', () => {
    expect(fileNameFromDisposition(`attachment; filename="a.safetensors"`)).toBe('a.safetensors')
    expect(fileNameFromDisposition(`attachment; filename="x"; filename*=UTF-8''caf%C3%A9.ckpt`)).toBe(
      'café.ckpt',
    )
    expect(fileNameFromDisposition(`attachment; filename="../../.bashrc"`)).toBe('.bashrc')
    expect(fileNameFromDisposition(`attachment; filename=".."`)).toBeNull()
    expect(fileNameFromDisposition(`attachment; filename="a\u0007b.pt"`)).toBe('ab.pt')
    expect(fileNameFromDisposition(undefined)).toBeNull()
  })
})

describe('routeUrl', () => {
  it('fetches huggingface.co from HF_ENDPOINT (with its path prefix) and gives HF_TOKEN to that host', () => {
    const r = routeUrl('https://huggingface.co/org/m/resolve/main/a.safetensors?download=true', {
      HF_ENDPOINT: 'https://mirror.example/hf/',
      HF_TOKEN: 'hf_secret',
    })
    expect(r.kind).toBe('huggingface')
    expect(r.url.href).toBe('https://mirror.example/hf/org/m/resolve/main/a.safetensors?download=true')
    expect(r.authorization).toBe('Bearer hf_secret')
  })

  it('gives no token to other hosts, and CivitAI its own', () => {
    expect(
      routeUrl('https://example.com/a.bin', { HF_TOKEN: 't', CIVITAI_API_TOKEN: 'c' }).authorization,
    ).toBeUndefined()
    const c = routeUrl('https://civitai.com/api/download/models/1', { CIVITAI_API_TOKEN: 'c' })
    expect(c).toMatchObject({ kind: 'civitai', authorization: 'Bearer c' })
  })

  it('refuses non-https URLs and endpoints', () => {
    expect(() => routeUrl('file:///etc/passwd', {})).toThrow(/only https/)
    expect(() => routeUrl('http://huggingface.co/x', {})).toThrow(/only https/)
    expect(() => routeUrl('https://huggingface.co/x', { HF_ENDPOINT: 'http://mirror' })).toThrow(
      /HF_ENDPOINT/,
    )
  })
})
