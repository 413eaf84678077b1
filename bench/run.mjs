#!/usr/bin/env node
// Download benchmark: our engine's CLI against curl, aws s3 cp and rclone, on s3rver and nginx,
// all on 127.0.0.1. See bench/README.md.
import { spawn, spawnSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'

import {
  CASES,
  SIZE_ALIASES,
  caseBytes,
  dataRoot,
  ensureData,
  layoutS3rver,
  sourcePath,
  writeListings,
} from './lib/data.mjs'
import { CLIENTS, DEFAULT_CLIENTS, SWEEP, TIME_BIN, TOOLS, clientEnv } from './lib/clients.mjs'
import { FAR_TIERS, ensureFarHost, startFarStore } from './lib/far-store.mjs'
import { head, startNginx, startS3rver } from './lib/servers.mjs'
import { verifyOutputs } from './lib/verify.mjs'
import { pausePageReporting } from './lib/page-reporting.mjs'
import { ratioTable, summarize, summaryTable, targetTable, targets } from './lib/report.mjs'

const repoDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')

const USAGE = `usage: node bench/run.mjs [options]   (npm run bench -- [options])

  --sizes LIST     cases, comma-separated: 1g, 4g, small (200 × 1 MiB), tiny (64 MiB + 20 × 1 MiB),
                   or 64m, 20x1m alone                                   [1g,4g,small]
  --runs N         timed runs per client, case and server                [3]
  --order MODE     grouped: each client's runs back to back, after its warm-up runs; rotate: one
                   run of every client per round, the order rotated round by round   [grouped]
  --warmup N       untimed runs of a client before its timed ones (grouped order)   [1]
  --only LIST      clients: ${CLIENTS.filter((c) => !SWEEP.includes(c))
    .map((c) => c.id)
    .join(', ')},
                   sweep (ours get with fixed connections × part size: ${SWEEP.length} clients), or all
                   [${DEFAULT_CLIENTS.join(',')}]
  --servers LIST   s3rver, nginx, far, far-resets (nginx behind the fault proxy: ${FAR_TIERS.far.note};
                   far-resets: also 2% of connections reset; single files up to 1 GiB only)
                   [s3rver,nginx,far,far-resets]
  --dir DIR        work dir: data set, server stores, downloads, results [<repo>/.bench]
  --verify MODE    check of each download beyond its size: first (full sha256 on a client's first
                   run of a case, sampled bytes after), full (sha256 every run), sample   [first]
                   (files of 64 MiB and less are always hashed in full)
  --fsync          time "command && sync <outputs>" for every client, so data is on disk at the end
                   (our engine fsyncs by itself; the others do not)
  --timeout S      kill a run after S seconds and count it as failed     [900]
  --ours-cli FILE  our CLI entry to run with node                      [<repo>/bin/modeldl.js]
  --page-reporting MODE   pause: stop this VM's free page reporting for the run and put it back
                   at exit (needs root; see bench/lib/page-reporting.mjs); keep: leave it   [pause]
  --print-commands print each command line before running it
  -h, --help       this text
`

function fail(msg, code = 2) {
  console.error(`bench: ${msg}`)
  process.exit(code)
}

function parseOptions() {
  let parsed
  try {
    parsed = parseArgs({
      options: {
        sizes: { type: 'string', default: '1g,4g,small' },
        runs: { type: 'string', default: '3' },
        order: { type: 'string', default: 'grouped' },
        warmup: { type: 'string', default: '1' },
        only: { type: 'string' },
        servers: { type: 'string', default: 's3rver,nginx,far,far-resets' },
        dir: { type: 'string', default: path.join(repoDir, '.bench') },
        verify: { type: 'string', default: 'first' },
        fsync: { type: 'boolean', default: false },
        timeout: { type: 'string', default: '900' },
        'ours-cli': { type: 'string' },
        'print-commands': { type: 'boolean', default: false },
        'page-reporting': { type: 'string', default: 'pause' },
        help: { type: 'boolean', short: 'h', default: false },
      },
      allowPositionals: false,
    })
  } catch (err) {
    fail(`${err.message}\n\n${USAGE}`)
  }
  const v = parsed.values
  if (v.help) {
    process.stdout.write(USAGE)
    process.exit(0)
  }
  const list = (s) =>
    s
      .split(',')
      .map((x) => x.trim())
      .filter(Boolean)
  const caseIds = []
  for (const s of list(v.sizes)) {
    const ids = SIZE_ALIASES[s.toLowerCase()]
    if (!ids) fail(`unknown size "${s}"; use ${Object.keys(SIZE_ALIASES).join(', ')}`)
    for (const id of ids) if (!caseIds.includes(id)) caseIds.push(id)
  }
  let clientIds = v.only ? list(v.only) : DEFAULT_CLIENTS
  if (clientIds.includes('all')) clientIds = CLIENTS.map((c) => c.id)
  if (clientIds.includes('sweep'))
    clientIds = [...clientIds.filter((id) => id !== 'sweep'), ...SWEEP.map((c) => c.id)]
  for (const id of clientIds)
    if (!CLIENTS.some((c) => c.id === id))
      fail(`unknown client "${id}"; use ${CLIENTS.map((c) => c.id).join(', ')}`)
  const servers = list(v.servers)
  for (const s of servers)
    if (!['s3rver', 'nginx', ...Object.keys(FAR_TIERS)].includes(s))
      fail(`unknown server "${s}"; use s3rver, nginx, ${Object.keys(FAR_TIERS).join(', ')}`)
  const runs = Number(v.runs)
  if (!Number.isInteger(runs) || runs < 1) fail('--runs must be a positive integer')
  if (!['grouped', 'rotate'].includes(v.order)) fail('--order must be grouped or rotate')
  const warmups = Number(v.warmup)
  if (!Number.isInteger(warmups) || warmups < 0) fail('--warmup must be a whole number, 0 or more')
  if (!['first', 'full', 'sample'].includes(v.verify)) fail('--verify must be first, full or sample')
  if (!['pause', 'keep'].includes(v['page-reporting'])) fail('--page-reporting must be pause or keep')
  const timeout = Number(v.timeout)
  if (!(timeout > 0)) fail('--timeout must be a positive number of seconds')
  return {
    cases: caseIds.map((id) => CASES[id]),
    clients: CLIENTS.filter((c) => clientIds.includes(c.id)),
    servers,
    runs,
    order: v.order,
    warmups: v.order === 'grouped' ? warmups : 0,
    workDir: path.resolve(v.dir),
    verify: v.verify,
    fsync: v.fsync,
    timeoutS: timeout,
    printCommands: v['print-commands'],
    pageReporting: v['page-reporting'],
    oursCli: v['ours-cli'] ? path.resolve(v['ours-cli']) : undefined,
  }
}

function checkTools(opts) {
  const families = new Set(opts.clients.map((c) => c.family))
  const missing = TOOLS.filter(
    (t) =>
      (!t.server || opts.servers.includes(t.server)) &&
      (!t.client || families.has(t.client)) &&
      !fs.existsSync(t.bin),
  )
  if (missing.length === 0) return
  const pkgs = [...new Set(missing.map((t) => t.pkg))]
  fail(
    `missing ${missing.map((t) => `${t.bin} (Debian package "${t.pkg}", for ${t.for})`).join(', ')}.\n` +
      `Install with:  apt-get update && apt-get install -y ${pkgs.join(' ')}\n` +
      `or leave those clients or servers out with --only / --servers.`,
  )
}

/** Is our CLI built and does it know `get`? Returns {why} if not, else {quiet}: whether it has --quiet. */
function oursUnavailable(oursCli) {
  if (oursCli) {
    if (!fs.existsSync(oursCli)) return { why: `${oursCli} does not exist` }
  } else if (!fs.existsSync(path.join(repoDir, 'out', 'main', 'cli.js')))
    return { why: 'out/main/cli.js not built (npm run build)' }
  const r = spawnSync(
    process.execPath,
    [oursCli ?? path.join(repoDir, 'bin', 'modeldl.js'), 'get', '--help'],
    {
      cwd: repoDir,
      encoding: 'utf8',
      timeout: 30000,
    },
  )
  if (r.status !== 0) return { why: `\`modeldl get --help\` exited ${r.status ?? r.signal}` }
  const help = `${r.stdout}${r.stderr}`
  if (!/\bget\b/.test(help)) return { why: '`modeldl get --help` does not describe a get command yet' }
  // like curl -s, aws --only-show-errors and rclone -q: no progress output, when the CLI has the flag
  return { quiet: /--quiet\b/.test(help) }
}

function toolVersions() {
  const first = (cmd, args) => {
    const r = spawnSync(cmd, args, { encoding: 'utf8' })
    return `${r.stdout || ''}${r.stderr || ''}`.split('\n')[0].trim()
  }
  return {
    node: process.version,
    curl: first('/usr/bin/curl', ['--version']),
    aws: first('/usr/bin/aws', ['--version']),
    rclone: first('/usr/bin/rclone', ['version']),
    nginx: first('/usr/sbin/nginx', ['-v']),
    s3rver: JSON.parse(fs.readFileSync(path.join(repoDir, 'node_modules', 's3rver', 'package.json'), 'utf8'))
      .version,
    commit: first('git', ['-C', repoDir, 'rev-parse', '--short', 'HEAD']),
  }
}

// ---------------------------------------------------------------------------------------------
// cleanup: servers and the run in flight are stopped on every way out

const cleanup = { servers: [], current: null, done: false, paths: [], restore: [] }

async function shutdown() {
  if (cleanup.done) return
  cleanup.done = true
  if (cleanup.current) {
    try {
      process.kill(-cleanup.current.pid, 'SIGKILL')
    } catch {
      /* gone */
    }
  }
  await Promise.allSettled(cleanup.servers.map((s) => s.stop()))
}

process.on('exit', () => {
  if (cleanup.current) {
    try {
      process.kill(-cleanup.current.pid, 'SIGKILL')
    } catch {
      /* gone */
    }
  }
  if (!cleanup.done) for (const s of cleanup.servers) s.stopSync()
  // The cushion lives in RAM (/dev/shm): never left behind.
  for (const p of cleanup.paths) fs.rmSync(p, { recursive: true, force: true })
  for (const restore of cleanup.restore) restore()
})
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => {
    console.error(`\nbench: ${sig}, stopping servers`)
    shutdown().finally(() => process.exit(sig === 'SIGINT' ? 130 : 143))
  })
}

