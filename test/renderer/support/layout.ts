// jsdom lays nothing out: every element is 0 × 0. The model table's virtualizer (@tanstack/virtual-core)
// sizes its window from the scroll element's clientWidth and clientHeight (read once when it mounts, and
// again on ResizeObserver callbacks, which jsdom does not have), and with a height of 0 it draws no rows
// at all. Giving elements a size makes the rows of the visible range really render.
import { afterAll, beforeAll } from 'vitest'

export interface Viewport {
  width: number
  height: number
}

export const DEFAULT_VIEWPORT: Viewport = { width: 1280, height: 720 }

/** Every HTMLElement reports this client size while the suite runs (the scroll box is the one that counts). */
export function useLayout(viewport: Viewport = DEFAULT_VIEWPORT): void {
  beforeAll(() => {
    Object.defineProperty(HTMLElement.prototype, 'clientHeight', {
      configurable: true,
      get: () => viewport.height,
    })
    Object.defineProperty(HTMLElement.prototype, 'clientWidth', {
      configurable: true,
      get: () => viewport.width,
    })
  })
  afterAll(() => {
    // The originals live on Element.prototype: removing the overrides brings them back.
    delete (HTMLElement.prototype as { clientHeight?: number }).clientHeight
    delete (HTMLElement.prototype as { clientWidth?: number }).clientWidth
  })
}
