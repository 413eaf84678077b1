import { MAX_NAME_CHARS, MAX_PATH_BYTES, MAX_S3_URI_CHARS } from '../../shared/limits'

const count = (n: number): string => n.toLocaleString('en-US')

/** Characters as a person counts them (code points), without spreading a huge string to find out. */
function charCount(text: string): number {
  if (text.length <= MAX_NAME_CHARS) return text.length
  let n = 0
  for (const _ of text) n++
  return n
}

/** Why a group or model name is too long, or undefined. */
export function nameTooLong(name: string): string | undefined {
  const chars = charCount(name)
  if (chars <= MAX_NAME_CHARS) return undefined
  return `is ${count(chars)} characters long; a name may be at most ${count(MAX_NAME_CHARS)}`
}

/** Why a file path is too long for the file system (Linux's PATH_MAX), or undefined. */
export function pathTooLong(path: string): string | undefined {
  if (path.length * 3 <= MAX_PATH_BYTES) return undefined
  const bytes = Buffer.byteLength(path, 'utf8')
  if (bytes <= MAX_PATH_BYTES) return undefined
  return `is ${count(bytes)} bytes long; a path may be at most ${count(MAX_PATH_BYTES)} bytes`
}

/** Why an S3 location is longer than S3 allows, or undefined. */
export function s3UriTooLong(uri: string): string | undefined {
  if (uri.length <= MAX_S3_URI_CHARS) return undefined
  return `is ${count(uri.length)} characters long; an S3 location may be at most ${count(MAX_S3_URI_CHARS)}`
}

/** A name as an entry label shows it: an overlong one shortened, so one bad name cannot flood a message. */
export function labelName(name: string): string {
  const LABEL_CHARS = 100
  if (name.length <= LABEL_CHARS) return name
  return `${name.slice(0, LABEL_CHARS - 20)}… (${count(charCount(name))} characters)`
}
