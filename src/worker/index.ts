// The transfer worker's entry: forked by a WorkerHost as an Electron utility process (the app) or a
// Node child process (the CLI and the tests). It streams S3 objects to disk with core/transfer.
import { batchingPort } from './batching-port'
import { connectToHost } from './port'
import { TransferWorker } from './transfer-worker'

const port = batchingPort(connectToHost())
const worker = new TransferWorker(port)
port.onMessage((message) => worker.handle(message))
// The host is gone: pause everything (keep `.part` files) rather than run on as an orphan.
port.onDisconnect(() => void worker.shutdown())
// Ctrl-C in a terminal reaches the whole process group: the host decides what it means (pause).
process.on('SIGINT', () => undefined)
process.on('SIGTERM', () => void worker.shutdown())
port.send({ type: 'ready', pid: process.pid })
