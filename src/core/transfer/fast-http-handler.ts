import type { NodeHttpHandler } from '@smithy/node-http-handler'
import type { ObjectGet } from './direct-get'
import { isSuccess, type ObjectWire } from './object-wire'

type HandleArgs = Parameters<NodeHttpHandler['handle']>
type SdkRequest = HandleArgs[0]
type SdkHandlerOptions = NonNullable<HandleArgs[1]>
type SdkResponse = Awaited<ReturnType<NodeHttpHandler['handle']>>['response']

/** Options of `client.send` that route a GET through the fast path; its Body is then a FastBody. */
export interface FastBodyOptions extends SdkHandlerOptions {
  fastBody?: boolean
  /** The object asked for: a 2xx answer teaches its bucket's route to the direct path (DirectGets). */
  route?: Pick<ObjectGet, 'bucket' | 'key'>
}

/**
 * The S3 client's request handler: object GETs that ask for it (`fastBody`) go over our own HTTP/1.1
 * connections (ObjectWire), and a 2xx answer teaches its bucket's route to the wire's direct path.
 * Everything else (HEAD, listings, error retries the SDK makes itself) goes through the SDK's
 * NodeHttpHandler unchanged.
 */
export class FastHttpHandler {
  readonly metadata = { handlerProtocol: 'http/1.1' }

  constructor(
    private readonly fallback: NodeHttpHandler,
    private readonly wire: ObjectWire,
  ) {}

  handle(request: SdkRequest, options: FastBodyOptions = {}): Promise<{ response: SdkResponse }> {
    const body = request.body as unknown
    const expect = request.headers['expect'] ?? request.headers['Expect']
    if (!options.fastBody || request.method !== 'GET' || (body != null && body !== '') || expect) {
      return this.fallback.handle(request, options)
    }
    return this.wire.get(request, options.abortSignal as AbortSignal | undefined).then((answer) => {
      if (options.route && isSuccess(answer.response.statusCode)) this.wire.learn(request, options.route)
      return answer as { response: SdkResponse }
    })
  }

  /** Closes the SDK's connections and the wire's (destroying the client ends both). */
  destroy(): void {
    this.wire.destroy()
    this.fallback.destroy()
  }

  updateHttpClientConfig(...args: Parameters<NodeHttpHandler['updateHttpClientConfig']>): void {
    this.fallback.updateHttpClientConfig(...args)
  }

  httpHandlerConfigs(): ReturnType<NodeHttpHandler['httpHandlerConfigs']> {
    return this.fallback.httpHandlerConfigs()
  }
}
