// --reload: watches files for changes by polling their mtime and size (no
// inotify: editors that save by renaming, network and container mounts all
// show up in a stat), and calls back once the changes have settled, so a
// "save all" of many files makes one reload.
import * as fs from 'node:fs';

const POLL_MS = 250;

/** A file's state: mtime and size, or 'missing' (watched for its creation). */
function signature(file: string): string {
  try {
    const st = fs.statSync(file);
    return `${st.mtimeMs}:${st.size}`;
  } catch {
    return 'missing';
  }
}

export class CodeWatcher {
  private readonly seen = new Map<string, string>();
  private readonly changed = new Set<string>();
  private lastChangeAt = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    /** Called with the files that changed, once none has changed for `settleMs`. */
    private readonly onChange: (files: readonly string[]) => void,
    private readonly settleMs = 300,
  ) {}

  /** Adds files to watch; a file already watched keeps its last known state. */
  watch(files: Iterable<string>): void {
    for (const file of files) if (!this.seen.has(file)) this.seen.set(file, signature(file));
  }

  get watched(): number {
    return this.seen.size;
  }

  start(): void {
    this.timer ??= setInterval(() => this.poll(Date.now()), POLL_MS);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** One round of stats (public for the tests, which drive it with their own clock). */
  poll(now: number): void {
    for (const [file, before] of this.seen) {
      const after = signature(file);
      if (after === before) continue;
      this.seen.set(file, after);
      this.changed.add(file);
      this.lastChangeAt = now;
    }
    if (this.changed.size > 0 && now - this.lastChangeAt >= this.settleMs) {
      const files = [...this.changed];
      this.changed.clear();
      this.onChange(files);
    }
  }
}
