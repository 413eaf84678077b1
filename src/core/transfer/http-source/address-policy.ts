import { BlockList, isIP } from 'node:net'

// Loopback, private, link-local, carrier-grade NAT and unspecified ranges: a redirect from a public
// host into one of these would turn the downloader into a probe of the user's own network.
const PRIVATE = new BlockList()
for (const [net, bits] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.168.0.0', 16],
] as const)
  PRIVATE.addSubnet(net, bits, 'ipv4')
for (const [net, bits] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
] as const)
  PRIVATE.addSubnet(net, bits, 'ipv6')

/** Whether an IP address (v4, v6, or v4-mapped v6) is not on the public internet. */
export function isPrivateAddress(address: string): boolean {
  const bare = address.replace(/^\[|\]$/g, '')
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(bare)
  if (mapped) return PRIVATE.check(mapped[1]!, 'ipv4')
  const family = isIP(bare)
  if (family === 0) return false
  return PRIVATE.check(bare, family === 4 ? 'ipv4' : 'ipv6')
}

/** A host name that names this machine or a private address without any lookup. */
export function isPrivateHost(hostname: string): boolean {
  const bare = hostname.replace(/^\[|\]$/g, '').toLowerCase()
  return bare === 'localhost' || bare.endsWith('.localhost') || isPrivateAddress(bare)
}

/**
 * Why a redirect may not be followed, or null. Only https targets; a private or loopback address
 * only when the URL the user gave was on one too (a mirror or a test server on this network).
 * Host names are checked again once resolved (see guardedLookup).
 */
export function refusedRedirect(to: URL, allowPrivate: boolean): string | null {
  if (to.protocol !== 'https:')
    return `a redirect to ${to.protocol.replace(/:$/, '')}: (only https is followed)`
  if (!allowPrivate && isPrivateHost(to.hostname))
    return `a redirect to the private address ${to.hostname} from a public host`
  return null
}
