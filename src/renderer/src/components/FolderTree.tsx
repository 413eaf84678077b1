// The scanned source's folders beside its table: pick one to see only what is under it. The first level
// arrives before the listing (a delimited request), deeper folders as the pages come in.
import { useMemo } from 'react'
import { useAppStore } from '../store/context'
import { countByFolder, folderPrefix, sourcePrefix, visibleFolders } from '../store/folders'
import { ChevronIcon } from './icons'

export function FolderTree({ className = '' }: { className?: string }) {
  const uri = useAppStore((s) => s.scan.uri)
  const folders = useAppStore((s) => s.scan.folders)
  const models = useAppStore((s) => s.scan.models)
  const selectedPrefix = useAppStore((s) => s.views.browse.folder)
  const setFolder = useAppStore((s) => s.setFolder)
  const counts = useMemo(() => countByFolder(uri, models.values()), [uri, models])
  const base = sourcePrefix(uri)
  const selected = selectedPrefix.startsWith(base) ? selectedPrefix.slice(base.length, -1) : ''
  const nodes = useMemo(() => visibleFolders(folders, counts, selected), [folders, counts, selected])

  const item = (path: string, label: string, count: number, depth: number, hasChildren: boolean) => {
    const current = path === selected
    return (
      <li key={path || '(all)'}>
        <button
          type="button"
          aria-current={current ? 'true' : undefined}
          className={`flex w-full items-center gap-1 rounded py-0.5 pr-2 text-left ${
            current
              ? 'bg-accent-soft font-medium text-zinc-900 dark:text-zinc-50'
              : 'text-zinc-700 hover:bg-zinc-200/70 dark:text-zinc-300 dark:hover:bg-zinc-800'
          }`}
          style={{ paddingLeft: `${0.25 + depth * 0.75}rem` }}
          title={path ? `${base}${path}/` : base}
          onClick={() => setFolder('browse', folderPrefix(uri, path))}
        >
          <span className="flex size-3.5 shrink-0 items-center justify-center text-zinc-400">
            {hasChildren && (
              <ChevronIcon open={path === '' || selected === path || selected.startsWith(`${path}/`)} />
            )}
          </span>
          <span className="min-w-0 flex-1 truncate">{label}</span>
          <span className="muted shrink-0 text-xs tabular-nums">{count.toLocaleString('en-US')}</span>
        </button>
      </li>
    )
  }

  const hasChildren = (path: string) => folders.some((f) => f.startsWith(`${path}/`))
  return (
    <nav aria-label="Folders" className={`overflow-y-auto px-1.5 py-2 text-[13px] ${className}`}>
      <h2 className="muted px-1.5 pb-1 text-xs font-medium tracking-wide uppercase">Folders</h2>
      <ul>
        {item('', 'All folders', models.size, 0, false)}
        {nodes.map((n) => item(n.path, n.name, n.models, n.depth + 1, hasChildren(n.path)))}
      </ul>
    </nav>
  )
}
