// Light and dark follow the OS unless the user picked one; the choice is kept in this browser.
import { useEffect } from 'react'
import type { ThemePreference } from '../store/app-store'

const KEY = 'modeldl.theme'

export function storedTheme(): ThemePreference {
  try {
    const value = localStorage.getItem(KEY)
    return value === 'light' || value === 'dark' ? value : 'system'
  } catch {
    return 'system'
  }
}

export function useTheme(theme: ThemePreference): void {
  useEffect(() => {
    try {
      if (theme === 'system') localStorage.removeItem(KEY)
      else localStorage.setItem(KEY, theme)
    } catch {
      // Storage can be off (private windows): the choice then lasts for this session only.
    }
    const media = window.matchMedia?.('(prefers-color-scheme: dark)')
    const apply = () => {
      const dark = theme === 'dark' || (theme === 'system' && !!media?.matches)
      document.documentElement.classList.toggle('dark', dark)
    }
    apply()
    media?.addEventListener('change', apply)
    return () => media?.removeEventListener('change', apply)
  }, [theme])
}