// ---------------------------------------------------------------------------------------------
// one timed run

const WARM_BUF = Buffer.allocUnsafe(16 * 1024 * 1024)

/** Reads the files through the page cache (this VM drops it), so the server serves from memory. */
function warm(files) {
  for (const f of files) {
    const fd = fs.openSync(f, 'r')
    try {
      while (fs.readSync(fd, WARM_BUF, 0, WARM_BUF.length, null) > 0);
    } finally {
      fs.closeSync(fd)
    }
  }
}

/**
 * Memory for the next run's writes, freed just before it starts. This VM hands memory that stays
 * free for ~2 s back to its host (virtio-balloon free page reporting), and touching it again costs
 * ~3 system-s per GiB (`dd` 1 GiB into the page cache: 2.7 s the first time, 0.3 s after). Outputs
 * removed right after a run, then verified, synced and warmed around for longer than that, made the
 * next client pay it at random: ours 1 GiB from nginx 1.6 s or 4.5 s, sys 1.0 or 4.2 s, depending
 * only on when the last output was deleted. So each run finds the previous run's outputs still
 * there, and they are deleted right before the command starts: every client writes into memory that
 * was just freed. With --order rotate the first run of a case deletes a cushion of the same size on
 * /dev/shm instead (grouped runs have warm-ups for that).
 */
