// "Add URL…": beside "Open workflow…", the other way to name a model the S3 source may not have.
import { useState, type ReactNode } from 'react'
import { AddUrlDialog } from './AddUrlDialog'

export function AddUrlButton({ className = 'btn', children }: { className?: string; children: ReactNode }) {
  const [open, setOpen] = useState(false)
  return (
    <>
      <button
        type="button"
        className={className}
        title="Download one model from its https URL (Hugging Face, CivitAI, …): name and size come from the host"
        onClick={() => setOpen(true)}
      >
        {children}
      </button>
      {open && <AddUrlDialog onClose={() => setOpen(false)} />}
    </>
  )
}
