// Runs s3rver 3.7.1 in its own process for test/support/s3-server.ts.
//
// Started with `node --openssl-legacy-provider` because s3rver encrypts ListObjectsV2 continuation tokens
// with DES, which OpenSSL 3 only offers through the legacy provider (without it every truncated listing
// answers 500 InternalError).
//
// Protocol (IPC, the parent forks this file):
//   argv: <directory> <bucket>
//   child -> parent: { type: 'ready', port } once listening on 127.0.0.1, or { type: 'error', message }.
//   The child exits when the IPC channel closes, so it never outlives the test process that started it,
//   even when that process is killed with SIGKILL; then it also removes its directory.
import { rmSync } from 'node:fs'
import S3rver from 's3rver'

const [directory, bucket] = process.argv.slice(2)

function send(message) {
  if (process.connected) process.send(message)
}

if (!directory || !bucket) {
  send({ type: 'error', message: 'usage: s3rver-child.mjs <directory> <bucket>' })
  process.exit(2)
}

// The parent is gone (close() sends SIGTERM instead): nobody else will remove the directory.
process.on('disconnect', () => {
  try {
    rmSync(directory, { recursive: true, force: true })
  } finally {
    process.exit(0)
  }
})
process.on('SIGTERM', () => process.exit(0))

const server = new S3rver({
  address: '127.0.0.1',
  port: 0,
  silent: true,
  directory,
  configureBuckets: [{ name: bucket }],
})

try {
  const address = await server.run()
  send({ type: 'ready', port: address.port })
} catch (err) {
  send({ type: 'error', message: err instanceof Error ? err.stack || err.message : String(err) })
  process.exit(1)
}
