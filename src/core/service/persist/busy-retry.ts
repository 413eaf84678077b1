import { setTimeout as sleep } from 'node:timers/promises'

// On Windows, replacing a file fails while another program (a script polling the progress file, an
// antivirus scanner) holds it open without delete sharing. That lasts milliseconds: try again briefly.
const BUSY_CODES = new Set(['EPERM', 'EACCES', 'EBUSY'])

export async function retryWhileBusy<T>(fn: () => Promise<T>, platform = process.platform): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn()
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code
      if (platform !== 'win32' || attempt >= 5 || !code || !BUSY_CODES.has(code)) throw err
      await sleep(20 * attempt)
    }
  }
}