function makeCushion(dir, bytes) {
  fs.mkdirSync(dir, { recursive: true })
  const chunk = Buffer.alloc(8 * 1024 * 1024, 1)
  const fd = fs.openSync(path.join(dir, 'cushion'), 'w')
  try {
    for (let left = bytes; left > 0; left -= chunk.length) {
      fs.writeSync(fd, chunk, 0, Math.min(left, chunk.length))
    }
  } finally {
    fs.closeSync(fd)
  }
}

/**
 * The runs of one case and server, in the order they are made. Grouped (the default): each client's
 * runs back to back, its warm-up runs first, and the client order rotated from one case and server to
 * the next. On these VMs a client's speed depends on which client wrote before it: a writer of large
 * blocks (ours: 256 KiB) after one of small blocks (curl 4–12 KiB, rclone 32 KiB) gets memory that the
 * host has to fault in again, ~2 system-s per GiB (ours 1 GiB from nginx: 1.65 s after itself, 4.0 s
 * after rclone; `dd bs=256k` 0.45 s after itself, 2.9 s after rclone, `dd bs=32k` 0.7 s), while the
 * small writers do not care who came before. Rotating the order made ours pay that on most runs, and
 * the others on none; grouped, every client is timed after itself. Rotate keeps the old order.
 */
