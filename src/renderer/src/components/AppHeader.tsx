// The top line: where you are, what is moving, and the queue and theme switches.
import { useShallow } from 'zustand/react/shallow'
import { formatSpeed } from '../lib/format'
import type { Screen, ThemePreference } from '../store/app-store'
import { useAppStore } from '../store/context'

const SCREENS: Array<[Screen, string]> = [
  ['downloads', 'Downloads'],
  ['browse', 'Browse source'],
  ['settings', 'Settings'],
]

export function AppHeader() {
  const screen = useAppStore((s) => s.screen)
  const setScreen = useAppStore((s) => s.setScreen)
  const theme = useAppStore((s) => s.theme)
  const setTheme = useAppStore((s) => s.setTheme)
  const queueOpen = useAppStore((s) => s.queueOpen)
  const setQueueOpen = useAppStore((s) => s.setQueueOpen)
  const activity = useAppStore(
    useShallow((s) => {
      let running = 0
      for (const id of s.queueOrder) if (s.recordStatus.get(id) === 'progress') running++
      return { queued: s.queueOrder.length, running, speed: s.batch?.speedBps ?? 0 }
    }),
  )
  return (
    <header className="flex h-11 shrink-0 items-center gap-4 border-b border-zinc-200 bg-zinc-50 px-3 dark:border-zinc-700/70 dark:bg-zinc-850">
      <span className="font-semibold whitespace-nowrap text-zinc-900 dark:text-zinc-50">
        Model Downloader
      </span>
      <nav aria-label="Screens" className="flex gap-1">
        {SCREENS.map(([key, label]) => (
          <button
            key={key}
            type="button"
            aria-current={screen === key ? 'page' : undefined}
            className={`h-7 rounded-md px-2.5 whitespace-nowrap ${
              screen === key
                ? 'bg-white font-medium text-zinc-900 shadow-sm ring-1 ring-zinc-200 dark:bg-zinc-700 dark:text-zinc-50 dark:ring-zinc-600'
                : 'text-zinc-600 hover:bg-zinc-200/70 dark:text-zinc-300 dark:hover:bg-zinc-800'
            }`}
            onClick={() => setScreen(key)}
          >
            {label}
          </button>
        ))}
      </nav>
      <div className="ml-auto flex items-center gap-3">
        {activity.running > 0 && (
          <span className="text-xs whitespace-nowrap text-accent tabular-nums dark:text-blue-400">
            {activity.running} downloading · {formatSpeed(activity.speed)}
          </span>
        )}
        {screen !== 'settings' && (
          <button
            type="button"
            className="btn min-[1200px]:hidden"
            aria-expanded={queueOpen}
            aria-controls="queue-panel"
            onClick={() => setQueueOpen(!queueOpen)}
          >
            Queue <span className="tabular-nums">{activity.queued.toLocaleString('en-US')}</span>
          </button>
        )}
        <select
          className="input"
          aria-label="Theme"
          value={theme}
          onChange={(e) => setTheme(e.target.value as ThemePreference)}
        >
          <option value="system">System theme</option>
          <option value="light">Light</option>
          <option value="dark">Dark</option>
        </select>
      </div>
    </header>
  )
}
