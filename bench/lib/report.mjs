// Summaries, ratio tables and target checks, as markdown.
const GiB = 1024 ** 3

export function median(xs) {
  if (xs.length === 0) return NaN
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2
}

function fmt(x, digits = 2) {
  if (x === undefined || x === null || Number.isNaN(x)) return 'n/a'
  if (Math.abs(x) >= 1000) return x.toFixed(0)
  if (Math.abs(x) >= 100) return x.toFixed(Math.min(digits, 1))
  return x.toFixed(digits)
}

/** One summary row per client from its runs of one case on one server. */
export function summarize(runs, bytes) {
  const ok = runs.filter((r) => r.ok)
  const wall = median(ok.map((r) => r.wallS))
  const cpu = median(ok.map((r) => r.cpuS))
  return {
    runs: runs.length,
    okRuns: ok.length,
    wallS: wall,
    wallMinS: ok.length ? Math.min(...ok.map((r) => r.wallS)) : NaN,
    wallMaxS: ok.length ? Math.max(...ok.map((r) => r.wallS)) : NaN,
    mbPerS: bytes / 1e6 / wall,
    cpuS: cpu,
    cpuPerGiB: cpu / (bytes / GiB),
    userS: median(ok.map((r) => r.userS)),
    sysS: median(ok.map((r) => r.sysS)),
    peakRssMB: ok.length ? Math.max(...ok.map((r) => (r.maxRssKB * 1024) / 1e6)) : NaN,
    serverCpuS: median(ok.map((r) => r.serverCpuS)),
    // Far tier only: the most GETs the store served at once, and how many it served.
    connections: median(ok.filter((r) => r.connections !== undefined).map((r) => r.connections)),
    gets: median(ok.filter((r) => r.gets !== undefined).map((r) => r.gets)),
  }
}

export const REFERENCES = [
  { id: 'aws', label: 'aws' },
  { id: 'rclone', label: 'rclone' },
  { id: 'rclone-nocheck', label: 'rclone --ignore-checksum' },
  { id: 'curl', label: 'curl' },
]

export function summaryTable(clients, summaries) {
  const lines = [
    '| client | ok runs | median wall s (min–max) | MB/s | CPU s (user+sys) | CPU-s/GiB | peak RSS MB | server CPU s | connections (GETs) |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|',
  ]
  for (const cl of clients) {
    const s = summaries[cl.id]
    if (!s) continue
    if (s.skipped) {
      lines.push(`| ${cl.label} | skipped: ${s.skipped} | | | | | | | |`)
      continue
    }
    const okCell = s.okRuns === s.runs ? `${s.okRuns}/${s.runs}` : `**${s.okRuns}/${s.runs}**`
    lines.push(
      `| ${cl.label} | ${okCell} | ${fmt(s.wallS)} (${fmt(s.wallMinS)}–${fmt(s.wallMaxS)}) | ${fmt(s.mbPerS, 0)} | ` +
        `${fmt(s.cpuS)} | ${fmt(s.cpuPerGiB)} | ${fmt(s.peakRssMB, 0)} | ${fmt(s.serverCpuS)} | ` +
        `${Number.isNaN(s.connections) ? '–' : `${fmt(s.connections, 0)} (${fmt(s.gets, 0)})`} |`,
    )
  }
  return lines.join('\n')
}

function usable(s) {
  return s && !s.skipped && s.okRuns > 0 && Number.isFinite(s.wallS)
}

export function ratioTable(clients, summaries) {
  const ours = clients.filter((c) => c.family === 'ours' && usable(summaries[c.id]))
  const refs = REFERENCES.filter((r) => usable(summaries[r.id]))
  if (ours.length === 0 || refs.length === 0) return ''
  const lines = [
    `| wall time ratio | ${refs.map((r) => `vs ${r.label}`).join(' | ')} |`,
    `|---|${refs.map(() => '---:').join('|')}|`,
  ]
  for (const o of ours) {
    const cells = refs.map((r) => `${fmt(summaries[o.id].wallS / summaries[r.id].wallS)}×`)
    lines.push(`| ${o.label} | ${cells.join(' | ')} |`)
  }
  return lines.join('\n')
}

function whyNot(id, s) {
  if (!s) return `${id} not in this run`
  if (s.skipped) return `${id} skipped`
  return `${id} has no successful run`
}

