// The data set: random files generated once in <work>/data/bench/<key> and reused while their size and
// mtime match the manifest. nginx serves <work>/data as its root (so GET /bench/<key> works); s3rver's
// store (<work>/s3rver) gets hard links to the same files in its own on-disk layout, so both servers
// read the very same inodes and one warm-up read warms both.
import { createHash, randomFillSync } from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'

const MiB = 1024 * 1024
const GiB = 1024 * MiB

function many(count, prefix) {
  const width = String(count - 1).length
  return Array.from({ length: count }, (_, i) => ({
    key: `${prefix}f${String(i).padStart(Math.max(3, width), '0')}.bin`,
    size: MiB,
  }))
}

// id → case. "kind" says how clients fetch it: one object, or every object under a prefix.
export const CASES = {
  '1g': { id: '1g', label: '1 GiB', kind: 'single', files: [{ key: 'big/1g.bin', size: GiB }] },
  '4g': { id: '4g', label: '4 GiB', kind: 'single', files: [{ key: 'big/4g.bin', size: 4 * GiB }] },
  '200x1m': {
    id: '200x1m',
    label: '200 × 1 MiB',
    kind: 'many',
    prefix: 'files-200x1m/',
    files: many(200, 'files-200x1m/'),
  },
  // the quick development set: start-up costs dominate, so its target checks are only indicative
  '64m': {
    id: '64m',
    label: '64 MiB',
    kind: 'single',
    dev: true,
    files: [{ key: 'big/64m.bin', size: 64 * MiB }],
  },
  '20x1m': {
    id: '20x1m',
    label: '20 × 1 MiB',
    kind: 'many',
    dev: true,
    prefix: 'files-20x1m/',
    files: many(20, 'files-20x1m/'),
  },
}

// What --sizes accepts. "tiny" is the quick development set.
export const SIZE_ALIASES = {
  '1g': ['1g'],
  '4g': ['4g'],
  small: ['200x1m'],
  '200x1m': ['200x1m'],
  tiny: ['64m', '20x1m'],
  '64m': ['64m'],
  '20x1m': ['20x1m'],
}

export function caseBytes(c) {
  return c.files.reduce((n, f) => n + f.size, 0)
}

export function dataRoot(workDir) {
  return path.join(workDir, 'data')
}

export function sourcePath(workDir, key) {
  return path.join(workDir, 'data', 'bench', key)
}

function manifestPath(workDir) {
  return path.join(workDir, 'data', 'manifest.json')
}

function readManifest(workDir) {
  try {
    return JSON.parse(fs.readFileSync(manifestPath(workDir), 'utf8'))
  } catch {
    return {}
  }
}

function writeManifest(workDir, manifest) {
  const file = manifestPath(workDir)
  fs.writeFileSync(file + '.tmp', JSON.stringify(manifest, null, 2))
  fs.renameSync(file + '.tmp', file)
}

const CHUNK = 16 * MiB

function generateFile(file, size) {
  fs.mkdirSync(path.dirname(file), { recursive: true })
  const tmp = file + '.tmp'
  const fd = fs.openSync(tmp, 'w')
  const md5 = createHash('md5')
  const sha256 = createHash('sha256')
  const buf = Buffer.allocUnsafe(Math.min(CHUNK, size))
  try {
    let done = 0
    while (done < size) {
      const n = Math.min(buf.length, size - done)
      const chunk = buf.subarray(0, n)
      randomFillSync(chunk)
      md5.update(chunk)
      sha256.update(chunk)
      let off = 0
      while (off < n) off += fs.writeSync(fd, chunk, off, n - off, done + off)
      done += n
    }
    fs.fsyncSync(fd)
  } finally {
    fs.closeSync(fd)
  }
  fs.renameSync(tmp, file)
  return { md5: md5.digest('hex'), sha256: sha256.digest('hex') }
}

export function hashFile(file) {
  const md5 = createHash('md5')
  const sha256 = createHash('sha256')
  const fd = fs.openSync(file, 'r')
  const buf = Buffer.allocUnsafe(CHUNK)
  try {
    for (;;) {
      const n = fs.readSync(fd, buf, 0, buf.length, null)
      if (n === 0) break
      md5.update(buf.subarray(0, n))
      sha256.update(buf.subarray(0, n))
    }
  } finally {
    fs.closeSync(fd)
  }
  return { md5: md5.digest('hex'), sha256: sha256.digest('hex') }
}

/**
 * Makes sure every file of the given cases exists with the right size, and returns the manifest
 * entries {size, md5, sha256, mtimeMs} by key. Generates (or re-hashes) only what is missing.
 */
