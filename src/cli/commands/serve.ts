import { existsSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { createAppBackend, type AppBackend } from '../../core/app/app-backend'
import { FileSettingsStore } from '../../core/app/settings-store'
import { ServiceLink } from '../../core/service/owner/service-link'
import { OPEN_TIMEOUT_MS } from '../../core/service/owner/service-link-policy'
import { defaultStateDir, statePaths } from '../../core/service/state-paths'
import { eventFrame, type EventFrame } from '../../shared/ws-protocol'
import type { Entrypoints } from '../entrypoints'
import { isLoopbackHost, newToken } from '../serve/access'
import { DownloadsPosition } from '../serve/downloads-position'
import { findInstallRoot } from '../serve/install-root'
import { startServeServer, type ServeServer } from '../serve/serve-server'
import { UsageError } from '../usage-error'
import { parseFlags } from '../parse-flags'

export const DEFAULT_SERVE_PORT = 8765

export const SERVE_HELP = `modeldl serve [--ui] [--config FILE] [--config-dir DIR] [--host 127.0.0.1] [--port ${DEFAULT_SERVE_PORT}] [--home DIR]

  Serves the downloads window to a browser (--ui) and its WebSocket API on this machine only, guarded
  by a random token: open the printed "UI: http://127.0.0.1:PORT/?token=…" address. This process
  owns the queue (or attaches to the process that does). Ctrl-C pauses running downloads and exits.
  --config FILE       load this model config at start (else MODEL_CONFIG_FILE)
  --config-dir DIR    a folder the window may open and save configs in (repeatable); the models root
                      and the --config file's folder always are, nothing else on this machine
  --port N            0 picks a free port
  --models-root DIR   the models folder for this run (else MODELDL_MODELS_ROOT, settings.json, default)
  --host ADDR         listen on another address; anything but loopback also needs --allow-remote
  From another machine, use an SSH tunnel rather than --host:
    ssh -N -L ${DEFAULT_SERVE_PORT}:127.0.0.1:${DEFAULT_SERVE_PORT} user@gpu-box   then open the printed address locally`

export async function serveCommand(argv: string[], entry: Entrypoints): Promise<number> {
  const { values, positionals } = parseFlags({
    args: argv,
    allowPositionals: true,
    options: {
      ui: { type: 'boolean' },
      config: { type: 'string' },
      'config-dir': { type: 'string', multiple: true },
      host: { type: 'string' },
      port: { type: 'string' },
      home: { type: 'string' },
      'models-root': { type: 'string' },
      'allow-remote': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  })
  if (values.help) {
    console.log(SERVE_HELP)
    return 0
  }
  if (positionals.length > 0) throw new UsageError(`Unexpected argument "${positionals[0]}"`)
  const host = values.host ?? '127.0.0.1'
  const port = values.port === undefined ? DEFAULT_SERVE_PORT : Number(values.port)
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new UsageError(`--port must be a port number (0 for any free port), not "${values.port}"`)
  }
  const allowRemote = values['allow-remote'] ?? false
  if (!isLoopbackHost(host)) {
    if (!allowRemote) {
      throw new UsageError(
        `--host ${host} would serve the UI beyond this machine. Use an SSH tunnel instead ` +
          `(ssh -N -L ${port || DEFAULT_SERVE_PORT}:127.0.0.1:${port || DEFAULT_SERVE_PORT} user@this-host), ` +
          'or add --allow-remote if you really mean it.',
      )
    }
    console.error(
      `modeldl: WARNING: listening on ${host}: anyone who can reach this port and sees the token controls ` +
        'the downloads, and plain HTTP shows the token to anyone on the network path. Prefer an SSH tunnel.',
    )
  }

  const env = process.env
  const install = findInstallRoot()
  let uiDir: string | undefined
  if (values.ui) {
    uiDir = join(install.dir, 'out', 'renderer')
    if (!existsSync(join(uiDir, 'index.html'))) {
      throw new UsageError(`The UI is not built (${uiDir}/index.html is missing): run npm run build first`)
    }
  }
  const paths = statePaths(values.home ? resolve(values.home) : defaultStateDir(env), env)
  const say = (message: string): void => console.error(`modeldl serve: ${message}`)
  const settingsOverrides = values['models-root'] ? { modelsRoot: resolve(values['models-root']) } : undefined
  let store: FileSettingsStore
  try {
    // The state folder's settings.json through the one loader; followed, so a change made by another
    // process reaches this window.
    store = await FileSettingsStore.open(paths.settingsFile, {
      env,
      ...(settingsOverrides ? { overrides: settingsOverrides } : {}),
      log: (level, message) => say(`${level}: ${message}`),
    })
  } catch (err) {
    throw new UsageError((err as Error).message)
  }

  const token = newToken()
  /**
   * A fault of ours, met while serving: logged (with the token blanked out, wherever it appears) and
   * survived, so one bad request never stops the running downloads of everyone else.
   */
  const unexpected = (err: unknown, where: string): void => {
    const text = err instanceof Error ? (err.stack ?? `${err.name}: ${err.message}`) : String(err)
    say(`unexpected error in ${where} (still serving): ${text.split(token).join('<token>')}`)
  }
  const onUncaught = (err: unknown): void => unexpected(err, 'serve')
  // This process owns the queue, or attaches to the process that does and takes over when it goes.
  const link = await ServiceLink.open({
    context: () => ({
      paths,
      env,
      settings: store.serviceSettings(),
      modelsRoots: store.current().modelsRoots,
      ...(settingsOverrides ? { settingsOverrides } : {}),
    }),
    own: { kind: 'serve', workerEntry: entry.worker },
    openTimeoutMs: OPEN_TIMEOUT_MS,
    log: { info: say, warn: say, error: (message, err) => say(`${message}: ${String(err)}`) },
  })

  let backend: AppBackend | null = null
  let server: ServeServer | null = null
  let closing: Promise<void> | null = null
  const shutdown = (): Promise<void> =>
    (closing ??= (async () => {
      // The window first (no new requests), then the backend, then the queue: running downloads pause
      // with their .part files kept and resume at the next start.
      await server?.close()
      await backend?.close()
      await link.close()
      store.close()
    })())

  try {
    backend = await createAppBackend({
      service: link,
      applyServiceSettings: (settings) => link.applySettings(settings),
      settings: store,
      paths,
      ownerKind: 'serve',
      shell: 'browser',
      version: install.version,
      env,
      sampleConfigPath: join(install.dir, 'resources', 'sample-model-config.json'),
      log: (level, message) => say(`${level}: ${message}`),
    })
    for (const dir of values['config-dir'] ?? []) backend.allowConfigFolder(resolve(dir))
    const configFile = values.config ?? (env['MODEL_CONFIG_FILE'] || undefined)
    if (configFile) {
      const result = await backend.loadConfigFile(resolve(configFile))
      if (!result.ok) {
        console.error(`modeldl: ${result.message}`)
        await shutdown()
        return 2
      }
      say(`Loaded ${result.config.models.length} models from ${resolve(configFile)}`)
    }
    const handlers = backend.handlers
    // The queue itself a window fetches as a snapshot; the greeting tells it only where events stand.
    const position = new DownloadsPosition()
    backend.onEvent((channel, payload) => position.observe(channel, payload))
    const greeting = async (): Promise<EventFrame[]> => [
      eventFrame('settings:changed', await handlers['settings:get']()),
      eventFrame('config:changed', await handlers['config:current']()),
      ...position.frames(await handlers['downloads:status']()),
    ]
    server = await startServeServer({
      backend,
      greeting,
      host,
      port,
      token,
      allowRemote,
      ...(uiDir ? { uiDir } : {}),
      onError: unexpected,
    })
  } catch (err) {
    await shutdown()
    if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      throw new UsageError(`Port ${port} is in use: choose another with --port (0 picks a free one)`)
    }
    throw err
  }

  // The last guard: what escaped every handler of its own is logged, and serve keeps serving.
  process.on('uncaughtException', onUncaught)
  process.on('unhandledRejection', onUncaught)

  // Exactly one line on stdout: scripts and tests read the address from it.
  console.log(uiDir ? `UI: ${server.url}` : `API: ${server.wsUrl}`)
  say(`state folder ${paths.dir}; Ctrl-C stops (running downloads pause and resume next time)`)

  const signal = await new Promise<NodeJS.Signals>((resolveSignal) => {
    process.once('SIGINT', () => resolveSignal('SIGINT'))
    process.once('SIGTERM', () => resolveSignal('SIGTERM'))
  })
  // A second signal while shutting down means "now".
  const force = (): never => process.exit(1)
  process.once('SIGINT', force)
  process.once('SIGTERM', force)
  say(`${signal}: pausing running downloads and stopping`)
  await shutdown()
  process.off('uncaughtException', onUncaught)
  process.off('unhandledRejection', onUncaught)
  // Anything still holding the event loop (a client that never closes) must not keep us alive.
  setTimeout(() => process.exit(0), 2_000).unref()
  return 0
}