function schedule(clients, opts, shift) {
  const n = clients.length
  const steps = []
  if (opts.order === 'rotate') {
    for (let run = 1; run <= opts.runs; run++)
      for (let i = 0; i < n; i++) steps.push({ client: clients[(i + run - 1) % n], run, warmup: false })
    return steps
  }
  for (let i = 0; i < n; i++) {
    const client = clients[(i + shift) % n]
    for (let w = 1; w <= opts.warmups; w++) steps.push({ client, run: w, warmup: true })
    for (let run = 1; run <= opts.runs; run++) steps.push({ client, run, warmup: false })
  }
  return steps
}

function runTimed(argv, { env, cwd, logFile, timeFile, timeoutS }) {
  return new Promise((resolve) => {
    const log = fs.openSync(logFile, 'w')
    fs.rmSync(timeFile, { force: true })
    const t0 = process.hrtime.bigint()
    const child = spawn(TIME_BIN, ['-f', '%e %U %S %M', '-o', timeFile, '--', ...argv], {
      env,
      cwd,
      stdio: ['ignore', log, log],
      detached: true,
    })
    fs.closeSync(log)
    cleanup.current = child
    let timedOut = false
    const timer = setTimeout(() => {
      timedOut = true
      try {
        process.kill(-child.pid, 'SIGKILL')
      } catch {
        /* gone */
      }
    }, timeoutS * 1000)
    const finish = (code, signal, spawnError) => {
      clearTimeout(timer)
      cleanup.current = null
      const wallS = Number(process.hrtime.bigint() - t0) / 1e9
      let time = []
      try {
        // when the command fails, time writes "Command exited with non-zero status N" first
        const lines = fs.readFileSync(timeFile, 'utf8').trim().split('\n')
        time = lines[lines.length - 1].split(' ').map(Number)
      } catch {
        /* no time output */
      }
      resolve({
        code,
        signal,
        timedOut,
        spawnError: spawnError?.message,
        wallS,
        timeWallS: time[0],
        userS: time[1],
        sysS: time[2],
        maxRssKB: time[3],
      })
    }
    child.once('error', (err) => finish(null, null, err))
    child.once('exit', (code, signal) => finish(code, signal))
  })
}

function tail(file, lines = 8) {
  try {
    return fs.readFileSync(file, 'utf8').trim().split('\n').slice(-lines).join('\n')
  } catch {
    return ''
  }
}

function shellQuote(argv) {
  return argv.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ')
}

function summarizeArgv(argv, max = 12) {
  return argv.length <= max ? shellQuote(argv) : `${shellQuote(argv.slice(0, max))} … (${argv.length} args)`
}

// ---------------------------------------------------------------------------------------------

