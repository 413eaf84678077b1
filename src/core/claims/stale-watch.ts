// Whether a claim another machine holds is stale, judged by this machine's clock: clocks of the
// machines on one volume may disagree, so a follower notes when it last saw the heartbeat move.
import type { ClaimIdentity, ClaimOwner } from './claim-file'

export class StaleWatch {
  private seen = ''
  private since = 0

  constructor(
    private readonly identity: ClaimIdentity,
    private readonly staleMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Looks at the claim as read now (owner null: not readable yet); true once it stopped moving. */
  isStale(owner: ClaimOwner | null): boolean {
    // A holder on this host whose process is gone is stale at once (after a SIGKILL or a crash).
    if (owner && owner.host === this.identity.host && owner.pid !== this.identity.pid && !alive(owner.pid))
      return true
    const mark = owner ? `${owner.token}:${owner.beat}` : 'none'
    const t = this.now()
    if (mark !== this.seen || this.since === 0) {
      this.seen = mark
      this.since = t
      return false
    }
    return t - this.since >= this.staleMs
  }

  /** Starts over (after a takeover another machine won). */
  reset(): void {
    this.seen = ''
    this.since = 0
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}