export function ensureData(workDir, cases, log) {
  const manifest = readManifest(workDir)
  let changed = false
  for (const c of cases) {
    const todo = c.files.filter((f) => {
      const entry = manifest[f.key]
      let st
      try {
        st = fs.statSync(sourcePath(workDir, f.key))
      } catch {
        return true
      }
      return !(
        entry &&
        st.size === f.size &&
        entry.size === f.size &&
        entry.mtimeMs === st.mtimeMs &&
        entry.sha256
      )
    })
    if (todo.length === 0) continue
    const bytes = todo.reduce((n, f) => n + f.size, 0)
    log(
      `data: preparing ${todo.length} file(s) of case ${c.label} (${(bytes / MiB).toFixed(0)} MiB) in ${dataRoot(workDir)}`,
    )
    for (const f of todo) {
      const file = sourcePath(workDir, f.key)
      let st
      try {
        st = fs.statSync(file)
      } catch {
        st = undefined
      }
      const sums = st && st.size === f.size ? hashFile(file) : generateFile(file, f.size)
      manifest[f.key] = { size: f.size, ...sums, mtimeMs: fs.statSync(file).mtimeMs }
      changed = true
    }
  }
  if (changed) writeManifest(workDir, manifest)
  return manifest
}

/**
 * s3rver's FilesystemStore layout (node_modules/s3rver/lib/stores/filesystem.js):
 *   <dir>/<bucket>/<key dirs>/<name>._S3rver_object          the bytes
 *   <dir>/<bucket>/<key dirs>/<name>._S3rver_object.md5      hex MD5 (the ETag)
 *   <dir>/<bucket>/<key dirs>/<name>._S3rver_metadata.json   content-type and x-amz-meta-*
 * Writing it directly (hard links to the data files) avoids seeding through s3rver's PUT path, which
 * stores chunk framing for streamed uploads and cannot take a 4 GiB Buffer.
 */
export function layoutS3rver(workDir, cases, manifest) {
  const root = path.join(workDir, 's3rver')
  for (const c of cases) {
    for (const f of c.files) {
      const src = sourcePath(workDir, f.key)
      const parts = f.key.split('/')
      const name = parts.pop()
      const dir = path.join(root, 'bench', ...parts)
      fs.mkdirSync(dir, { recursive: true })
      const obj = path.join(dir, `${name}._S3rver_object`)
      const srcStat = fs.statSync(src)
      let ok = false
      try {
        const st = fs.statSync(obj)
        ok = st.ino === srcStat.ino && st.dev === srcStat.dev
      } catch {
        ok = false
      }
      if (!ok) {
        fs.rmSync(obj, { force: true })
        try {
          fs.linkSync(src, obj)
        } catch (err) {
          if (err.code !== 'EXDEV' && err.code !== 'EPERM') throw err
          fs.copyFileSync(src, obj)
        }
      }
      fs.writeFileSync(`${obj}.md5`, manifest[f.key].md5)
      fs.writeFileSync(
        path.join(dir, `${name}._S3rver_metadata.json`),
        JSON.stringify({ 'content-type': 'application/octet-stream' }),
      )
    }
  }
  return root
}

/**
 * nginx cannot list a bucket, so for each prefix case it serves a static ListObjects answer, written
 * here. One document carries both the V1 and the V2 fields (parsers skip elements they do not know),
 * so aws (V2) and rclone (V1 for provider Other) both accept it. The ETags in it are the real MD5s,
 * as S3 would give for single-part objects.
 */
export function writeListings(workDir, cases, manifest) {
  const dir = path.join(workDir, 'nginx', 'listings')
  fs.mkdirSync(dir, { recursive: true })
  for (const c of cases) {
    if (c.kind !== 'many') continue
    const contents = c.files
      .map((f) => {
        const m = manifest[f.key]
        return (
          `<Contents><Key>${f.key}</Key><LastModified>${new Date(m.mtimeMs).toISOString()}</LastModified>` +
          `<ETag>&quot;${m.md5}&quot;</ETag><Size>${f.size}</Size><StorageClass>STANDARD</StorageClass></Contents>`
        )
      })
      .join('\n')
    const xml =
      '<?xml version="1.0" encoding="UTF-8"?>\n' +
      '<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">' +
      `<Name>bench</Name><Prefix>${c.prefix}</Prefix><Marker></Marker><MaxKeys>1000</MaxKeys>` +
      `<KeyCount>${c.files.length}</KeyCount><IsTruncated>false</IsTruncated>\n${contents}\n</ListBucketResult>\n`
    fs.writeFileSync(path.join(dir, `${c.id}.xml`), xml)
  }
  return dir
}
