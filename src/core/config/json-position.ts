/** Where JSON.parse gave up, as a person counts: 1-based line and column. */
export interface TextPosition {
  line: number
  column: number
}

/**
 * Finds the line and column of a JSON syntax error. V8 reports an offset for most errors but not for
 * "Unexpected token" ones (a trailing comma, a NaN, a stray quote: the usual hand-editing slips), so
 * those are located by a small scan of the JSON grammar.
 */
export function locateJsonError(text: string, error: SyntaxError): TextPosition | undefined {
  const reported = /at position (\d+)/.exec(error.message)?.[1]
  const offset = reported !== undefined ? Number(reported) : scanForError(text)
  return offset === undefined ? undefined : positionAt(text, offset)
}

/** V8's message without the offset (replaced by line and column) or its echo of the input. */
export function describeJsonError(error: SyntaxError): string {
  return error.message
    .replace(/ in JSON at position \d+.*$/s, '')
    .replace(/ at position \d+.*$/s, '')
    .replace(/^(Unexpected token '.+?'), .* is not valid JSON$/s, '$1')
}

export function positionAt(text: string, offset: number): TextPosition {
  const before = text.slice(0, offset)
  const lineStart = before.lastIndexOf('\n') + 1
  return { line: before.split('\n').length, column: offset - lineStart + 1 }
}

class Stop {
  constructor(readonly offset: number) {}
}

const LITERAL = /true|false|null|-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y
const ESCAPE = /\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4})/y

/** The offset of the first character that breaks the JSON grammar, or undefined if there is none. */
export function scanForError(text: string): number | undefined {
  let i = 0
  const stop = (): never => {
    throw new Stop(i)
  }
  const space = () => {
    while (/[ \t\n\r]/.test(text.charAt(i))) i++
  }
  const take = (char: string) => {
    if (text.charAt(i) !== char) stop()
    i++
  }
  const string = () => {
    take('"')
    for (;;) {
      const char = text.charAt(i)
      if (char === '"') return void i++
      if (char === '' || char < ' ') stop()
      if (char === '\\') {
        ESCAPE.lastIndex = i
        if (!ESCAPE.test(text)) {
          // V8 points at the letter after the backslash; agreeing with it keeps both sources of positions alike.
          i++
          stop()
        }
        i = ESCAPE.lastIndex
      } else {
        i++
      }
    }
  }
  const sequence = (close: string, item: () => void) => {
    i++
    space()
    if (text.charAt(i) === close) return void i++
    for (;;) {
      item()
      space()
      if (text.charAt(i) !== ',') return take(close)
      i++
    }
  }
  const value = (): void => {
    space()
    const char = text.charAt(i)
    if (char === '{') {
      return sequence('}', () => {
        space()
        string()
        space()
        take(':')
        value()
      })
    }
    if (char === '[') return sequence(']', value)
    if (char === '"') return string()
    LITERAL.lastIndex = i
    if (!LITERAL.test(text)) stop()
    i = LITERAL.lastIndex
  }

  try {
    value()
    space()
    if (i < text.length) stop()
    return undefined
  } catch (err) {
    // Anything else (a stack overflow on absurd nesting) just means no position to offer.
    return err instanceof Stop ? err.offset : undefined
  }
}
