// A small entry bin/modeldl.js loads first for `modeldl get`: it forks the transfer worker before
// the CLI bundle loads (see core/worker-prefork). It must stay small: it runs before everything else.
import { preforkWorker } from '../core/worker-prefork'
import workerEntry from './index?modulePath'

preforkWorker(workerEntry)
