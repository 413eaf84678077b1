import { Agent as HttpAgent } from 'node:http'
import { Agent as HttpsAgent } from 'node:https'
import { S3Client } from '@aws-sdk/client-s3'
import { NodeHttpHandler } from '@smithy/node-http-handler'
import type { S3Settings, TransferTuning } from '../../shared/transfer'
import { FastHttpHandler } from './fast-http-handler'
import { ObjectWire } from './object-wire'
import { explicitCredentials, resolveEndpoint, resolveRegion, usesPathStyle } from './s3-endpoint'

type Env = Record<string, string | undefined>

/**
 * An S3 client (a worker's ObjectStore makes one only once it needs the SDK). Keep-alive sockets are
 * shared by every transfer; the connect timeout is explicit because the SDK's default waits forever,
 * and a stalled body is caught by the range fetcher's own watchdog (the SDK's socket timeout does not
 * cover a streamed body reliably). Object GETs go over `wire` (a new one unless given: an ObjectStore
 * gives its own, whose direct GETs may have started before the SDK was loaded); destroying the client
 * closes it.
 */
export function createS3Client(
  settings: S3Settings,
  tuning: Pick<TransferTuning, 'connectTimeoutMs' | 'stallTimeoutMs'>,
  env: Env = process.env,
  /** null: every request over the SDK's own NodeHttpHandler (MODELDL_HTTP=sdk, see ObjectStore). */
  wire: ObjectWire | null = new ObjectWire({
    connectTimeoutMs: tuning.connectTimeoutMs,
    socketTimeoutMs: tuning.stallTimeoutMs,
  }),
): S3Client {
  const endpoint = resolveEndpoint(settings, env)
  const agentOptions = { keepAlive: true, maxSockets: 256 }
  const sdkHandler = new NodeHttpHandler({
    httpAgent: new HttpAgent(agentOptions),
    httpsAgent: new HttpsAgent(agentOptions),
    connectionTimeout: tuning.connectTimeoutMs,
    socketTimeout: tuning.stallTimeoutMs,
  })
  // Explicit keys, else the SDK's default chain (env, SSO, shared config/credentials for `profile`,
  // process, web identity, ECS/EC2): the same chain @aws-sdk/credential-providers' fromNodeProviderChain
  // builds, without loading that package's other providers on every worker start.
  const credentials = explicitCredentials(settings)
  return new S3Client({
    region: resolveRegion(settings, env),
    ...(endpoint ? { endpoint } : {}),
    forcePathStyle: usesPathStyle(settings, env),
    followRegionRedirects: true,
    ...(credentials ? { credentials } : {}),
    ...(settings.profile ? { profile: settings.profile } : {}),
    // We verify whole files ourselves, once, with the fastest checksum available.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    // One retry policy, ours: it resumes a range from its last byte, which the SDK's cannot.
    maxAttempts: 1,
    // Object bodies over our own HTTP/1.1 connections (see FastHttpHandler), all else over the SDK's.
    requestHandler: wire ? new FastHttpHandler(sdkHandler, wire) : sdkHandler,
  })
}
