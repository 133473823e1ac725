// A worker process: forked by the supervisor (child_process.fork), configured over IPC.
// A separate entry from src/main.ts so that a worker loads only what it runs:
// the configuration loader and its YAML parser alone would add 8 MB of RSS.
import { runWorkerProcess } from './entry';

runWorkerProcess();
