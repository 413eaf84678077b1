import { ConfigError } from './issues'
import { describeJsonError, locateJsonError } from './json-position'
import type { ModelConfigOptions } from './options'
import { parseModelConfig, type ParsedModelConfig } from './parse'
import { readConfigBytes } from './read-config'
import { decodeUtf8, invalidUtf8Issues } from './utf8'

/**
 * Reads, parses and resolves a config file; every failure is a ConfigError that names the file. What is
 * not a regular file, or is over MAX_CONFIG_BYTES, is refused before it is read.
 */
export async function loadModelConfigFile(
  path: string,
  options: ModelConfigOptions,
): Promise<ParsedModelConfig> {
  const read = await readConfigBytes(path)
  if (!read.ok) throw fileError(path, read.message)
  const { text, badAt } = decodeUtf8(read.bytes)
  if (badAt !== undefined) {
    // The lossy text serves only to name the entries and fields that hold the bad bytes.
    const json = tryParse(text)
    throw new ConfigError(invalidUtf8Issues(json.ok ? json.value : undefined, badAt), path)
  }
  const json = parseJson(text, path)
  try {
    return await parseModelConfig(json, options)
  } catch (err) {
    if (err instanceof ConfigError) throw new ConfigError(err.issues, path)
    throw err
  }
}

function tryParse(text: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(text) as unknown }
  } catch {
    return { ok: false }
  }
}

function parseJson(text: string, path: string): unknown {
  if (text.trim() === '') throw fileError(path, 'the file is empty; expected JSON')
  try {
    return JSON.parse(text)
  } catch (err) {
    if (!(err instanceof SyntaxError)) throw err
    const at = locateJsonError(text, err)
    const where = at ? ` at line ${at.line}, column ${at.column}` : ''
    throw fileError(path, `not valid JSON${where}: ${describeJsonError(err)}`)
  }
}

function fileError(path: string, message: string): ConfigError {
  return new ConfigError([{ entry: '', field: '', message }], path)
}
