// A real S3-compatible server for integration tests: s3rver 3.7.1 in a child process, in a fresh temp dir.
//
// Why a child process and not s3rver in the test process:
// - it must run under `node --openssl-legacy-provider` (truncated ListObjectsV2 uses DES tokens);
// - its CPU (about 2 CPU-s per GiB) and its event loop stay out of the process that runs the engine,
//   so a stalled or busy test cannot stall the server and the other way round;
// - a test that crashes cannot leave the port open: the child exits when its IPC channel closes.
//
// s3rver 3.7.1 quirks (real S3 behaves correctly in each case; see ARCHITECTURE.md):
// - a streamed upload with SDK default checksums stores the aws-chunked framing in the object, so every
//   upload here sends a Buffer body with requestChecksumCalculation 'WHEN_REQUIRED';
// - no x-amz-checksum-* headers, If-Match is ignored, `bytes=0-0` and multi-range return the whole object,
//   suffix ranges (`bytes=-100`) are wrong, a multipart ETag is a plain MD5 (no `-N` suffix): the fault
//   proxy (fault-proxy.ts) adds checksums, enforces If-Match and fakes changed objects;
// - SigV4 signatures are not verified (a wrong secret key passes; an unknown access key id is refused with
//   403 InvalidAccessKeyId): credential-error tests need the fault proxy's 'status' rule;
// - keys containing `..` can be written outside its directory: hence a fresh temp dir per server.
import {
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3'
import { fork } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { createHash } from 'node:crypto'
import { rmSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { makeTempDir, removeTempDir } from './temp'

export const TEST_REGION = 'us-east-1'
export const TEST_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } as const

/** Objects larger than this are uploaded in parts, one part in memory at a time. */
export const MULTIPART_THRESHOLD = 512 * 1024 * 1024
/** Part size for large putRandom uploads (s3rver does not enforce S3's 5 MiB minimum, but we respect it). */
export const MULTIPART_PART_SIZE = 64 * 1024 * 1024

export interface RandomObject {
  /** The ETag as S3 returns it, quotes included: `"<md5>"`. */
  etag: string
  /** Hex SHA-256 of the whole object. */
  sha256: string
  /**
   * The whole object. Up to MULTIPART_THRESHOLD it is kept from the upload; above, it is regenerated on
   * each access (a getter): use slice() to check a range of a big object without holding all of it.
   */
  readonly body: Buffer
  /** Bytes [start, end) of the object, regenerated deterministically (no copy of the object is kept). */
  slice(start: number, end: number): Buffer
}

export interface PutRandomOptions {
  multipart?: boolean
  partSize?: number
}

export interface TestS3Server {
  /** http://127.0.0.1:PORT */
  endpoint: string
  bucket: string
  region: 'us-east-1'
  credentials: { accessKeyId: string; secretAccessKey: string }
  /** AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION, AWS_ENDPOINT_URL_S3 (this server). */
  env: Record<string, string>
  /** The same variables pointed at another endpoint, e.g. a fault proxy's url. */
  envFor(endpoint: string): Record<string, string>
  /** A client for this server (path style, checksums only when required). */
  client: S3Client
  /** A client configured the same way for another endpoint (e.g. a fault proxy); the caller destroys it. */
  clientFor(endpoint: string, options?: { maxAttempts?: number }): S3Client
  /** The temp directory s3rver stores its buckets in. */
  dir: string
  /** The s3rver child's process id. */
  pid: number
  put(key: string, body: Buffer): Promise<{ etag: string }>
  /**
   * Uploads `size` deterministic pseudo-random bytes. The content depends only on `seed` (same seed, same
   * bytes, whatever the key); without a seed it is derived from the key. Sizes above MULTIPART_THRESHOLD
   * go up as a multipart upload with MULTIPART_PART_SIZE parts; `options` forces multipart (and a part
   * size) for small objects, e.g. to get a multipart ETag cheaply.
   */
  putRandom(key: string, size: number, seed?: number, options?: PutRandomOptions): Promise<RandomObject>
  /** Reads an object back in full (for small objects). */
  get(key: string): Promise<Buffer>
  /** Kills the child process and removes the temp dir. Safe to call twice. */
  close(): Promise<void>
}

export function makeS3Client(endpoint: string, options: { maxAttempts?: number } = {}): S3Client {
  return new S3Client({
    endpoint,
    region: TEST_REGION,
    credentials: { ...TEST_CREDENTIALS },
    forcePathStyle: true,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    ...(options.maxAttempts === undefined ? {} : { maxAttempts: options.maxAttempts }),
  })
}

export function s3Env(endpoint: string): Record<string, string> {
  return {
    AWS_ACCESS_KEY_ID: TEST_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: TEST_CREDENTIALS.secretAccessKey,
    AWS_REGION: TEST_REGION,
    AWS_ENDPOINT_URL_S3: endpoint,
  }
}

// ---- deterministic content ----------------------------------------------------------------------------

function seedWord(seed: string | number): number {
  return createHash('sha256')
    .update(`modeldl-test-content:${typeof seed}:${seed}`)
    .digest()
    .readUInt32LE(0)
}

const WORDS_PER_SEGMENT = 2 ** 32

const FILL_CHUNK_WORDS = 1 << 16

function fillRun(out: Uint32Array, start: number, n: number, lo: number, s: number): void {
  for (let j = 0; j < n; j++) {
    let h = Math.imul(lo + j, 0x9e3779b1) ^ s
    h ^= h >>> 16
    h = Math.imul(h, 0x85ebca6b)
    h ^= h >>> 13
    h = Math.imul(h, 0xc2b2ae35)
    h ^= h >>> 16
    out[start + j] = h
  }
}

/**
 * Fills `out` with the words firstWord, firstWord+1, ... of the stream: word i is murmur3's fmix32 of
 * (i * golden ratio) ^ seed, a bijection of the counter, so nothing repeats within a 16 GiB segment, and
 * each segment gets its own seed. Counter-based, hence seekable. Short runs keep V8's optimizer on the
 * hot loop (one long call is slower than many short ones).
 */
function fillWords(out: Uint32Array, seed: number, firstWord: number): void {
  let i = 0
  while (i < out.length) {
    const word = firstWord + i
    const segment = Math.floor(word / WORDS_PER_SEGMENT)
    const lo = word - segment * WORDS_PER_SEGMENT
    const n = Math.min(out.length - i, WORDS_PER_SEGMENT - lo, FILL_CHUNK_WORDS)
    let s = (seed ^ Math.imul(segment + 1, 0x9e3779b1)) | 0
    s ^= s >>> 16
    s = Math.imul(s, 0x85ebca6b)
    s ^= s >>> 13
    fillRun(out, i, n, lo, s)
    i += n
  }
}

/**
 * Bytes [offset, offset + length) of the pseudo-random stream for `seed`. Seekable (any slice of a huge
 * object is regenerated without producing what comes before it) and fast: about 2 GB/s into memory
 * already touched (OpenSSL's AES-CTR keystream ran at about 0.2 GB/s here). A fresh buffer costs more in
 * page faults (~3 ms per MiB on these VMs) than the generation itself. Words are laid out in the platform's byte order
 * (little-endian on every machine we run on).
 */
export function deterministicBytes(seed: string | number, offset: number, length: number): Buffer {
  if (!Number.isSafeInteger(offset) || offset < 0 || !Number.isSafeInteger(length) || length < 0) {
    throw new RangeError(`bad offset/length: ${offset}/${length}`)
  }
  const skip = offset % 4
  const words = new Uint32Array(Math.ceil((length + skip) / 4))
  fillWords(words, seedWord(seed), Math.floor(offset / 4))
  return Buffer.from(words.buffer, skip, length)
}

// ---- child process lifecycle --------------------------------------------------------------------------

const CHILD_SCRIPT = fileURLToPath(new URL('./s3rver-child.mjs', import.meta.url))
const START_TIMEOUT_MS = 20_000

const live = new Map<ChildProcess, string>()
let exitHookInstalled = false

function installExitHook(): void {
  if (exitHookInstalled) return
  exitHookInstalled = true
  // Last resort when a test forgets close(): the child also exits on its own when the IPC channel closes.
  process.on('exit', () => {
    for (const [child, dir] of live) {
      child.kill('SIGKILL')
      try {
        rmSync(dir, { recursive: true, force: true })
      } catch {
        // best effort at exit
      }
    }
  })
}

function waitForExit(child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true)
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms)
    child.once('exit', () => {
      clearTimeout(timer)
      resolve(true)
    })
  })
}

