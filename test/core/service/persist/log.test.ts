import { readFile, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { createLogger } from '../../../../src/core/service/persist/log'
import { REDACTED, redactSecrets } from '../../../../src/core/service/persist/redact'
import { fileExists, tempDirs } from '../../../support/temp'

const temp = tempDirs()
afterEach(() => temp.cleanup())

const SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY'
const TOKEN = 'IQoJb3JpZ2luX2VjEJr//////////wEaCXVzLWVhc3QtMSJHMEUCIQD6m6Yz0SiXb9lN6nVzUpOpBpAOTLz'
const SIGNATURE = 'fe5f80f77d5fa3beca038a248ff027d0445342fe2855ddc963176630326f1024'
const PRESIGNED =
  `https://bucket.s3.amazonaws.com/m.bin?X-Amz-Algorithm=AWS4-HMAC-SHA256` +
  `&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20250714%2Fus-east-1%2Fs3%2Faws4_request` +
  `&X-Amz-Date=20250714T103045Z&X-Amz-Expires=3600&X-Amz-Security-Token=${encodeURIComponent(TOKEN)}` +
  `&X-Amz-SignedHeaders=host&X-Amz-Signature=${SIGNATURE}`
const AUTH = `AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20250714/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-date, Signature=${SIGNATURE}`

describe('redactSecrets', () => {
  it.each([
    [`secretAccessKey: '${SECRET}'`, `secretAccessKey: '${REDACTED}'`],
    [`{"secretAccessKey":"${SECRET}","region":"eu"}`, `{"secretAccessKey":"${REDACTED}","region":"eu"}`],
    [`aws_secret_access_key = ${SECRET}`, `aws_secret_access_key = ${REDACTED}`],
    [`AWS_SESSION_TOKEN=${TOKEN} next`, `AWS_SESSION_TOKEN=${REDACTED} next`],
    [`sessionToken: "abc"`, `sessionToken: "${REDACTED}"`],
    [`Authorization: ${AUTH}`, `Authorization: ${REDACTED}`],
    [`{ authorization: '${AUTH}', host: 'x' }`, `{ authorization: '${REDACTED}', host: 'x' }`],
    [`'x-amz-security-token': 'tok'`, `'x-amz-security-token': '${REDACTED}'`],
    [`a key ${SECRET} in the middle`, `a key ${REDACTED} in the middle`],
    [`"{\\"secretAccessKey\\":\\"abc\\"}"`, `"{\\"secretAccessKey\\":\\"${REDACTED}\\"}"`],
  ])('masks %s', (input, expected) => {
    expect(redactSecrets(input)).toBe(expected)
  })

  it('masks presigned URL credentials but keeps the rest readable', () => {
    const out = redactSecrets(`GET ${PRESIGNED} failed`)
    expect(out).not.toContain(SIGNATURE)
    expect(out).not.toContain('AKIAIOSFODNN7EXAMPLE')
    expect(out).not.toContain(encodeURIComponent(TOKEN))
    expect(out).toContain('https://bucket.s3.amazonaws.com/m.bin?X-Amz-Algorithm=AWS4-HMAC-SHA256')
    expect(out).toContain('X-Amz-Expires=3600')
    expect(out).toMatch(/ failed$/)
  })

  it('leaves checksums, ids and paths alone', () => {
    const text = `sha1 ${'a1b2c3d4e5'.repeat(4)} etag "9b2cf535f27731c974343645a3985328" accessKeyId AKIAIOSFODNN7EXAMPLE /models/Flux1/Dev/model.safetensors`
    expect(redactSecrets(text)).toBe(text)
  })
})

describe('createLogger', () => {
  it('writes levels, data and errors to the file, with no secret reaching it', async () => {
    const file = join(await temp.make(), 'logs', 'modeldl.log')
    const log = createLogger(file)
    log.info('starting with credentials', { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: SECRET })
    log.warn(`request to ${PRESIGNED} was slow`)
    log.error('request failed', new Error(`403 for ${PRESIGNED}`), { headers: { Authorization: AUTH } })
    log.debug(`env AWS_SESSION_TOKEN=${TOKEN}`)
    log.log('info', '100% done')

    const text = await readFile(file, 'utf8')
    for (const secret of [SECRET, SIGNATURE, TOKEN, encodeURIComponent(TOKEN), 'Credential=AKIA']) {
      expect(text).not.toContain(secret)
    }
    expect(text).toContain(REDACTED)
    expect(text).toMatch(/\[info\] +starting with credentials \{ accessKeyId: 'AKIAIOSFODNN7EXAMPLE'/)
    expect(text).toMatch(/\[error\] +request failed Error: 403 for https:\/\/bucket/)
    expect(text).toMatch(/\[debug\] +env AWS_SESSION_TOKEN=\[REDACTED\]/)
    expect(text).toMatch(/\[info\] +100% done/)
  })

  it('rotates by size, keeping one .old file', async () => {
    const dir = await temp.make()
    const log = createLogger(join(dir, 'modeldl.log'), { maxBytes: 4096 })
    const line = 'x'.repeat(100)
    for (let i = 0; i < 200; i++) log.info(`${i} ${line}`)
    expect(await fileExists(join(dir, 'modeldl.old.log'))).toBe(true)
    expect((await stat(join(dir, 'modeldl.log'))).size).toBeLessThanOrEqual(4096 + 200)
    expect((await stat(join(dir, 'modeldl.old.log'))).size).toBeLessThanOrEqual(4096 + 200)
    expect(await readFile(join(dir, 'modeldl.log'), 'utf8')).toContain(`199 ${line}`)
  })

  it('keeps loggers for different files apart', async () => {
    const dir = await temp.make()
    const a = createLogger(join(dir, 'a.log'), { level: 'info' })
    const b = createLogger(join(dir, 'b.log'))
    a.info('to a')
    a.debug('a debug, below its level')
    b.info('to b')
    a.info('to a again')
    expect(await readFile(join(dir, 'a.log'), 'utf8')).toMatch(/to a\n.*to a again\n$/)
    expect(await readFile(join(dir, 'a.log'), 'utf8')).not.toContain('debug')
    expect(await readFile(join(dir, 'b.log'), 'utf8')).toMatch(/^[^\n]*to b\n$/)
  })
})
