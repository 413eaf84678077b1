import { TransferError } from '../errors'
import { classifyS3Error } from '../s3-errors'
import type { HostKind } from './known-hosts'
import { PrivateAddressError } from './guarded-lookup'

const TOKEN_HINT: Record<HostKind, string> = {
  huggingface: 'a gated or private Hugging Face repo needs HF_TOKEN (and its terms accepted on the site)',
  civitai: 'CivitAI needs CIVITAI_API_TOKEN for this file',
  other: 'the server wants credentials this downloader does not have',
}

/** A status that is not the answer asked for, as a TransferError that says what to do. */
export function statusError(status: number, name: string, kind: HostKind, op: string): TransferError {
  if (status === 401 || status === 403)
    return new TransferError('access_denied', `Access denied to ${name} (${status}): ${TOKEN_HINT[kind]}`)
  if (status === 404 || status === 410)
    return new TransferError('not_found', `Not found: ${name} (${status})`)
  if (status === 412)
    return new TransferError('object_changed', `${name} changed on the server during the download`)
  if (status === 429 || status === 408 || status >= 500)
    return new TransferError('server_error', `The server failed ${op} of ${name} (${status})`, true)
  return new TransferError('server_error', `Unexpected status ${status} for ${op} of ${name}`, false)
}

/** Socket and TLS failures the way S3's are classified; a refused private address is final. */
export function classifyHttpError(err: unknown, name: string, op: string): TransferError {
  if (err instanceof PrivateAddressError)
    return new TransferError('unsafe_redirect', `Refused a redirect for ${name}: ${err.message}`)
  const code = (err as { code?: string } | null)?.code ?? ''
  if (/CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO_VERIFY/.test(code)) {
    return new TransferError(
      'network',
      `The TLS certificate of the server for ${name} was not accepted (${code}): for a private CA set NODE_EXTRA_CA_CERTS`,
      false,
      { cause: err },
    )
  }
  return classifyS3Error(err, name, op)
}
