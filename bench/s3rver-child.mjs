// Runs s3rver for the benchmark, as its own process so that its CPU time is not the benchmark's and
// the clients compete with it for the 2 cores like they would with a real local server.
// Start it as: node --openssl-legacy-provider bench/s3rver-child.mjs <directory> <port>
// (s3rver's ListObjects continuation tokens use DES, which OpenSSL 3 only has in the legacy provider.)
// It prints one JSON line {"port": N} once listening, and exits when its stdin closes, so it cannot
// outlive the benchmark even if the benchmark is killed with SIGKILL.
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
const S3rver = require('s3rver')

const [directory, portArg] = process.argv.slice(2)
if (!directory) {
  console.error('usage: s3rver-child.mjs <directory> [port]')
  process.exit(2)
}

const server = new S3rver({
  address: '127.0.0.1',
  port: Number(portArg ?? 0),
  directory,
  silent: true,
  resetOnClose: false,
  configureBuckets: [{ name: 'bench' }],
  // Path-style only: the far tier reaches it by a host name (far-store.test), which s3rver would
  // otherwise take for a bucket name (CNAME-style virtual hosting).
  vhostBuckets: false,
})

const { port } = await server.run()
process.stdout.write(JSON.stringify({ port }) + '\n')

let closing = false
async function shutdown() {
  if (closing) return
  closing = true
  try {
    await server.close()
  } finally {
    process.exit(0)
  }
}
process.stdin.on('end', shutdown)
process.stdin.on('close', shutdown)
process.stdin.resume()
process.on('SIGTERM', shutdown)
process.on('SIGINT', shutdown)
