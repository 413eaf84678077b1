import { cliContext } from '../cli-settings'
import type { Entrypoints } from '../entrypoints'
import { connectOrStartDaemon, ownOrConnect } from '../owner-session'
import { SELECTOR_OPTIONS, selectorFrom } from '../selector-flags'
import { parseFlags } from '../parse-flags'

export type ControlVerb = 'cancel' | 'pause' | 'resume' | 'retry'

export const CONTROL_HELP = `modeldl cancel (--group G --model M | --path P | --all)
modeldl pause  (--group G --model M | --path P | --all)
modeldl resume (--group G --model M | --path P | --all)
modeldl retry  (--group G --model M | --path P | --all-failed)

cancel stops a running transfer within a second and removes its partial file; the status stays
cancelled. pause keeps the partial file; resume and retry put models back in the queue.`

/**
 * cancel and pause change the queue without starting anything (a brief owner when none runs);
 * resume and retry want downloads to run, so they reach or start a background owner.
 */
export async function controlCommand(verb: ControlVerb, argv: string[], entry: Entrypoints): Promise<number> {
  const { values } = parseFlags({
    args: argv,
    options: { ...SELECTOR_OPTIONS, home: { type: 'string' }, json: { type: 'boolean' } },
  })
  const selector = selectorFrom(values, verb, verb === 'retry' ? ['all-failed'] : ['all'])
  const ctx = await cliContext(values.home ? { home: values.home } : {})
  const starts = verb === 'resume' || verb === 'retry'
  const session = starts
    ? await connectOrStartDaemon(ctx, entry.cli)
    : await ownOrConnect(ctx, entry.worker, { halted: true })
  try {
    const ids = await session.api[verb](selector)
    if (values.json) console.log(JSON.stringify({ [verb]: ids }))
    else console.error(ids.length ? `${verb}: ${ids.join(', ')}` : `${verb}: nothing to do`)
    return 0
  } finally {
    await session.close()
  }
}
