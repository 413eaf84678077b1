// Free page reporting (virtio-balloon) paused for the length of a benchmark run, and put back after.
//
// Why: on a VM with free page reporting, memory the guest frees is handed back to the host, and the
// next touch of it costs a host fault per page. Measured here: 1 GiB written into the page cache
// right after another 1 GiB was deleted, 0.23-0.38 s; the same write when the reporter got to the
// freed memory first (it reported 538 MiB of it), 2.0-2.2 s; after a 3 s pause, 2.6-3.7 s. Whether the
// reporter wins depends on how soon the next writer starts touching memory after the delete: a client
// that takes 0.2 s to start (any Node program) loses that race about every second run, curl rarely.
// That is the VM's doing, not the client's, and a workstation has no such reporter. With the
// reporting order set above the largest page order, nothing is reported: the same test gives
// 0.23-0.38 s whatever the pause (10 of 10 runs).
import fs from 'node:fs'

const ORDER_FILE = '/sys/module/page_reporting/parameters/page_reporting_order'
/** Above MAX_PAGE_ORDER (10): no free block is large enough to be reported. */
const NEVER = '11'

/**
 * Pauses free page reporting if this machine has it and lets us change it (root). Returns what was
 * done, as a line for the log, and restore(), synchronous so that it can run in an exit handler.
 */
export function pausePageReporting() {
  let before
  try {
    before = fs.readFileSync(ORDER_FILE, 'utf8').trim()
  } catch {
    return { note: 'this machine has no free page reporting', restore() {} }
  }
  if (before === NEVER)
    return { note: `free page reporting already off (${ORDER_FILE} = ${NEVER})`, restore() {} }
  try {
    fs.writeFileSync(ORDER_FILE, NEVER)
  } catch (err) {
    return {
      note: `free page reporting left on (${ORDER_FILE}: ${err.code ?? err.message}; run as root to pause it): expect some runs to pay ~2 s per GiB written`,
      restore() {},
    }
  }
  let restored = false
  return {
    note: `free page reporting paused for the run (${ORDER_FILE} ${before} -> ${NEVER}; put back at exit)`,
    restore() {
      if (restored) return
      restored = true
      try {
        fs.writeFileSync(ORDER_FILE, before)
      } catch (err) {
        console.error(`bench: could not put ${ORDER_FILE} back to ${before}: ${err.message}`)
      }
    },
  }
}
