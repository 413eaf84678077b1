// The clients, each run as one whole command (process start-up included). Every builder returns the
// argv and the list of {key, dest} it is expected to produce.
import path from 'node:path'
import { FAR_HOST } from './far-store.mjs'

export const AWS_BIN = '/usr/bin/aws' // Debian's awscli; an older aws may come first on PATH
export const RCLONE_BIN = '/usr/bin/rclone'
export const CURL_BIN = '/usr/bin/curl'
export const NGINX_BIN = '/usr/sbin/nginx'
export const TIME_BIN = '/usr/bin/time'

/** Debian packages the benchmark needs, by what needs them. */
export const TOOLS = [
  { bin: TIME_BIN, pkg: 'time', for: 'timing every run' },
  { bin: NGINX_BIN, pkg: 'nginx', for: 'the nginx server', server: 'nginx' },
  { bin: CURL_BIN, pkg: 'curl', for: 'the curl client', client: 'curl' },
  { bin: AWS_BIN, pkg: 'awscli', for: 'the aws client', client: 'aws' },
  { bin: RCLONE_BIN, pkg: 'rclone', for: 'the rclone clients', client: 'rclone' },
]

function destFor(c, destDir, key) {
  return c.kind === 'single'
    ? path.join(destDir, path.basename(key))
    : path.join(destDir, key.slice(c.prefix.length))
}

function outputs(c, destDir) {
  return c.files.map((f) => ({ key: f.key, size: f.size, dest: destFor(c, destDir, f.key) }))
}

const curl = {
  id: 'curl',
  family: 'curl',
  label: 'curl',
  note: 'curl -o (many files: one curl --parallel --parallel-max 8); unsigned GET, no check',
  build(c, server, destDir) {
    const outs = outputs(c, destDir)
    const url = (key) => `${server.endpoint}/bench/${key}`
    const argv =
      c.kind === 'single'
        ? [CURL_BIN, '-sS', '--fail', '-o', outs[0].dest, url(outs[0].key)]
        : [
            CURL_BIN,
            '-sS',
            '--fail',
            '--parallel',
            '--parallel-max',
            '8',
            ...outs.flatMap((o) => ['-o', o.dest, url(o.key)]),
          ]
    return { argv, outs }
  },
}

const aws = {
  id: 'aws',
  family: 'aws',
  label: 'aws s3 cp',
  note: 'Debian awscli, default transfer settings (10 threads, 8 MiB parts); many files: cp --recursive',
  build(c, server, destDir) {
    const outs = outputs(c, destDir)
    const common = ['--endpoint-url', server.endpoint, '--only-show-errors']
    const argv =
      c.kind === 'single'
        ? [AWS_BIN, 's3', 'cp', `s3://bench/${c.files[0].key}`, outs[0].dest, ...common]
        : [AWS_BIN, 's3', 'cp', '--recursive', `s3://bench/${c.prefix}`, destDir + path.sep, ...common]
    return { argv, outs }
  },
}

function rcloneClient(id, label, extra, note) {
  return {
    id,
    family: 'rclone',
    label,
    note,
    build(c, server, destDir) {
      const outs = outputs(c, destDir)
      const argv =
        c.kind === 'single'
          ? [
              RCLONE_BIN,
              'copyto',
              `bench:bench/${c.files[0].key}`,
              outs[0].dest,
              '--multi-thread-streams',
              '4',
              '-q',
              ...extra,
            ]
          : [
              RCLONE_BIN,
              'copy',
              `bench:bench/${c.prefix.replace(/\/$/, '')}`,
              destDir,
              '--transfers',
              '8',
              '-q',
              ...extra,
            ]
      return { argv, outs }
    },
  }
}

function oursClient(id, label, extra, note, env = {}) {
  return {
    id,
    family: 'ours',
    label,
    note,
    build(c, server, destDir, { oursCli, oursQuiet }) {
      const outs = outputs(c, destDir)
      const argv = [
        process.execPath,
        oursCli,
        'get',
        ...outs.flatMap((o) => [`s3://bench/${o.key}`, o.dest]),
        ...(c.kind === 'many' ? ['--jobs', '8'] : []),
        ...(oursQuiet ? ['--quiet'] : []),
        ...extra,
      ]
      return { argv, outs, env }
    },
  }
}

/**
 * The user's path: `modeldl download single '<model>' --wait`, the bin run as a command (what `npm
 * link` or `npm install -g` puts on PATH; its shebang starts node), through the queue: it becomes
 * the owner of a fresh state folder, forks the worker, and exits once the model is completed.
 */
function oursDownloadClient(id, label, env, note) {
  return {
    id,
    family: 'ours',
    label,
    note,
    build(c, server, destDir, { oursBin }) {
      const outs = outputs(c, destDir)
      if (c.kind !== 'single') return { skip: 'download single takes one model' }
      const f = c.files[0]
      const model = {
        directoryGroup: 'bench',
        modelName: path.basename(f.key),
        originalS3Path: `s3://bench/${f.key}`,
        localPath: outs[0].dest,
        modelSize: f.size,
      }
      const argv = [oursBin, 'download', 'single', JSON.stringify(model), '--wait']
      // A fresh state folder each run (the destination is emptied before each), the models root the
      // destination: what a first download on a new machine does.
      return {
        argv,
        outs,
        env: { ...env, MODELDL_HOME: path.join(destDir, '.modeldl-home'), MODELDL_MODELS_ROOT: destDir },
      }
    },
  }
}