function startChild(dir: string, bucket: string): Promise<{ child: ChildProcess; port: number }> {
  const child = fork(CHILD_SCRIPT, [dir, bucket], {
    // Set explicitly: the parent's execArgv may carry a test runner's loader flags.
    execArgv: ['--openssl-legacy-provider'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    serialization: 'json',
  })
  live.set(child, dir)
  child.once('exit', () => live.delete(child))
  return new Promise((resolve, reject) => {
    let settled = false
    const fail = (err: Error): void => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      child.kill('SIGKILL')
      reject(err)
    }
    const timer = setTimeout(
      () => fail(new Error('s3rver child did not report ready in time')),
      START_TIMEOUT_MS,
    )
    child.on('message', (message: unknown) => {
      const m = message as { type?: string; port?: number; message?: string }
      if (settled) return
      if (m.type === 'ready' && typeof m.port === 'number') {
        settled = true
        clearTimeout(timer)
        resolve({ child, port: m.port })
      } else if (m.type === 'error') {
        fail(new Error(`s3rver child failed to start: ${m.message ?? 'unknown error'}`))
      }
    })
    child.once('error', fail)
    child.once('exit', (code, signal) => fail(new Error(`s3rver child exited early (${code ?? signal})`)))
  })
}

// ---- the server ---------------------------------------------------------------------------------------

