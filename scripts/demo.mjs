#!/usr/bin/env node
// `npm run demo`: a local S3-compatible server (s3rver) with a few generated "model" files and a model
// config in the old nested format, then `modeldl download missing --wait` against it. No AWS account.
// The server stays up until Ctrl-C so that the other commands can be tried (the script prints them).
import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3'
import S3rver from 's3rver'

// The SDK warns about Node 20 on every client; the README says which Node versions are supported.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true'
const root = resolve(import.meta.dirname, '..')
const demo = join(root, '.demo')
const MiB = 1024 * 1024
const models = [
  ['checkpoints', 'demo_sdxl_base.safetensors', 96 * MiB],
  ['loras', 'demo_detail_lora.safetensors', 24 * MiB],
  ['vae', 'demo_vae.safetensors', 12 * MiB],
  ['clip', 'demo_clip_l.safetensors', 8 * MiB],
]

rmSync(demo, { recursive: true, force: true })
for (const d of ['s3', 'volume', 'home']) mkdirSync(join(demo, d), { recursive: true })
const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: join(demo, 's3') })
const { port } = await server.run()
const endpoint = `http://127.0.0.1:${port}`
const env = {
  ...process.env,
  AWS_ACCESS_KEY_ID: 'S3RVER',
  AWS_SECRET_ACCESS_KEY: 'S3RVER',
  AWS_REGION: 'us-east-1',
  AWS_ENDPOINT_URL_S3: endpoint,
  AWS_BUCKET_NAME: 'demo-models',
  NETWORK_VOLUME: join(demo, 'volume'),
  MODELDL_HOME: join(demo, 'home'),
  MODEL_CONFIG_FILE: join(demo, 'model-config.json'),
}
const s3 = new S3Client({
  endpoint,
  region: 'us-east-1',
  forcePathStyle: true,
  credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
  // s3rver stores a streamed upload's chunk framing: send plain bodies.
  requestChecksumCalculation: 'WHEN_REQUIRED',
})
await s3.send(new CreateBucketCommand({ Bucket: 'demo-models' }))
const config = {}
for (const [group, name, size] of models) {
  const key = `models/${group}/${name}`
  await s3.send(new PutObjectCommand({ Bucket: 'demo-models', Key: key, Body: randomBytes(size) }))
  config[group] ??= {}
  config[group][name.replace('.safetensors', '')] = {
    originalS3Path: key,
    localPath: `{{NETWORK_VOLUME}}/ComfyUI/models/${group}/${name}`,
    modelName: name,
    modelSize: size,
    directoryGroup: group,
  }
}
// The old system's clip → text_encoders move: one object, a link instead of a second copy.
config.text_encoders = {
  demo_clip_l: {
    ...config.clip.demo_clip_l,
    localPath: '{{NETWORK_VOLUME}}/ComfyUI/models/text_encoders/demo_clip_l.safetensors',
    directoryGroup: 'text_encoders',
    symLinkedFrom: '{{NETWORK_VOLUME}}/ComfyUI/models/clip/demo_clip_l.safetensors',
  },
}
writeFileSync(env.MODEL_CONFIG_FILE, JSON.stringify(config, null, 2))

console.log(
  `Demo S3 server on ${endpoint} with ${models.length} models; config in ${env.MODEL_CONFIG_FILE}\n`,
)
console.log('$ modeldl download missing --wait')
// Asynchronously: this process is the S3 server and must keep answering while the CLI runs.
const cli = spawn(process.execPath, [join(root, 'bin/modeldl.js'), 'download', 'missing', '--wait'], {
  env,
  stdio: 'inherit',
})
await new Promise((done) => cli.on('exit', done))

const exports = [
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_REGION',
  'AWS_ENDPOINT_URL_S3',
  'AWS_BUCKET_NAME',
  'NETWORK_VOLUME',
  'MODELDL_HOME',
  'MODEL_CONFIG_FILE',
]
console.log('\nThe server stays up until Ctrl-C. In another terminal, try:\n')
for (const k of exports) console.log(`  export ${k}=${env[k]}`)
console.log(`
  npx modeldl status
  npx modeldl progress --all
  npx modeldl download all --wait            # all complete: nothing is fetched again
  truncate -s 1000 "$NETWORK_VOLUME/ComfyUI/models/vae/demo_vae.safetensors"
  npx modeldl download missing               # the truncated file is fetched again, in the background
  npx modeldl list --format table`)
process.on('SIGINT', async () => {
  await server.close()
  process.exit(0)
})
