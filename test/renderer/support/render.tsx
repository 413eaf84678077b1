// Renders renderer components the way the window does: inside AppProvider, around a fresh store and an
// in-memory Api, with a userEvent session for the interactions.
import { cleanup, render, type RenderResult } from '@testing-library/react'
import userEvent, { type UserEvent } from '@testing-library/user-event'
import type { ReactElement } from 'react'
import { afterEach, vi } from 'vitest'
import { createAppStore, type AppStore } from '../../../src/renderer/src/store/app-store'
import { AppProvider } from '../../../src/renderer/src/store/context'
import { createFakeApi, type FakeApi } from './fake-api'
import './jsdom-gaps'

export interface Rendered extends RenderResult {
  store: AppStore
  fake: FakeApi
  user: UserEvent
}

export function renderWithApp(
  ui: ReactElement,
  { store = createAppStore(), fake = createFakeApi() }: { store?: AppStore; fake?: FakeApi } = {},
): Rendered {
  // With fake timers on, userEvent has to move them itself or it waits forever between key strokes.
  const fakeTimers = vi.isFakeTimers()
  const user = userEvent.setup(fakeTimers ? { advanceTimers: (ms) => vi.advanceTimersByTime(ms) } : {})
  const result = render(
    <AppProvider store={store} api={fake.api}>
      {ui}
    </AppProvider>,
  )
  return { ...result, store, fake, user }
}

afterEach(() => cleanup())
