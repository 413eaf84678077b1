// The one gate for paths, whichever door a request came through (CLI, local socket, Electron IPC,
// WebSocket): model files only inside the models roots, config files only where the user pointed.
// The service and the window's backend hold one each and ask it before they touch the disk; the
// transfer checks again right before it opens and renames (see confined-folder.ts).
import { basename, dirname, normalize } from 'node:path'
import { checkModelPath, type ModelsRoot, type PathCache } from '../config/path-safety'
import { checkModelsRoot } from './models-root'

/** A request the gate refuses: the message names the path and the rule. */
export class GateError extends Error {
  constructor(
    readonly code: 'forbidden' | 'bad_request',
    message: string,
  ) {
    super(message)
    this.name = 'GateError'
  }
}

export interface CheckedModelPath {
  /** As given, normalized. */
  path: string
  /** Where the file physically lands (symlinked folders resolved). */
  location: string
}

export class PathGate {
  private configured: string[] = []
  private resolving: Promise<{ roots: ModelsRoot[]; problems: string[] }> | null = null
  /** Folders the user chose for config files: native dialogs, the CLI's own --config. */
  private readonly configFolders = new Set<string>()
  /** Single config files the user opened before (the recent list), admitted by name only. */
  private readonly configFiles = new Set<string>()

  constructor(modelsRoots: readonly string[]) {
    this.setRoots(modelsRoots)
  }

  /** New roots from the settings; they are checked (never "/" or a system folder) on first use. */
  setRoots(modelsRoots: readonly string[]): void {
    this.configured = [...new Set(modelsRoots)]
    this.resolving = null
  }

  get rootList(): readonly string[] {
    return this.configured
  }

  /** The roots that pass the root rule, resolved; roots that fail it admit nothing. */
  async roots(): Promise<{ roots: ModelsRoot[]; problems: string[] }> {
    this.resolving ??= (async () => {
      const roots: ModelsRoot[] = []
      const problems: string[] = []
      for (const configured of this.configured) {
        const checked = await checkModelsRoot(configured, { mustExist: false })
        if (checked.ok) roots.push(checked.root)
        else problems.push(checked.message)
      }
      return { roots, problems }
    })()
    const result = await this.resolving
    // A root that did not resolve (a volume not mounted yet) is tried again next time.
    if (result.problems.length > 0) this.resolving = null
    return result
  }

  /**
   * A model file's path, checked against the roots as written and as symlinks lead. `field` names the
   * request's field in the refusal ("entries.3.localPath").
   */
  async modelPath(path: string, field: string, cache?: PathCache): Promise<CheckedModelPath> {
    const { roots, problems } = await this.roots()
    if (roots.length === 0) {
      const why = problems.length > 0 ? problems.join('; ') : 'no models root is set'
      throw new GateError('forbidden', `${field}: no model file can be written: ${why}`)
    }
    const checked = await checkModelPath(path, roots, cache)
    if (!checked.ok) throw new GateError('forbidden', `${field}: ${checked.message}`)
    return { path: checked.path, location: checked.location }
  }

  /** The user chose this folder for config files (a native dialog, the CLI's --config). */
  allowConfigFolder(folder: string): void {
    this.configFolders.add(normalize(folder))
  }

  /** The user opened this config file before through a door that may (the recent list). */
  allowConfigFile(path: string): void {
    this.configFiles.add(normalize(path))
  }

  /**
   * A config file a window may open or save: inside a models root, in a folder the user chose, or a
   * file the user opened before. Everything else on the machine is not the window's to read or write.
   */
  async configPath(path: string, field: string): Promise<string> {
    const file = normalize(path)
    if (this.configFiles.has(file) || this.configFolders.has(dirname(file))) {
      if (basename(file).startsWith('.')) {
        throw new GateError('forbidden', `${field}: ${file} is a hidden file, not a model config`)
      }
      return file
    }
    try {
      return (await this.modelPath(file, field)).path
    } catch (err) {
      if (!(err instanceof GateError)) throw err
      const chosen = [...this.configFolders]
      throw new GateError(
        'forbidden',
        `${field}: ${file} is outside the folders a window may use for configs (the models roots ` +
          `${this.configured.join(', ') || '(none)'}${chosen.length ? `; ${chosen.join(', ')}` : ''}). ` +
          'Drop the file on the window, choose it in the desktop app, or pass it with --config.',
      )
    }
  }
}
