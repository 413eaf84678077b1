// One fake of the `electron` module for every test of src/main, used as
//
//   vi.mock('electron', async () => (await import('./support/fake-electron')).electronModule)
//   import { fake, resetFakeElectron } from './support/fake-electron'
//
// Each piece implements a Pick of the real Electron type (event methods come from Node's EventEmitter:
// Electron's `on` overloads return the full class), so a src/main call whose signature changes in
// Electron, or a fake method that stops matching it, is a compile error rather than a test that passes
// against an API that no longer exists. Only what src/main uses is here. Objects Electron hands back
// (a Menu, a WebContents) are fakes cast at the boundary: tests inspect them through the fake's class.
import { EventEmitter } from 'node:events'
import { pathToFileURL } from 'node:url'
import { vi } from 'vitest'
import type {
  App,
  BrowserWindow,
  BrowserWindowConstructorOptions,
  Dialog,
  IpcMain,
  IpcMainInvokeEvent,
  Menu,
  MenuItem,
  MenuItemConstructorOptions,
  NativeImage,
  Notification,
  NotificationConstructorOptions,
  SafeStorage,
  Session,
  Shell,
  Tray,
  UtilityProcess,
  WebContents,
  WebFrameMain,
} from 'electron'
import type * as Electron from 'electron'

type ElectronModule = typeof Electron

// ---- ipcMain ------------------------------------------------------------------------------------------

type InvokeListener = Parameters<IpcMain['handle']>[1]

export class FakeIpcMain implements Pick<IpcMain, 'handle' | 'removeHandler'> {
  readonly handlers = new Map<string, InvokeListener>()

  handle(channel: string, listener: InvokeListener): void {
    // Electron refuses a second handler for a channel: registering twice is a bug worth seeing.
    if (this.handlers.has(channel)) throw new Error(`Attempted to register a second handler for '${channel}'`)
    this.handlers.set(channel, listener)
  }

  removeHandler(channel: string): void {
    this.handlers.delete(channel)
  }

  /**
   * What `ipcRenderer.invoke(channel, ...args)` sent by `event`'s sender resolves with. Like Electron, a
   * handler that throws makes the invoke reject (the wrapper under test must never let that happen).
   */
  async invoke(channel: string, event: IpcMainInvokeEvent, ...args: unknown[]): Promise<unknown> {
    const handler = this.handlers.get(channel)
    if (!handler) throw new Error(`No handler registered for '${channel}'`)
    return handler(event, ...args)
  }
}

// ---- web contents, frames, sessions -----------------------------------------------------------------

export class FakeWebFrame implements Pick<WebFrameMain, 'url'> {
  constructor(
    public url: string,
    /** The real type is WebFrameMain; the guard only compares it with null and the main frame. */
    readonly parent: FakeWebFrame | null = null,
  ) {}

  /** An iframe inside this frame, showing `url`. */
  child(url: string): FakeWebFrame {
    return new FakeWebFrame(url, this)
  }
}

type PermissionRequestHandler = Parameters<Session['setPermissionRequestHandler']>[0]
type PermissionCheckHandler = Parameters<Session['setPermissionCheckHandler']>[0]

export class FakeSession implements Pick<
  Session,
  'setPermissionRequestHandler' | 'setPermissionCheckHandler'
> {
  requestHandler: PermissionRequestHandler = null
  checkHandler: PermissionCheckHandler = null

  setPermissionRequestHandler(handler: PermissionRequestHandler): void {
    this.requestHandler = handler
  }

  setPermissionCheckHandler(handler: PermissionCheckHandler): void {
    this.checkHandler = handler
  }
}

type WindowOpenHandler = Parameters<WebContents['setWindowOpenHandler']>[0]

