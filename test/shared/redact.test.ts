import { describe, expect, it } from 'vitest'
import { redactS3Settings } from '../../src/shared/transfer'

describe('redactS3Settings', () => {
  it('never lets a secret through, and keeps what helps a reader', () => {
    const out = JSON.stringify(
      redactS3Settings({
        endpoint: 'http://127.0.0.1:9000',
        accessKeyId: 'AKIAEXAMPLEKEY',
        secretAccessKey: 'shh-secret',
        sessionToken: 'tok-123',
      }),
    )
    expect(out).not.toContain('shh-secret')
    expect(out).not.toContain('tok-123')
    expect(out).not.toContain('AKIAEXAMPLEKEY')
    expect(out).toContain('AKIA…')
    expect(out).toContain('http://127.0.0.1:9000')
  })
})
