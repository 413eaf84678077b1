import { Agent } from 'node:https'
import type { TransferTuning } from '../../../shared/transfer'
import { routeUrl } from './known-hosts'
import { HttpObjectSource, type UrlInfo } from './http-object-source'

type Env = Record<string, string | undefined>

export interface HttpSourcesOptions {
  env?: Env
  /**
   * Certificates to trust instead of Node's defaults (a test's own CA). Unset, Node's roots plus
   * NODE_EXTRA_CA_CERTS apply; TLS checks are never switched off.
   */
  ca?: string[]
  tuning: Pick<TransferTuning, 'connectTimeoutMs'>
  log?(level: 'info' | 'warn', message: string): void
}

/** One worker's https downloads: one connection pool, the environment's endpoints and tokens. */
export class HttpSources {
  private readonly agent: Agent
  private readonly env: Env

  constructor(private readonly options: HttpSourcesOptions) {
    this.env = options.env ?? process.env
    this.agent = new Agent({ keepAlive: true, ...(options.ca ? { ca: options.ca } : {}) })
  }

  /** The source of one transfer of `url` (each transfer has its own: it remembers where ranges go). */
  source(url: string, log = this.options.log): HttpObjectSource {
    return new HttpObjectSource(routeUrl(url, this.env), {
      agent: this.agent,
      connectTimeoutMs: this.options.tuning.connectTimeoutMs,
      ...(log ? { log } : {}),
    })
  }

  /** Size, name and checksum of a URL, for a download typed as just a URL. */
  describe(url: string, signal: AbortSignal, maxAttempts = 3): Promise<UrlInfo> {
    return this.source(url).head(signal, maxAttempts)
  }

  destroy(): void {
    this.agent.destroy()
  }
}
