/**
 * Masks anything that looks like a credential before text reaches a log file or a screen. Errors from
 * the AWS SDK, request dumps and presigned URLs all carry secrets in predictable shapes; a log is often
 * pasted into a bug report, so erring towards masking too much is the right trade.
 */
export const REDACTED = '[REDACTED]'

// Names whose value is secret in `name: value`, `name=value`, `"name":"value"`, `name = value` (INI) and
// query strings. Access key ids (AKIA…) stay visible: they identify a key without granting anything.
const SECRET_NAMES = [
  String.raw`(?:aws[_-]?)?secret[_-]?access[_-]?key`,
  String.raw`(?:aws[_-]?)?session[_-]?token`,
  String.raw`(?:x-amz-)?security[_-]?token`,
  String.raw`(?:x-amz-)?signature`,
  String.raw`x-amz-credential`,
  String.raw`password`,
  String.raw`client[_-]?secret`,
].join('|')

// The value is either quoted (also as \"…\" inside JSON embedded in a string) up to the same quote on
// the same line, or a bare token up to a separator.
const SECRET_PAIR = new RegExp(
  String.raw`(?<![A-Za-z0-9])(${SECRET_NAMES})((?:\\?["'])?\s*[:=]\s*)(?:(\\?["'])(.*?)\3|([^\s,;&"'\\}\])]+))`,
  'gi',
)

// An Authorization header's value has spaces and commas (`AWS4-HMAC-SHA256 Credential=…, Signature=…`):
// quoted, mask up to the quote; bare, mask the rest of the line.
const AUTHORIZATION =
  /(?<![A-Za-z0-9])((?:proxy-)?authorization)((?:\\?["'])?\s*[:=]\s*)(?:(\\?["'])(.*?)\3|([^\r\n]+))/gi

// A standalone AWS secret access key: exactly 40 characters of base64 with upper case, lower case and a
// digit (a SHA-1 in hex is one case only, so checksums stay readable).
const AWS_SECRET_KEY =
  /(?<![A-Za-z0-9/+=])(?=[A-Za-z0-9/+]*[A-Z])(?=[A-Za-z0-9/+]*[a-z])(?=[A-Za-z0-9/+]*[0-9])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])/g

// STS session tokens start with these base64 prefixes (`\x17\n\x06…aws` and `!\n\torigin`).
const STS_TOKEN = /(?:FwoGZXIvYXdz|IQoJb3JpZ2lu)[A-Za-z0-9/+=]*/g

function maskPair(
  _match: string,
  name: string,
  separator: string,
  quote: string | undefined,
  _quoted: string | undefined,
  _bare: string | undefined,
): string {
  return quote ? `${name}${separator}${quote}${REDACTED}${quote}` : `${name}${separator}${REDACTED}`
}

export function redactSecrets(text: string): string {
  return text
    .replace(AUTHORIZATION, maskPair)
    .replace(SECRET_PAIR, maskPair)
    .replace(STS_TOKEN, REDACTED)
    .replace(AWS_SECRET_KEY, REDACTED)
}