/** Fixed settings for the sweep of connections × part size (on the far tier). */
export const SWEEP = [4, 8, 16, 32].flatMap((n) =>
  [8, 16, 64].map((mib) =>
    oursClient(
      `ours-c${n}-p${mib}m`,
      `ours get -c ${n} --part-size ${mib}M`,
      ['--connections', String(n), '--part-size', `${mib}M`],
      'sweep: fixed connections and part size',
    ),
  ),
)

export const CLIENTS = [
  curl,
  aws,
  rcloneClient(
    'rclone',
    'rclone',
    [],
    'rclone copyto, 4 streams (copy --transfers 8 for many files); verifies MD5',
  ),
  rcloneClient(
    'rclone-nocheck',
    'rclone --ignore-checksum',
    ['--ignore-checksum'],
    'as rclone, without the MD5 check',
  ),
  oursClient('ours', 'ours', [], 'modeldl get, defaults (verifies an MD5 ETag inline); many files: --jobs 8'),
  oursClient('ours-noverify', 'ours --no-verify', ['--no-verify'], 'modeldl get --no-verify'),
  oursDownloadClient(
    'ours-download',
    'ours download --wait',
    {},
    "modeldl download single '<model>' --wait: the bin as a command, through the queue (the user's path)",
  ),
  oursDownloadClient(
    'ours-download-sdk',
    'ours download --wait, SDK handler',
    { MODELDL_HTTP: 'sdk' },
    "as ours-download, every GET over the AWS SDK's NodeHttpHandler (MODELDL_HTTP=sdk)",
  ),
  oursClient(
    'ours-sdk',
    'ours get, SDK handler',
    [],
    "modeldl get, every GET over the AWS SDK's NodeHttpHandler",
    {
      MODELDL_HTTP: 'sdk',
    },
  ),
  oursClient(
    'ours-c16',
    'ours get --connections 16',
    ['--connections', '16'],
    'modeldl get --connections 16 (peak RSS at 4 GiB)',
  ),
  ...SWEEP,
  oursClient(
    'ours-c1',
    'ours --connections 1',
    ['--connections', '1'],
    'modeldl get --connections 1 (not run unless asked)',
  ),
]

export const DEFAULT_CLIENTS = [
  'curl',
  'aws',
  'rclone',
  'rclone-nocheck',
  'ours',
  'ours-noverify',
  'ours-download',
  'ours-download-sdk',
  'ours-sdk',
]

/**
 * The environment every client runs with: the S3 credentials and endpoint, nothing from the
 * caller's AWS or rclone setup or Node options, no proxy (all traffic stays on 127.0.0.1).
 */
export function clientEnv(server, tmpDir) {
  const env = {}
  for (const [k, v] of Object.entries(process.env)) {
    // NODE_OPTIONS and NODE_EXTRA_CA_CERTS change what every Node process does at start (the latter
    // parses a CA bundle: ~60 ms of CPU per process, two per `modeldl get`); the other clients are
    // not Node, so they are left out like the caller's AWS and rclone settings.
    if (/^(AWS_|RCLONE_)/.test(k) || /_proxy$/i.test(k) || /^NODE_(OPTIONS|EXTRA_CA_CERTS)$/.test(k)) continue
    env[k] = v
  }
  Object.assign(env, {
    AWS_ACCESS_KEY_ID: 'S3RVER',
    AWS_SECRET_ACCESS_KEY: 'S3RVER',
    AWS_REGION: 'us-east-1',
    AWS_DEFAULT_REGION: 'us-east-1',
    AWS_ENDPOINT_URL_S3: server.endpoint,
    AWS_CONFIG_FILE: path.join(tmpDir, 'aws-config-none'),
    AWS_SHARED_CREDENTIALS_FILE: path.join(tmpDir, 'aws-credentials-none'),
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_PAGER: '',
    NO_PROXY: `127.0.0.1,localhost,${FAR_HOST}`,
    no_proxy: `127.0.0.1,localhost,${FAR_HOST}`,
    RCLONE_CONFIG: path.join(tmpDir, 'rclone.conf'),
    RCLONE_CONFIG_BENCH_TYPE: 's3',
    RCLONE_CONFIG_BENCH_PROVIDER: 'Other',
    RCLONE_CONFIG_BENCH_ENDPOINT: server.endpoint,
    RCLONE_CONFIG_BENCH_ACCESS_KEY_ID: 'S3RVER',
    RCLONE_CONFIG_BENCH_SECRET_ACCESS_KEY: 'S3RVER',
    RCLONE_CONFIG_BENCH_REGION: 'us-east-1',
    RCLONE_CONFIG_BENCH_FORCE_PATH_STYLE: 'true',
  })
  return env
}