/** The targets for our engine, each PASS / FAIL / n/a, for one case on one server. */
export function targets(c, serverName, summaries) {
  const ours = summaries.ours
  const out = []
  const ratioTarget = (name, refId, test, describe) => {
    const ref = summaries[refId]
    if (!usable(ours) || !usable(ref)) {
      out.push({
        name,
        status: 'n/a',
        detail: whyNot(usable(ours) ? refId : 'ours', usable(ours) ? ref : ours),
      })
      return
    }
    const ratio = ours.wallS / ref.wallS
    out.push({ name, status: test(ratio) ? 'PASS' : 'FAIL', detail: describe(ratio), ratio })
  }
  ratioTarget(
    'ours ≤ 0.6 × aws (wall)',
    'aws',
    (r) => r <= 0.6,
    (r) => `ours/aws = ${fmt(r)}`,
  )
  ratioTarget(
    'ours ≤ 1.5 × curl (wall)',
    'curl',
    (r) => r <= 1.5,
    (r) => `ours/curl = ${fmt(r)}`,
  )
  ratioTarget(
    'ours (verifying) < rclone default (wall)',
    'rclone',
    (r) => r < 1,
    (r) => `ours/rclone = ${fmt(r)}`,
  )
  if (serverName === 'nginx') {
    ratioTarget(
      'nginx: ours speed ≥ 0.9 × rclone --ignore-checksum',
      'rclone-nocheck',
      (r) => 1 / r >= 0.9,
      (r) => `speed ours/rclone-nocheck = ${fmt(1 / r)}`,
    )
  }
  if (c.kind === 'many') {
    ratioTarget(
      `${c.label}: ours ≤ rclone --transfers 8 (wall)`,
      'rclone',
      (r) => r <= 1,
      (r) => `ours/rclone = ${fmt(r)}`,
    )
  }
  // Issue 20: the user's command and the far store.
  const versus = (name, id, refId, limit) => {
    const a = summaries[id]
    const b = summaries[refId]
    if (!usable(a) || !usable(b)) {
      out.push({ name, status: 'n/a', detail: whyNot(usable(a) ? refId : id, usable(a) ? b : a) })
      return
    }
    const ratio = a.wallS / b.wallS
    out.push({
      name,
      status: ratio <= limit ? 'PASS' : 'FAIL',
      detail: `${id}/${refId} = ${fmt(ratio)}`,
      ratio,
    })
  }
  if (serverName.startsWith('far')) {
    versus(`${serverName}: ours defaults ≤ 0.7 × aws defaults (wall)`, 'ours', 'aws', 0.7)
    versus(`${serverName}: ours download --wait ≤ 0.7 × aws defaults (wall)`, 'ours-download', 'aws', 0.7)
    const sweep = Object.entries(summaries).filter(([id, x]) => /^ours-c\d+-p\d+m$/.test(id) && usable(x))
    if (sweep.length > 0) {
      const [bestId] = sweep.reduce((m, e) => (e[1].wallS < m[1].wallS ? e : m))
      versus(
        `${serverName}: ours defaults within 1.2 × the best fixed setting (${bestId})`,
        'ours',
        bestId,
        1.2,
      )
    }
  } else if (serverName === 's3rver') {
    versus('s3rver: ours download --wait no slower than aws (wall)', 'ours-download', 'aws', 1)
  }
  if (c.id === '4g') {
    const s16 = summaries['ours-c16']
    const name = 'ours get --connections 16: peak RSS < 150 MB at 4 GiB'
    if (!usable(s16)) out.push({ name, status: 'n/a', detail: whyNot('ours-c16', s16) })
    else
      out.push({ name, status: s16.peakRssMB < 150 ? 'PASS' : 'FAIL', detail: `${fmt(s16.peakRssMB, 0)} MB` })
  }
  if (c.kind === 'single') {
    const name =
      c.id === '4g'
        ? 'ours peak RSS < 150 MB at 4 GiB'
        : `ours peak RSS < 150 MB (target is at 4 GiB; here ${c.label}, indicative)`
    if (!usable(ours)) out.push({ name, status: 'n/a', detail: whyNot('ours', ours) })
    else
      out.push({
        name,
        status: ours.peakRssMB < 150 ? 'PASS' : 'FAIL',
        detail: `${fmt(ours.peakRssMB, 0)} MB`,
      })
  }
  return out
}

export function targetTable(list) {
  const lines = ['| target | result | measured |', '|---|---|---|']
  for (const t of list)
    lines.push(`| ${t.name} | ${t.status === 'FAIL' ? '**FAIL**' : t.status} | ${t.detail} |`)
  return lines.join('\n')
}