export class FakeWebContents
  extends EventEmitter
  implements Pick<WebContents, 'setWindowOpenHandler' | 'getURL' | 'isLoading' | 'send'>
{
  private static nextId = 1
  readonly id = FakeWebContents.nextId++
  readonly mainFrame: FakeWebFrame
  readonly session = new FakeSession()
  windowOpenHandler: WindowOpenHandler | null = null
  loading = false
  /** Every `send(channel, ...args)`, in order. */
  readonly sent: Array<{ channel: string; args: unknown[] }> = []

  constructor(url = '') {
    super()
    this.mainFrame = new FakeWebFrame(url)
  }

  setWindowOpenHandler(handler: WindowOpenHandler): void {
    this.windowOpenHandler = handler
  }

  getURL(): string {
    return this.mainFrame.url
  }

  isLoading(): boolean {
    return this.loading
  }

  send(channel: string, ...args: unknown[]): void {
    this.sent.push({ channel, args })
  }

  /** The payloads sent on one channel. */
  sentOn(channel: string): unknown[] {
    return this.sent.filter((s) => s.channel === channel).map((s) => s.args[0])
  }

  /** The event Electron hands an invoke handler for a message from `frame` (default: the top frame). */
  invokeEvent(frame: FakeWebFrame | null = this.mainFrame): IpcMainInvokeEvent {
    const event = { sender: this, senderFrame: frame, frameId: 1, processId: 1 }
    return event as unknown as IpcMainInvokeEvent
  }

  /** Emits a cancellable event like 'will-navigate'; returns whether a listener prevented it. */
  emitCancellable(name: string, ...args: unknown[]): boolean {
    let prevented = false
    this.emit(name, { preventDefault: () => (prevented = true) }, ...args)
    return prevented
  }

  /** A webContents as src/main's types expect it. */
  asWebContents(): WebContents {
    return this as unknown as WebContents
  }
}

// ---- BrowserWindow ----------------------------------------------------------------------------------

type WindowMethods =
  | 'show'
  | 'hide'
  | 'focus'
  | 'isMinimized'
  | 'restore'
  | 'isDestroyed'
  | 'isVisible'
  | 'loadURL'
  | 'loadFile'
  | 'setProgressBar'
  | 'close'

export class FakeBrowserWindow extends EventEmitter implements Pick<BrowserWindow, WindowMethods> {
  readonly webContents = new FakeWebContents()
  visible = false
  minimized = false
  destroyed = false
  focused = false
  /** Every value passed to setProgressBar, in order. */
  readonly progress: number[] = []

  constructor(readonly options: BrowserWindowConstructorOptions = {}) {
    super()
    fake.windows.push(this)
  }

  show(): void {
    this.visible = true
  }
  hide(): void {
    this.visible = false
  }
  focus(): void {
    this.focused = true
  }
  isMinimized(): boolean {
    return this.minimized
  }
  restore(): void {
    this.minimized = false
  }
  isDestroyed(): boolean {
    return this.destroyed
  }
  isVisible(): boolean {
    return this.visible
  }
  async loadURL(url: string): Promise<void> {
    this.webContents.mainFrame.url = url
  }
  async loadFile(filePath: string): Promise<void> {
    this.webContents.mainFrame.url = pathToFileURL(filePath).href
  }
  setProgressBar(progress: number): void {
    this.progress.push(progress)
  }

  /** Like the user closing it: 'close' may be prevented; otherwise the window is destroyed. */
  close(): void {
    let prevented = false
    this.emit('close', { preventDefault: () => (prevented = true) })
    if (prevented) return
    this.destroyed = true
    this.visible = false
    this.emit('closed')
  }

  asBrowserWindow(): BrowserWindow {
    return this as unknown as BrowserWindow
  }
}

// ---- Menu, Tray, Notification -----------------------------------------------------------------------

export class FakeMenu {
  constructor(readonly template: ReadonlyArray<MenuItemConstructorOptions | MenuItem>) {}

  item(id: string): MenuItemConstructorOptions {
    const found = this.template.find((i) => i.id === id)
    if (!found) throw new Error(`No menu item ${id}`)
    return found as MenuItemConstructorOptions
  }

  /** Clicks an item the way Electron does; a disabled item cannot be clicked. */
  click(id: string): void {
    const item = this.item(id)
    if (item.enabled === false) throw new Error(`Menu item ${id} is disabled`)
    const click = item.click as ((...args: unknown[]) => void) | undefined
    click?.(item, undefined, {})
  }
}

