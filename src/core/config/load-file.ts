import { readFile } from 'node:fs/promises'
import { ConfigError } from './issues'
import { describeJsonError, locateJsonError } from './json-position'
import type { ModelConfigOptions } from './options'
import { parseModelConfig, type ParsedModelConfig } from './parse'

/** Reads, parses and resolves a config file; every failure is a ConfigError that names the file. */
export async function loadModelConfigFile(
  path: string,
  options: ModelConfigOptions,
): Promise<ParsedModelConfig> {
  const json = parseJson(await readText(path), path)
  try {
    return await parseModelConfig(json, options)
  } catch (err) {
    if (err instanceof ConfigError) throw new ConfigError(err.issues, path)
    throw err
  }
}

async function readText(path: string): Promise<string> {
  try {
    // Editors on Windows like to start JSON with a byte-order mark, which JSON.parse refuses.
    return (await readFile(path, 'utf8')).replace(/^\uFEFF/, '')
  } catch (err) {
    throw fileError(path, readProblem((err as NodeJS.ErrnoException).code))
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

function readProblem(code: string | undefined): string {
  switch (code) {
    case 'ENOENT':
      return 'file not found'
    case 'EISDIR':
      return 'is a folder, not a file'
    case 'EACCES':
    case 'EPERM':
      return 'permission denied'
    default:
      return `cannot read the file (${code ?? 'unknown error'})`
  }
}

function fileError(path: string, message: string): ConfigError {
  return new ConfigError([{ entry: '', field: '', message }], path)
}
