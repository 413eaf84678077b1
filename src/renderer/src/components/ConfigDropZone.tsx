// A model config or a ComfyUI workflow dropped anywhere on the window is opened.
import { useEffect, useState } from 'react'
import { droppedFileKind } from '../lib/dropped-file'
import { useCommands } from '../store/context'
import { loadConfigFile } from './OpenConfigButton'

const carriesFiles = (e: DragEvent) => !!e.dataTransfer && [...e.dataTransfer.types].includes('Files')

export function ConfigDropZone() {
  const commands = useCommands()
  const [over, setOver] = useState(false)
  useEffect(() => {
    // dragenter/dragleave fire for every child crossed: count them to know when the pointer left.
    let depth = 0
    const enter = (e: DragEvent) => {
      if (!carriesFiles(e)) return
      depth++
      setOver(true)
    }
    const leave = (e: DragEvent) => {
      if (!carriesFiles(e)) return
      depth = Math.max(0, depth - 1)
      if (depth === 0) setOver(false)
    }
    const dragover = (e: DragEvent) => {
      if (carriesFiles(e)) e.preventDefault()
    }
    const drop = (e: DragEvent) => {
      if (!carriesFiles(e)) return
      e.preventDefault()
      depth = 0
      setOver(false)
      const file = e.dataTransfer?.files[0]
      if (!file) return
      void droppedFileKind(file).then(async (kind) => {
        if (kind === 'workflow') await commands.openWorkflowFile(file)
        else await loadConfigFile(file, commands.loadConfigText)
      })
    }
    window.addEventListener('dragenter', enter)
    window.addEventListener('dragleave', leave)
    window.addEventListener('dragover', dragover)
    window.addEventListener('drop', drop)
    return () => {
      window.removeEventListener('dragenter', enter)
      window.removeEventListener('dragleave', leave)
      window.removeEventListener('dragover', dragover)
      window.removeEventListener('drop', drop)
    }
  }, [commands])
  if (!over) return null
  return (
    <div className="pointer-events-none fixed inset-2 z-50 flex items-center justify-center rounded-xl border-2 border-dashed border-accent bg-white/85 text-base font-medium text-zinc-900 dark:bg-zinc-900/85 dark:text-zinc-50">
      Drop a model config (.json) or a ComfyUI workflow (.json, .png) to open it
    </div>
  )
}
