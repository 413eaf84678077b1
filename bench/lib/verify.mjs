// Checks what a client wrote, so that a broken client cannot win: every expected file exists with the
// right size, and its bytes match (full sha256 against the manifest, or sampled windows compared with
// the source file).
import { createHash } from 'node:crypto'
import fs from 'node:fs'

import { sourcePath } from './data.mjs'

const BUF = Buffer.allocUnsafe(16 * 1024 * 1024)

const SAMPLE_WINDOWS = 1025
const SAMPLE_BYTES = 16 * 1024
const ALWAYS_FULL = 64 * 1024 * 1024

export function sha256File(file) {
  const h = createHash('sha256')
  const fd = fs.openSync(file, 'r')
  try {
    let n
    while ((n = fs.readSync(fd, BUF, 0, BUF.length, null)) > 0) h.update(BUF.subarray(0, n))
  } finally {
    fs.closeSync(fd)
  }
  return h.digest('hex')
}

export function sampleMatches(file, source, size) {
  const a = Buffer.allocUnsafe(SAMPLE_BYTES)
  const b = Buffer.allocUnsafe(SAMPLE_BYTES)
  const fa = fs.openSync(file, 'r')
  const fb = fs.openSync(source, 'r')
  try {
    for (let i = 0; i < SAMPLE_WINDOWS; i++) {
      const len = Math.min(SAMPLE_BYTES, size)
      const off = Math.floor(((size - len) * i) / (SAMPLE_WINDOWS - 1))
      const na = fs.readSync(fa, a, 0, len, off)
      const nb = fs.readSync(fb, b, 0, len, off)
      if (na !== len || nb !== len || a.compare(b, 0, len, 0, len) !== 0)
        return `bytes differ near offset ${off}`
    }
  } finally {
    fs.closeSync(fa)
    fs.closeSync(fb)
  }
  return undefined
}

/** Returns {ok, how, problem}: every expected output exists, has the right size and the right bytes. */
export function verifyOutputs(outs, manifest, workDir, full) {
  let how = full ? 'sha256' : 'sampled'
  for (const o of outs) {
    let st
    try {
      st = fs.statSync(o.dest)
    } catch {
      return { ok: false, how, problem: `missing ${o.dest}` }
    }
    if (st.size !== o.size)
      return { ok: false, how, problem: `${o.dest}: ${st.size} bytes, expected ${o.size}` }
    if (full || o.size <= ALWAYS_FULL) {
      if (sha256File(o.dest) !== manifest[o.key].sha256)
        return { ok: false, how, problem: `${o.dest}: sha256 differs` }
    } else {
      const problem = sampleMatches(o.dest, sourcePath(workDir, o.key), o.size)
      if (problem) return { ok: false, how, problem: `${o.dest}: ${problem}` }
    }
  }
  if (!full && outs.every((o) => o.size <= ALWAYS_FULL)) how = 'sha256'
  return { ok: true, how }
}
