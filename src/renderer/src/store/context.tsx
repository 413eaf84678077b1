// How components reach the store and the Api: through context, so a test renders the same components
// with its own store and an in-memory Api. Components never learn which transport is behind the Api.
import { createContext, useContext, useMemo, type ReactNode } from 'react'
import { useStore } from 'zustand'
import type { Api } from '../../../shared/api-contract'
import type { AppState, AppStore } from './app-store'
import { createCommands, type Commands } from './commands'

interface AppContextValue {
  store: AppStore
  api: Api
  commands: Commands
}

const AppContext = createContext<AppContextValue | null>(null)

export function AppProvider({ store, api, children }: { store: AppStore; api: Api; children: ReactNode }) {
  const value = useMemo(() => ({ store, api, commands: createCommands(api, store) }), [store, api])
  return <AppContext.Provider value={value}>{children}</AppContext.Provider>
}

function useAppContext(): AppContextValue {
  const value = useContext(AppContext)
  if (!value) throw new Error('This component needs an <AppProvider> above it')
  return value
}

export function useAppStore<T>(selector: (state: AppState) => T): T {
  return useStore(useAppContext().store, selector)
}

/** The store itself, for event handlers that read the current state without subscribing. */
export function useStoreApi(): AppStore {
  return useAppContext().store
}

export function useCommands(): Commands {
  return useAppContext().commands
}
