/**
 * `scrape_failure_log_file` for the local runner: every failed scrape of a job that names a file
 * appends one JSON line to it, in the shape Prometheus writes (`time`, `level`, `source`, `msg`
 * = the error, `target` = the scrape URL). Files are opened for append on first use (created
 * with mode 0666 before the umask, as Prometheus does), shared by jobs naming the same path, and
 * kept open until {@link ScrapeFailureLog.close}. A file that cannot be opened or written is
 * reported once through `onError` and then skipped: a failure log never stops a scrape.
 *
 * The Lambda deployment has no file to write: its scraper logs one line per scrape, failed
 * ones with the error, in the function's log (docs/compatibility.md).
 */
import { createWriteStream, type WriteStream } from 'node:fs';

export class ScrapeFailureLog {
  private readonly files = new Map<string, WriteStream>();
  private readonly broken = new Set<string>();

  constructor(
    private readonly onError: (path: string, err: unknown) => void,
    private readonly now: () => number = Date.now,
  ) {}

  /** Appends the failure of one scrape of `targetUrl` to `path` ('' = the job logs none). */
  record(path: string, targetUrl: string, error: string): void {
    if (path === '' || this.broken.has(path)) return;
    const line = JSON.stringify({
      time: new Date(this.now()).toISOString(),
      level: 'ERROR',
      source: 'scrape',
      msg: error,
      target: targetUrl,
    });
    this.file(path).write(`${line}\n`);
  }

  /** Closes the files no job names any more (after a reload), or all of them. */
  async close(keep: ReadonlySet<string> = new Set()): Promise<void> {
    const closing: Promise<void>[] = [];
    for (const [path, stream] of this.files) {
      if (keep.has(path)) continue;
      this.files.delete(path);
      closing.push(new Promise((resolve) => stream.end(resolve)));
    }
    await Promise.all(closing);
  }

  private file(path: string): WriteStream {
    let stream = this.files.get(path);
    if (stream === undefined) {
      stream = createWriteStream(path, { flags: 'a', mode: 0o666 });
      stream.on('error', (err) => {
        this.broken.add(path);
        this.files.delete(path);
        this.onError(path, err);
      });
      this.files.set(path, stream);
    }
    return stream;
  }
}
