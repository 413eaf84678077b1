import { describe, expect, it } from 'vitest'
import { printableUrl } from '../../src/core/url/printable-url'

describe('printableUrl', () => {
  it('masks credentials in the query and the user info, and keeps the rest', () => {
    expect(printableUrl('https://civitai.com/api/download/models/1?type=Model&token=abc123')).toBe(
      'https://civitai.com/api/download/models/1?type=Model&token=[REDACTED]',
    )
    expect(printableUrl('https://u:p@host/x.safetensors?X-Amz-Signature=f00&download=true')).toBe(
      'https://[REDACTED]:[REDACTED]@host/x.safetensors?X-Amz-Signature=[REDACTED]&download=true',
    )
    expect(printableUrl('https://huggingface.co/a/b/resolve/main/c.safetensors?download=true')).toBe(
      'https://huggingface.co/a/b/resolve/main/c.safetensors?download=true',
    )
    expect(printableUrl('not a url?token=abc')).toBe('not a url')
  })
})
