import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns'
import type { LookupFunction } from 'node:net'
import { isPrivateAddress } from './address-policy'

/** The error a connection gets when its host name resolves to an address it may not reach. */
export class PrivateAddressError extends Error {
  override readonly name = 'PrivateAddressError'
}

/**
 * A DNS lookup for sockets of redirected requests: the addresses a host name resolves to are checked
 * at connect time, so a public name that resolves to a private address (or is re-pointed there
 * between a check and the connection) is refused all the same.
 */
export function guardedLookup(allowPrivate: boolean): LookupFunction | undefined {
  if (allowPrivate) return undefined
  return (hostname, options, callback) => {
    dnsLookup(hostname, { ...(options as LookupOptions), all: true }, (err, addresses: LookupAddress[]) => {
      if (err) return callback(err, '', 0)
      const refused = addresses.find((a) => isPrivateAddress(a.address))
      if (refused) {
        return callback(
          new PrivateAddressError(`${hostname} resolves to the private address ${refused.address}`),
          '',
          0,
        )
      }
      if ((options as LookupOptions).all)
        return (callback as (e: null, a: LookupAddress[]) => void)(null, addresses)
      const first = addresses[0]!
      callback(null, first.address, first.family)
    })
  }
}
