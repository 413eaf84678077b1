// A claim this process holds: its heartbeat (which carries the transfer's progress for followers), the
// check that it still holds it, and its release. A holder that finds another token in the owner file
// lost the claim to a takeover (it was judged stale) and must stop writing `.part` at once.
import {
  createClaim,
  generationIsNewest,
  hasFollowers,
  newToken,
  readClaim,
  removeClaim,
  takeOverClaim,
  writeClaim,
  type ClaimIdentity,
  type ClaimOwner,
} from './claim-file'
import type { ClaimTiming } from './claim-timing'

export type ClaimDone = NonNullable<ClaimOwner['done']>

export class HeldClaim {
  private owner: ClaimOwner
  private timer: NodeJS.Timeout | null = null
  private lostListener: (() => void) | null = null
  private beating: Promise<void> = Promise.resolve()
  private ended = false

  private constructor(
    readonly localPath: string,
    identity: ClaimIdentity,
    generation: number,
    private readonly timing: ClaimTiming,
  ) {
    this.owner = {
      version: 1,
      token: newToken(),
      generation,
      ...identity,
      startedAt: new Date().toISOString(),
      beat: 0,
      bytesDone: 0,
      totalBytes: 0,
      speedBps: 0,
    }
  }

  /** Claims a free file: the claim, or null when another machine holds it. */
  static async create(
    localPath: string,
    identity: ClaimIdentity,
    timing: ClaimTiming,
  ): Promise<HeldClaim | null> {
    if (!(await createClaim(localPath))) return null
    return HeldClaim.start(new HeldClaim(localPath, identity, 0, timing))
  }

  /** Takes over generation `seen` of a stale claim: the claim, or null when another machine won. */
  static async takeOver(
    localPath: string,
    seen: number,
    identity: ClaimIdentity,
    timing: ClaimTiming,
  ): Promise<HeldClaim | null> {
    if (!(await takeOverClaim(localPath, seen))) return null
    return HeldClaim.start(new HeldClaim(localPath, identity, seen + 1, timing))
  }

  private static async start(claim: HeldClaim): Promise<HeldClaim> {
    await writeClaim(claim.localPath, claim.owner)
    claim.timer = setInterval(() => {
      claim.beating = claim.beating.then(() => claim.beat())
    }, claim.timing.heartbeatMs)
    claim.timer.unref()
    return claim
  }

  get host(): string {
    return this.owner.host
  }

  /** Called once, when a heartbeat finds the claim taken over or gone. */
  onLost(listener: () => void): void {
    this.lostListener = listener
  }

  progress(bytesDone: number, totalBytes: number, speedBps: number): void {
    Object.assign(this.owner, { bytesDone, totalBytes, speedBps })
  }

  /** The file is at its final path: followers read how it was verified, then the claim goes. */
  async finish(done: ClaimDone): Promise<void> {
    await this.stop()
    if (!(await this.stillHeld())) return
    this.owner = { ...this.owner, beat: this.owner.beat + 1, done }
    await writeClaim(this.localPath, this.owner).catch(() => undefined)
    // Only when someone follows: a lone machine releases at once.
    const until = Date.now() + this.timing.lingerMs
    while ((await hasFollowers(this.localPath)) && Date.now() < until) {
      await new Promise((r) => setTimeout(r, Math.min(100, this.timing.followPollMs)))
    }
    await removeClaim(this.localPath)
  }

  /** Gives the claim up (the transfer failed, was paused or cancelled): another machine may take it. */
  async release(): Promise<void> {
    await this.stop()
    if (await this.stillHeld()) await removeClaim(this.localPath)
  }

  private async stop(): Promise<void> {
    this.ended = true
    if (this.timer) clearInterval(this.timer)
    this.timer = null
    await this.beating
  }

  /**
   * Held while no takeover made a newer generation. An owner file of an older generation is a late
   * write of the holder this one took over from: the next beat writes ours again.
   */
  private async stillHeld(): Promise<boolean> {
    if (!(await generationIsNewest(this.localPath, this.owner.generation))) return false
    const { owner } = await readClaim(this.localPath)
    return !owner || owner.generation < this.owner.generation || owner.token === this.owner.token
  }

  private async beat(): Promise<void> {
    if (this.ended) return
    if (!(await this.stillHeld())) {
      if (this.ended) return
      this.ended = true
      if (this.timer) clearInterval(this.timer)
      this.timer = null
      this.lostListener?.()
      return
    }
    this.owner = { ...this.owner, beat: this.owner.beat + 1 }
    await writeClaim(this.localPath, this.owner).catch(() => undefined)
  }
}
