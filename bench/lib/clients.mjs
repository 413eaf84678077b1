// The clients, each run as one whole command (process start-up included). Every builder returns the
// argv and the list of {key, dest} it is expected to produce.
import path from 'node:path'

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

function oursClient(id, label, extra, note) {
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
      return { argv, outs }
    },
  }
}

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
  oursClient(
    'ours-c1',
    'ours --connections 1',
    ['--connections', '1'],
    'modeldl get --connections 1 (not run unless asked)',
  ),
]

export const DEFAULT_CLIENTS = ['curl', 'aws', 'rclone', 'rclone-nocheck', 'ours', 'ours-noverify']

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
    NO_PROXY: '127.0.0.1,localhost',
    no_proxy: '127.0.0.1,localhost',
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
