// A few 16 px line icons drawn inline (no icon font, nothing fetched: the CSP allows only 'self').
// They are decoration: every button that shows one carries its own accessible name.
import type { SVGProps } from 'react'

function Icon({ children, ...props }: SVGProps<SVGSVGElement>) {
  return (
    <svg
      viewBox="0 0 16 16"
      width="16"
      height="16"
      fill="none"
      stroke="currentColor"
      strokeWidth="1.5"
      strokeLinecap="round"
      strokeLinejoin="round"
      aria-hidden="true"
      focusable="false"
      {...props}
    >
      {children}
    </svg>
  )
}

export const DownloadIcon = () => (
  <Icon>
    <path d="M8 2.5v8M4.5 7 8 10.5 11.5 7M3 13.5h10" />
  </Icon>
)
export const PauseIcon = () => (
  <Icon>
    <path d="M5.5 3.5v9M10.5 3.5v9" />
  </Icon>
)
export const ResumeIcon = () => (
  <Icon>
    <path d="M5 3.2v9.6L12.5 8z" />
  </Icon>
)
export const CancelIcon = () => (
  <Icon>
    <path d="M4 4l8 8M12 4l-8 8" />
  </Icon>
)
export const RetryIcon = () => (
  <Icon>
    <path d="M12.8 6.5A5 5 0 1 0 13 9.5M13 3v3.5H9.5" />
  </Icon>
)
export const FolderIcon = () => (
  <Icon>
    <path d="M2 4.5A1 1 0 0 1 3 3.5h3l1.5 1.5H13a1 1 0 0 1 1 1V12a1 1 0 0 1-1 1H3a1 1 0 0 1-1-1z" />
  </Icon>
)
export const CopyIcon = () => (
  <Icon>
    <rect x="5.5" y="5.5" width="8" height="8" rx="1" />
    <path d="M10.5 3.5V3a1 1 0 0 0-1-1H3a1 1 0 0 0-1 1v6.5a1 1 0 0 0 1 1h.5" />
  </Icon>
)
export const InfoIcon = () => (
  <Icon>
    <circle cx="8" cy="8" r="6" />
    <path d="M8 7.2V11M8 5v.01" />
  </Icon>
)
export const ChevronIcon = ({ open }: { open: boolean }) => (
  <Icon className={`transition-transform duration-100 ${open ? 'rotate-90' : ''}`}>
    <path d="M6 3.5 10.5 8 6 12.5" />
  </Icon>
)
export const ArrowUpIcon = () => (
  <Icon>
    <path d="M8 13V3M4 7l4-4 4 4" />
  </Icon>
)
export const ArrowDownIcon = () => (
  <Icon>
    <path d="M8 3v10M4 9l4 4 4-4" />
  </Icon>
)
export const ToTopIcon = () => (
  <Icon>
    <path d="M3 2.5h10M8 13.5V6M4.5 9.5 8 6l3.5 3.5" />
  </Icon>
)
export const CloseIcon = CancelIcon
export const SortIcon = ({ dir }: { dir: 'asc' | 'desc' | null }) => (
  <Icon width="12" height="12">
    {dir === 'asc' ? <path d="M4 10l4-4 4 4" /> : dir === 'desc' ? <path d="M4 6l4 4 4-4" /> : null}
  </Icon>
)
