// The sandboxed preload: exposes the typed Api as window.api and nothing else. In particular never
// ipcRenderer itself or process.env: the renderer is treated as untrusted.
import { contextBridge, ipcRenderer } from 'electron'
import { createBridgeApi } from './bridge-api'

contextBridge.exposeInMainWorld('api', createBridgeApi(ipcRenderer))
