// The window: header, the current screen, the queue beside it (or over it on narrow windows), and
// the drawer, toasts and drop zone above everything.
import { useEffect } from 'react'
import { AppHeader } from './components/AppHeader'
import { BrowseScreen } from './components/BrowseScreen'
import { ConfigDropZone } from './components/ConfigDropZone'
import { DetailsDrawer } from './components/DetailsDrawer'
import { ConnectionState, EmptyState } from './components/EmptyState'
import { ModelTable } from './components/ModelTable'
import { QueuePanel } from './components/QueuePanel'
import { SettingsScreen } from './components/SettingsScreen'
import { SourceBar } from './components/SourceBar'
import { Toasts } from './components/Toasts'
import { Toolbar } from './components/Toolbar'
import { useTheme } from './lib/theme'
import { useAppStore, useCommands } from './store/context'
import { selectConfigCounts } from './store/selectors'
import { useShallow } from 'zustand/react/shallow'

export function App() {
  const theme = useAppStore((s) => s.theme)
  const screen = useAppStore((s) => s.screen)
  const queueOpen = useAppStore((s) => s.queueOpen)
  useTheme(theme)
  useSlashToFilter()
  return (
    <div className="flex h-full flex-col">
      <AppHeader />
      <div className="relative flex min-h-0 flex-1">
        <main className="flex min-w-0 flex-1 flex-col">
          {screen === 'downloads' && <DownloadsScreen />}
          {screen === 'browse' && <BrowseScreen />}
          {screen === 'settings' && <SettingsScreen />}
        </main>
        {screen !== 'settings' && (
          <QueuePanel
            id="queue-panel"
            className={`w-72 shrink-0 border-l border-zinc-200 bg-zinc-50 dark:border-zinc-700/70 dark:bg-zinc-850 ${
              queueOpen
                ? 'absolute inset-y-0 right-0 z-30 shadow-xl min-[1200px]:static min-[1200px]:shadow-none'
                : 'max-[1199px]:hidden'
            }`}
          />
        )}
      </div>
      <DetailsDrawer />
      <Toasts />
      <ConfigDropZone />
    </div>
  )
}

function DownloadsScreen() {
  const connection = useAppStore((s) => s.connection.state)
  const hasConfig = useAppStore((s) => s.config !== null)
  return (
    <>
      <SourceBar />
      {!hasConfig && connection !== 'ready' ? (
        <ConnectionState />
      ) : !hasConfig ? (
        <EmptyState />
      ) : (
        <>
          <Toolbar view="downloads" selectedIsPrimary={false}>
            <ConfigDownloadButtons />
          </Toolbar>
          <ModelTable view="downloads" label="Models in the config" />
        </>
      )}
    </>
  )
}

function ConfigDownloadButtons() {
  const counts = useAppStore(useShallow(selectConfigCounts))
  const commands = useCommands()
  return (
    <>
      {/* The main task of this screen: the one filled button. */}
      <button
        type="button"
        className="btn btn-primary"
        disabled={counts.missing === 0}
        onClick={() => void commands.downloadMissing('downloads')}
      >
        Download missing{' '}
        <span className="tabular-nums opacity-80">({counts.missing.toLocaleString('en-US')})</span>
      </button>
      <button
        type="button"
        className="btn"
        disabled={counts.total === 0}
        onClick={() => void commands.downloadAll()}
      >
        Download all
      </button>
    </>
  )
}

/** "/" jumps to the filter box, as in most list tools. */
function useSlashToFilter() {
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key !== '/' || e.ctrlKey || e.metaKey || e.altKey) return
      const target = e.target as HTMLElement
      if (target.closest('input, textarea, select, [contenteditable="true"]')) return
      const input = document.querySelector<HTMLInputElement>('[data-filter-input]')
      if (!input) return
      e.preventDefault()
      input.focus()
    }
    window.addEventListener('keydown', onKey)
    return () => window.removeEventListener('keydown', onKey)
  }, [])
}
