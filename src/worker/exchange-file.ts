// wsgi.file_wrapper over the bridge: the host sends FILE (path, offset,
// count), Node reads the file itself and writes it to the client, then
// answers FILE_DONE. The file's bytes never cross the bridge.
import * as fs from 'node:fs';
import type { FileRequest } from '../bridge/protocol';
import type { ResponseSink } from '../http/response-writer';
import { log } from '../log/logger';

const FILE_CHUNK = 256 * 1024;

export interface FileSendTarget {
  /** The response writer, or undefined once the connection no longer waits for this response. */
  writer(): ResponseSink | undefined;
  /** The application made progress (resets the app deadline). */
  progress(): void;
  /** The send ended: `ok` when every byte was handed to the writer. Called once. */
  done(ok: boolean): void;
}

/**
 * Starts sending the file; undefined when there is nothing to read (a count
 * of 0), in which case `target.done(true)` has already been called.
 */
export function sendFile(request: FileRequest, target: FileSendTarget): FileSend | undefined {
  if (request.count === 0) {
    target.done(true);
    return undefined;
  }
  return new FileSend(request, target);
}

/** One file being streamed to one response, paused while the client's socket is full. */
export class FileSend {
  private readonly file: fs.ReadStream;
  private finished = false;

  constructor(request: FileRequest, private readonly target: FileSendTarget) {
    const options: { start: number; end?: number; highWaterMark: number } = { start: request.offset, highWaterMark: FILE_CHUNK };
    if (request.count !== undefined) options.end = request.offset + request.count - 1;
    const file = fs.createReadStream(request.path, options);
    this.file = file;
    file.on('data', (chunk) => {
      const writer = target.writer();
      if (writer === undefined) return void file.destroy();
      target.progress();
      if (!writer.data(chunk as Buffer)) file.pause();
    });
    file.on('end', () => this.end(true));
    file.on('error', (err) => {
      log.error(`cannot send file ${request.path}: ${err.message}`);
      this.end(false);
    });
    file.on('close', () => this.end(false));
  }

  /** The client's socket has room again. */
  resume(): void {
    if (this.file.isPaused()) this.file.resume();
  }

  /** Stops reading (the response is abandoned). */
  destroy(): void {
    this.file.destroy();
  }

  private end(ok: boolean): void {
    if (this.finished) return;
    this.finished = true;
    this.target.done(ok);
  }
}