const FakeMenuStatics = {
  buildFromTemplate(template: Array<MenuItemConstructorOptions | MenuItem>): Menu {
    return new FakeMenu(template) as unknown as Menu
  },
} satisfies Pick<ElectronModule['Menu'], 'buildFromTemplate'>

export class FakeTray
  extends EventEmitter
  implements Pick<Tray, 'setToolTip' | 'setContextMenu' | 'destroy'>
{
  tooltip = ''
  menu: FakeMenu | null = null
  /** How many times a context menu was set. */
  menusSet = 0
  destroyed = false

  constructor(readonly image: NativeImage | string) {
    super()
    if (fake.trayUnavailable) throw new Error('No tray on this desktop')
    fake.trays.push(this)
  }

  setToolTip(toolTip: string): void {
    this.tooltip = toolTip
  }
  setContextMenu(menu: Menu | null): void {
    this.menu = menu as unknown as FakeMenu | null
    this.menusSet++
  }
  destroy(): void {
    this.destroyed = true
  }
}

export class FakeNotification extends EventEmitter implements Pick<Notification, 'show' | 'close'> {
  static supported = true
  static isSupported(): boolean {
    return FakeNotification.supported
  }

  shown = false
  closed = false

  constructor(readonly options: NotificationConstructorOptions = {}) {
    super()
    fake.notifications.push(this)
  }

  show(): void {
    this.shown = true
  }
  close(): void {
    this.closed = true
    this.emit('close', {})
  }
}

// ---- safeStorage ------------------------------------------------------------------------------------

type StorageBackend = ReturnType<SafeStorage['getSelectedStorageBackend']>
type SafeStoragePart = Pick<
  SafeStorage,
  'isAsyncEncryptionAvailable' | 'getSelectedStorageBackend' | 'encryptStringAsync' | 'decryptStringAsync'
>

/**
 * A keyring that really transforms the bytes (a prefix and a XOR, like Chromium's `v10` blobs), so a test
 * can tell an encrypted value from the plain text or its base64, and decryption of someone else's bytes
 * fails as it would.
 */
export class FakeSafeStorage implements SafeStoragePart {
  available = true
  backend: StorageBackend = 'gnome_libsecret'
  readonly encrypted: string[] = []

  async isAsyncEncryptionAvailable(): Promise<boolean> {
    return this.available
  }
  getSelectedStorageBackend(): StorageBackend {
    return this.backend
  }
  async encryptStringAsync(plainText: string): Promise<Buffer> {
    if (!this.available) throw new Error('Encryption is not available')
    this.encrypted.push(plainText)
    return Buffer.concat([Buffer.from('v10'), xor(Buffer.from(plainText, 'utf8'))])
  }
  async decryptStringAsync(encrypted: Buffer): Promise<{ shouldReEncrypt: boolean; result: string }> {
    if (!this.available) throw new Error('Decryption is not available')
    if (encrypted.subarray(0, 3).toString() !== 'v10')
      throw new Error('Error while decrypting the ciphertext')
    return { shouldReEncrypt: false, result: xor(encrypted.subarray(3)).toString('utf8') }
  }
}

function xor(bytes: Buffer): Buffer {
  return Buffer.from(bytes.map((b) => b ^ 0x5a))
}

// ---- utilityProcess ---------------------------------------------------------------------------------

export class FakeUtilityProcess extends EventEmitter implements Pick<UtilityProcess, 'postMessage' | 'kill'> {
  pid: number | undefined = undefined
  readonly posted: unknown[] = []
  killed = false

  constructor(
    readonly modulePath: string,
    readonly args: string[] | undefined,
    readonly options: Parameters<ElectronModule['utilityProcess']['fork']>[2],
  ) {
    super()
    fake.utilityProcesses.push(this)
  }

  postMessage(message: unknown): void {
    this.posted.push(message)
  }
  kill(): boolean {
    this.killed = true
    return true
  }
}

const fakeUtilityProcess = {
  fork(modulePath, args, options): UtilityProcess {
    return new FakeUtilityProcess(modulePath, args, options) as unknown as UtilityProcess
  },
} satisfies Pick<ElectronModule['utilityProcess'], 'fork'>

