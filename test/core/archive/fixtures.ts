import { execFileSync, spawnSync } from 'node:child_process'
import { mkdir, symlink, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { pack } from 'tar-stream'

/** The fixtures are made by the real `zstd` and `tar` (CI installs Debian's zstd package). */
export const hasZstd = spawnSync('zstd', ['--version'], { stdio: 'ignore' }).status === 0

export const MiB = 1 << 20

/** What a fixture folder holds: file contents, or `{ link }` for a symbolic link, or `{ dir }`. */
export type Tree = Record<string, Buffer | { link: string } | { dir: true }>

async function writeTree(root: string, tree: Tree): Promise<void> {
  for (const [name, what] of Object.entries(tree)) {
    const path = join(root, name)
    await mkdir(dirname(path), { recursive: true })
    if (Buffer.isBuffer(what)) await writeFile(path, what)
    else if ('link' in what) await symlink(what.link, path)
    else await mkdir(path, { recursive: true })
  }
}

/**
 * `tar -cf - -C <src> <names…> | zstd`, as an operator would make the archive. The names given to tar
 * are the tree's top-level names, so folders come out as `sub/…`.
 */
export async function makeTarZst(dir: string, tree: Tree, zstdArgs: string[] = []): Promise<string> {
  const src = join(dir, `src-${Math.random().toString(36).slice(2)}`)
  await writeTree(src, tree)
  const top = [...new Set(Object.keys(tree).map((n) => n.split('/')[0]!))]
  const tar = execFileSync('tar', ['-cf', '-', '-C', src, ...top], { maxBuffer: 64 * MiB })
  const out = join(dir, `archive-${Math.random().toString(36).slice(2)}.tar.zst`)
  await writeFile(out, zstd(tar, zstdArgs))
  return out
}

/** Compresses with the zstd binary (one frame, with its checksum). */
export function zstd(data: Buffer, args: string[] = []): Buffer {
  return execFileSync('zstd', ['-q', '-c', ...args], { input: data, maxBuffer: 64 * MiB })
}

/** A tar stream with entries named freely (tar itself refuses or rewrites names like `../x`). */
export async function rawTar(entries: { name: string; data: Buffer }[]): Promise<Buffer> {
  const p = pack()
  for (const e of entries) p.entry({ name: e.name, size: e.data.length }, e.data)
  p.finalize()
  const chunks: Buffer[] = []
  for await (const chunk of p) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks)
}

/** A zstd skippable frame: decoders must pass over it. */
export function skippableFrame(payload: Buffer): Buffer {
  const head = Buffer.alloc(8)
  head.writeUInt32LE(0x184d2a53, 0)
  head.writeUInt32LE(payload.length, 4)
  return Buffer.concat([head, payload])
}
