import { describeValue } from './issues'
import type { Resolved } from './s3-path'

const PLACEHOLDER = /\{\{\s*([^{}]*?)\s*\}\}/g

/** Replaces `{{NETWORK_VOLUME}}`; any other placeholder, or one left without a value, is an error. */
export function substituteNetworkVolume(raw: string, networkVolume: string | undefined): Resolved {
  const names = [...raw.matchAll(PLACEHOLDER)].map((match) => match[1] ?? '')
  const unknown = names.find((name) => name !== 'NETWORK_VOLUME')
  if (unknown !== undefined) {
    return { ok: false, message: `unknown placeholder {{${unknown}}}; only {{NETWORK_VOLUME}} is supported` }
  }
  // A half-written placeholder would otherwise become a folder literally named "{{NETWORK_VOLUME}".
  if (/\{\{|\}\}/.test(raw.replace(PLACEHOLDER, ''))) {
    return { ok: false, message: `unfinished placeholder in ${describeValue(raw)}` }
  }
  if (names.length > 0 && networkVolume === undefined) {
    return {
      ok: false,
      message:
        'uses {{NETWORK_VOLUME}} but no network volume is set (set NETWORK_VOLUME or the network volume setting)',
    }
  }
  // A function replacement, so a `$` in the volume path is taken literally.
  return { ok: true, value: raw.replace(PLACEHOLDER, () => networkVolume ?? '') }
}