async function main() {
  const opts = parseOptions()
  checkTools(opts)
  const { workDir } = opts
  const stamp = new Date().toISOString().replace(/[:.]/g, '-')
  const tmpDir = path.join(workDir, 'tmp')
  const logDir = path.join(workDir, 'logs', stamp)
  const destRoot = path.join(workDir, 'dest')
  for (const d of [workDir, tmpDir, logDir]) fs.mkdirSync(d, { recursive: true })
  fs.writeFileSync(path.join(tmpDir, 'rclone.conf'), '')

  const load = os.loadavg()
  console.log(
    `bench: work dir ${workDir}; load average ${load.map((x) => x.toFixed(2)).join(' ')} on ${os.cpus().length} cores`,
  )
  if (load[0] > os.cpus().length * 0.5) console.log('bench: the machine is busy: expect noisy numbers')
  const pageReporting =
    opts.pageReporting === 'pause'
      ? pausePageReporting()
      : { note: 'free page reporting left as it is (--page-reporting keep)', restore() {} }
  // Put back by the exit handler, which every way out passes through.
  cleanup.restore.push(pageReporting.restore)
  console.log(`bench: ${pageReporting.note}`)

  // ours: skipped with a clear line until the CLI exists
  const skipped = {}
  let oursQuiet = false
  if (opts.clients.some((c) => c.family === 'ours')) {
    const { why, quiet } = oursUnavailable(opts.oursCli)
    oursQuiet = Boolean(quiet)
    if (why) {
      console.log(
        `bench: skipping ours (${opts.clients
          .filter((c) => c.family === 'ours')
          .map((c) => c.id)
          .join(', ')}): ${why}`,
      )
      for (const c of opts.clients) if (c.family === 'ours') skipped[c.id] = why
    }
  }
  const runnable = opts.clients.filter((c) => !skipped[c.id])

  const manifest = ensureData(workDir, opts.cases, (m) => console.log(`bench: ${m}`))
  const md5ByKey = Object.fromEntries(
    opts.cases.flatMap((c) => c.files.map((f) => [f.key, manifest[f.key].md5])),
  )

  const servers = []
  const farNames = opts.servers.filter((name) => FAR_TIERS[name])
  if (opts.servers.includes('s3rver')) {
    const dir = layoutS3rver(workDir, opts.cases, manifest)
    const s = await startS3rver(dir, path.join(logDir, 's3rver.log'))
    cleanup.servers.push(s)
    servers.push(s)
  }
  if (opts.servers.includes('nginx') || farNames.length > 0) {
    const listingDir = writeListings(workDir, opts.cases, manifest)
    const s = await startNginx({ workDir, dataRoot: dataRoot(workDir), listingDir, md5ByKey })
    cleanup.servers.push(s)
    if (opts.servers.includes('nginx')) servers.push(s)
    // The far tiers sit in front of nginx: a server that costs next to no CPU, so that on these two
    // cores the tier measures the link (per-connection cap, per-request delay), not s3rver.
    if (farNames.length > 0) ensureFarHost()
    for (const name of farNames) {
      const far = await startFarStore(name, s, path.join(logDir, `${name}.log`))
      cleanup.servers.unshift(far)
      servers.push(far)
    }
  }
  for (const s of servers) {
    console.log(`bench: ${s.name} on ${s.endpoint} (pid ${s.pid})`)
    for (const c of opts.cases) {
      const f = c.files[0]
      const r = await head(`${s.endpoint}/bench/${f.key}`)
      if (r.status !== 200 || Number(r.headers['content-length']) !== f.size)
        throw new Error(
          `${s.name}: HEAD /bench/${f.key} answered ${r.status}, length ${r.headers['content-length']}`,
        )
    }
  }

  const results = {
    startedAt: new Date().toISOString(),
    host: {
      cpus: os.cpus().length,
      model: os.cpus()[0]?.model,
      memGiB: os.totalmem() / 1024 ** 3,
      loadAvgAtStart: load,
      pageReporting: pageReporting.note,
    },
    versions: toolVersions(),
    options: {
      ...opts,
      oursQuiet,
      cases: opts.cases.map((c) => c.id),
      clients: opts.clients.map((c) => c.id),
    },
    skipped,
    clients: Object.fromEntries(opts.clients.map((c) => [c.id, { label: c.label, note: c.note }])),
    runs: [],
    summaries: [],
  }
  const markdown = []
  const say = (line = '') => {
    console.log(line)
    markdown.push(line)
  }

  let shift = 0
  for (const c of opts.cases) {
    const bytes = caseBytes(c)
    const sources = c.files.map((f) => sourcePath(workDir, f.key))
    for (const server of servers) {
      // A distant store's tier is for one file of at most 1 GiB: 4 GiB at 25 MB/s per connection
      // would be minutes of curl, and many small files measure requests, not the link.
      if (server.stats && (c.kind !== 'single' || bytes > 1024 ** 3)) {
        console.log(`bench: ${c.label} is not run on ${server.name} (single files up to 1 GiB only)`)
        continue
      }
      const runsBy = Object.fromEntries(runnable.map((cl) => [cl.id, []]))
      // What is deleted right before the next timed command (see makeCushion). Grouped runs have
      // warm-ups for that.
      let toFree = []
      if (opts.order === 'rotate') {
        const cushionDir = fs.existsSync('/dev/shm')
          ? path.join('/dev/shm', `modeldl-bench-${process.pid}`)
          : path.join(tmpDir, 'cushion')
        makeCushion(cushionDir, Math.min(bytes, 4 * 1024 ** 3))
        toFree = [cushionDir]
        cleanup.paths.push(cushionDir)
      }
      const steps = schedule(runnable, opts, shift++)
      for (const { client, run, warmup } of steps) {
        const destDir = path.join(destRoot, client.id)
        if (!toFree.includes(destDir)) fs.rmSync(destDir, { recursive: true, force: true })
        const built = client.build(c, server, destDir, {
          oursCli: opts.oursCli ?? path.join(repoDir, 'bin', 'modeldl.js'),
          oursBin: opts.oursCli ?? path.join(repoDir, 'bin', 'modeldl.js'),
          oursQuiet,
        })
        if (built.skip) continue
        const { argv, outs } = built
        const env = { ...clientEnv(server, tmpDir), ...built.env }
        const timed = opts.fsync
          ? [
              '/bin/sh',
              '-c',
              '"$@" && exec sync -- ' + outs.map((o) => shellQuote([o.dest])).join(' '),
              'sh',
              ...argv,
            ]
          : argv
        spawnSync('sync') // nothing of the previous run left to write back
        warm(sources)
        for (const dir of toFree) fs.rmSync(dir, { recursive: true, force: true })
        toFree = []
        fs.mkdirSync(destDir, { recursive: true })
        if (opts.printCommands) console.log(`  $ ${summarizeArgv(timed)}`)
        const tag = `${c.id}-${server.name}-${client.id}-${warmup ? 'warmup' : 'run'}${run}`
        const logFile = path.join(logDir, `${tag}.log`)
        await server.stats?.() // counts from here
        const cpu0 = server.cpuSeconds()
        const r = await runTimed(timed, {
          env,
          cwd: repoDir,
          logFile,
          timeFile: path.join(tmpDir, 'time.txt'),
          timeoutS: opts.timeoutS,
        })
        const serverCpuS = server.cpuSeconds() - cpu0
        const gets = await server.stats?.()
        if (cleanup.done) await new Promise(() => {}) // interrupted: the signal handler exits
        const first = warmup ? run === 1 : run === 1 && opts.warmups === 0
        let check = { ok: false, how: '-', problem: '' }
        if (r.code === 0 && !r.timedOut) {
          check = verifyOutputs(
            outs,
            manifest,
            workDir,
            opts.verify === 'full' || (opts.verify === 'first' && first),
          )
        } else {
          check.problem = r.timedOut
            ? `timed out after ${opts.timeoutS} s`
            : (r.spawnError ?? `exit ${r.code ?? r.signal}`)
        }
        const rec = {
          case: c.id,
          server: server.name,
          client: client.id,
          run,
          warmup: warmup || undefined,
          ok: check.ok,
          verified: check.how,
          problem: check.problem || undefined,
          wallS: r.wallS,
          timeWallS: r.timeWallS,
          userS: r.userS,
          sysS: r.sysS,
          cpuS: (r.userS ?? NaN) + (r.sysS ?? NaN),
          maxRssKB: r.maxRssKB,
          serverCpuS,
          connections: gets?.peak,
          gets: gets?.gets,
          resets: gets?.resets,
          loadAvg1: os.loadavg()[0],
          log: path.relative(workDir, logFile),
        }
        if (!warmup) runsBy[client.id].push(rec)
        results.runs.push(rec)
        const status = check.ok ? `ok (${check.how})` : `FAILED: ${check.problem}`
        const which = warmup ? `warm-up ${run}/${opts.warmups}` : `run ${run}/${opts.runs}`
        console.log(
          `  [${c.label} · ${server.name} · ${which}] ${client.label.padEnd(26)} ` +
            `${r.wallS.toFixed(2).padStart(7)} s ${(bytes / 1e6 / r.wallS).toFixed(0).padStart(5)} MB/s ` +
            `cpu ${rec.cpuS.toFixed(2)} s rss ${((r.maxRssKB * 1024) / 1e6).toFixed(0)} MB srv ${serverCpuS.toFixed(2)} s` +
            `${gets ? ` conns ${gets.peak} GETs ${gets.gets} resets ${gets.resets}` : ''}  ${status}`,
        )
        if (!check.ok) {
          const t = tail(logFile)
          if (t) console.log(t.replace(/^/gm, '      | '))
          console.log(`      command: ${summarizeArgv(timed)}`)
        }
        toFree.push(destDir)
      }
      for (const dir of toFree) fs.rmSync(dir, { recursive: true, force: true })

      const summaries = {}
      for (const cl of opts.clients) {
        summaries[cl.id] = skipped[cl.id] ? { skipped: skipped[cl.id] } : summarize(runsBy[cl.id], bytes)
      }
      const tgs = targets(c, server.name, summaries)
      results.summaries.push({
        case: c.id,
        label: c.label,
        bytes,
        server: server.name,
        clients: summaries,
        targets: tgs,
      })

      say()
      const how =
        opts.order === 'rotate'
          ? 'clients rotated run by run'
          : `each client's runs back to back after ${opts.warmups} warm-up run${opts.warmups === 1 ? '' : 's'}`
      if (server.note) say(`\n${server.name}: ${server.note}, at ${server.endpoint}`)
      say(`### ${c.label} from ${server.name} (${opts.runs} run${opts.runs > 1 ? 's' : ''}, medians; ${how})`)
      say()
      say(summaryTable(opts.clients, summaries))
      const ratios = ratioTable(opts.clients, summaries)
      if (ratios) {
        say()
        say(ratios)
      }
      say()
      if (c.dev) {
        say(`Targets are set for 1 GiB, 4 GiB and 200 × 1 MiB; on ${c.label} they are only indicative.`)
        say()
      }
      say(targetTable(tgs))
    }
  }

  say()
  say(
    'MB = 10^6 bytes. Wall time is the whole command, process start-up included. CPU s = user + sys of the ' +
      'command and every child it waited for; peak RSS is the largest single process of the tree (for ours, ' +
      "the larger of the CLI and its worker). Server CPU s is the server processes' CPU during the run.",
  )
  say(`Memory: ${pageReporting.note}.`)

  results.finishedAt = new Date().toISOString()
  const jsonFile = path.join(workDir, `results-${stamp}.json`)
  fs.writeFileSync(jsonFile, JSON.stringify(results, null, 2))
  fs.writeFileSync(path.join(workDir, `results-${stamp}.md`), markdown.join('\n') + '\n')
  console.log(`\nbench: results in ${jsonFile} (and .md beside it); logs in ${logDir}`)
}

main()
  .then(() => shutdown())
  .catch(async (err) => {
    console.error(`bench: ${err.stack || err.message}`)
    await shutdown()
    process.exit(1)
  })