// ---- app, dialog, shell -----------------------------------------------------------------------------

type AppPathName = Parameters<App['getPath']>[0]

const fakeApp = {
  getPath(name: AppPathName): string {
    const path = fake.paths[name]
    if (!path) throw new Error(`Failed to get '${name}' path`)
    return path
  },
  getVersion: () => '0.1.0-test',
  get isPackaged(): boolean {
    return fake.isPackaged
  },
} satisfies Pick<App, 'getPath' | 'getVersion' | 'isPackaged'>

// The dialog functions are overloaded (with or without a parent window); a mock takes either form and
// records the arguments as given.
type Answer<K extends keyof Dialog> = Awaited<ReturnType<Extract<Dialog[K], (...args: never[]) => unknown>>>

function makeDialog() {
  return {
    showOpenDialog: vi.fn(async (..._args: unknown[]): Promise<Answer<'showOpenDialog'>> => ({
      canceled: true,
      filePaths: [],
    })),
    showSaveDialog: vi.fn(async (..._args: unknown[]): Promise<Answer<'showSaveDialog'>> => ({
      canceled: true,
      filePath: '',
    })),
    showMessageBox: vi.fn(async (..._args: unknown[]): Promise<Answer<'showMessageBox'>> => ({
      response: 1,
      checkboxChecked: false,
    })),
  } satisfies Pick<Dialog, 'showOpenDialog' | 'showSaveDialog' | 'showMessageBox'>
}

function makeShell() {
  return {
    openExternal: vi.fn<Shell['openExternal']>(async () => {}),
    showItemInFolder: vi.fn<Shell['showItemInFolder']>(),
  } satisfies Pick<Shell, 'openExternal' | 'showItemInFolder'>
}

// ---- the state tests look at, and the module ---------------------------------------------------------

export interface FakeElectronState {
  ipcMain: FakeIpcMain
  safeStorage: FakeSafeStorage
  dialog: ReturnType<typeof makeDialog>
  shell: ReturnType<typeof makeShell>
  /** app.getPath answers; a name not set here throws, as an unknown name does in Electron. */
  paths: Partial<Record<AppPathName, string>>
  windows: FakeBrowserWindow[]
  trays: FakeTray[]
  notifications: FakeNotification[]
  utilityProcesses: FakeUtilityProcess[]
  /** new Tray() throws, as on a Linux desktop without a status area. */
  trayUnavailable: boolean
  /** app.isPackaged (false: what `electron .` reports in development). */
  isPackaged: boolean
}

function freshState(): FakeElectronState {
  return {
    ipcMain: new FakeIpcMain(),
    safeStorage: new FakeSafeStorage(),
    dialog: makeDialog(),
    shell: makeShell(),
    paths: {},
    windows: [],
    trays: [],
    notifications: [],
    utilityProcesses: [],
    trayUnavailable: false,
    isPackaged: false,
  }
}

export const fake: FakeElectronState = freshState()

/** A clean slate for the next test: new recorders, no windows, encryption available. */
export function resetFakeElectron(): void {
  Object.assign(fake, freshState())
  FakeNotification.supported = true
}

// The module objects delegate to `fake` at call time, so a reset replaces them for code that imported
// `ipcMain` or `shell` once at load.
const delegate = <K extends 'ipcMain' | 'safeStorage' | 'dialog' | 'shell'>(key: K): FakeElectronState[K] =>
  new Proxy({} as FakeElectronState[K], {
    get: (_target, prop) => {
      const target = fake[key] as unknown as Record<PropertyKey, unknown>
      const value = target[prop]
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value
    },
  })

/** What `vi.mock('electron', …)` returns: the parts of the module src/main uses. */
export const electronModule = {
  app: fakeApp,
  ipcMain: delegate('ipcMain'),
  safeStorage: delegate('safeStorage'),
  dialog: delegate('dialog'),
  shell: delegate('shell'),
  utilityProcess: fakeUtilityProcess,
  BrowserWindow: FakeBrowserWindow,
  Menu: FakeMenuStatics,
  Tray: FakeTray,
  Notification: FakeNotification,
} satisfies Partial<Record<keyof ElectronModule, unknown>>
