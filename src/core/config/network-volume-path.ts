import { isAbsolute, normalize, relative, sep } from 'node:path'

/**
 * The inverse of {{NETWORK_VOLUME}} substitution: a path under the network volume is written with the
 * placeholder, so the config works on every machine that mounts the volume somewhere else. Paths
 * elsewhere stay as they are.
 */
export function withNetworkVolumePlaceholder(path: string, networkVolume: string | undefined): string {
  if (!networkVolume) return path
  const rel = relative(normalize(networkVolume), normalize(path))
  if (rel === '' || rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)) return path
  return `{{NETWORK_VOLUME}}/${rel.split(sep).join('/')}`
}