export async function startS3Server(opts: { bucket?: string } = {}): Promise<TestS3Server> {
  const bucket = opts.bucket ?? 'models'
  installExitHook()
  const dir = await makeTempDir('modeldl-s3rver-')
  let child: ChildProcess
  let port: number
  try {
    ;({ child, port } = await startChild(dir, bucket))
  } catch (err) {
    await removeTempDir(dir)
    throw err
  }
  const endpoint = `http://127.0.0.1:${port}`
  const client = makeS3Client(endpoint)

  async function put(key: string, body: Buffer): Promise<{ etag: string }> {
    const out = await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }))
    if (!out.ETag) throw new Error(`PutObject ${key}: no ETag in the answer`)
    return { etag: out.ETag }
  }

  /** Uploads parts made by `part` one at a time, in order; `part`'s buffer may be reused after each. */
  async function putMultipart(
    key: string,
    size: number,
    partSize: number,
    part: (start: number, length: number) => Buffer,
  ): Promise<string> {
    const { UploadId } = await client.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key }))
    if (!UploadId) throw new Error(`CreateMultipartUpload ${key}: no UploadId`)
    const parts: { ETag: string; PartNumber: number }[] = []
    for (let start = 0, n = 1; start < size || n === 1; start += partSize, n++) {
      const body = part(start, Math.min(partSize, size - start))
      const out = await client.send(
        new UploadPartCommand({ Bucket: bucket, Key: key, UploadId, PartNumber: n, Body: body }),
      )
      if (!out.ETag) throw new Error(`UploadPart ${key} #${n}: no ETag`)
      parts.push({ ETag: out.ETag, PartNumber: n })
    }
    const done = await client.send(
      new CompleteMultipartUploadCommand({
        Bucket: bucket,
        Key: key,
        UploadId,
        MultipartUpload: { Parts: parts },
      }),
    )
    if (!done.ETag) throw new Error(`CompleteMultipartUpload ${key}: no ETag`)
    return done.ETag
  }

  async function putRandom(
    key: string,
    size: number,
    seed?: number,
    options: PutRandomOptions = {},
  ): Promise<RandomObject> {
    if (!Number.isSafeInteger(size) || size < 0) throw new RangeError(`bad size: ${size}`)
    const partSize = options.partSize ?? MULTIPART_PART_SIZE
    if (!Number.isSafeInteger(partSize) || partSize < 1) throw new RangeError(`bad part size: ${partSize}`)
    const contentSeed: string | number = seed ?? `key:${key}`
    const slice = (start: number, end: number): Buffer => {
      const from = Math.max(0, Math.min(start, size))
      const to = Math.max(from, Math.min(end, size))
      return deterministicBytes(contentSeed, from, to - from)
    }
    if (size <= MULTIPART_THRESHOLD && !options.multipart) {
      const body = deterministicBytes(contentSeed, 0, size)
      const sha256 = createHash('sha256').update(body).digest('hex')
      const { etag } = await put(key, body)
      return { etag, sha256, body, slice }
    }
    // One part buffer, refilled in place: fresh memory costs more to fault in here than to fill.
    const hash = createHash('sha256')
    const words = partSize % 4 === 0 ? new Uint32Array(Math.ceil(Math.min(partSize, size) / 4)) : undefined
    const seedW = seedWord(contentSeed)
    const etag = await putMultipart(key, size, partSize, (start, length) => {
      let body: Buffer
      if (words) {
        const used = words.subarray(0, Math.ceil(length / 4))
        fillWords(used, seedW, start / 4)
        body = Buffer.from(words.buffer, 0, length)
      } else {
        body = deterministicBytes(contentSeed, start, length)
      }
      hash.update(body)
      return body
    })
    const sha256 = hash.digest('hex')
    return {
      etag,
      sha256,
      get body() {
        return deterministicBytes(contentSeed, 0, size)
      },
      slice,
    }
  }

  async function get(key: string): Promise<Buffer> {
    const out = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }))
    if (!out.Body) throw new Error(`GetObject ${key}: no body`)
    return Buffer.from(await out.Body.transformToByteArray())
  }

  let closing: Promise<void> | undefined
  function close(): Promise<void> {
    closing ??= (async () => {
      client.destroy()
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM')
        if (!(await waitForExit(child, 3_000))) {
          child.kill('SIGKILL')
          await waitForExit(child, 3_000)
        }
      }
      live.delete(child)
      await removeTempDir(dir)
    })()
    return closing
  }

  return {
    endpoint,
    bucket,
    region: TEST_REGION,
    credentials: { ...TEST_CREDENTIALS },
    env: s3Env(endpoint),
    envFor: s3Env,
    client,
    clientFor: makeS3Client,
    dir,
    pid: child.pid ?? -1,
    put,
    putRandom,
    get,
    close,
  }
}
