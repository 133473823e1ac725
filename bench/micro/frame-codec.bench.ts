// Micro-benchmark of the bridge frame codec (src/bridge/protocol.ts):
// FrameDecoder.push over a stream of host -> worker frames as they come off
// the Unix socket (whole 64 KiB reads, and odd 1000-byte reads that split
// frames), and encodeTextFrame for a typical REQUEST payload.
// Run: node dist/bench/micro/frame-codec.bench.js   (about 3 s)
import { FrameDecoder, FrameType, encodeFrame, encodeResponsePayload, encodeTextFrame, encodeU32Frame, type Frame } from '../../src/bridge/protocol';
import { measure } from './timing';

// A stream like the host sends under load: small one-frame responses
// (HEAD_END), a streamed response (HEAD + DATA x 3 + END) and WINDOW frames.
function hostStream(): { bytes: Buffer; frames: number } {
  const frames: Buffer[] = [];
  const hello = encodeResponsePayload('200 OK\0Content-Type\0text/plain\0Content-Length\x0013', Buffer.from('Hello, World!'));
  for (let s = 1; s <= 200; s++) {
    if (s % 20 === 0) {
      frames.push(encodeFrame(FrameType.HEAD, s, encodeResponsePayload('200 OK\0Content-Type\0text/plain', Buffer.alloc(4096, 97))));
      for (let i = 0; i < 3; i++) frames.push(encodeFrame(FrameType.DATA, s, Buffer.alloc(4096, 98)));
      frames.push(encodeFrame(FrameType.END, s));
    } else if (s % 10 === 0) {
      frames.push(encodeU32Frame(FrameType.WINDOW, s, 4096));
    } else {
      frames.push(encodeFrame(FrameType.HEAD_END, s, hello));
    }
  }
  return { bytes: Buffer.concat(frames), frames: frames.length };
}

function chunks(bytes: Buffer, size: number): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += size) out.push(bytes.subarray(i, i + size));
  return out;
}

function main(): void {
  const { bytes, frames } = hostStream();
  let seen = 0;
  const onFrame = (f: Frame): void => {
    seen += f.payload.length;
  };
  for (const size of [65536, 1000]) {
    const reads = chunks(bytes, size);
    const decoder = new FrameDecoder();
    measure(`FrameDecoder.push, ${size} B reads (${(bytes.length / 1024).toFixed(0)} KiB)`, frames, () => {
      for (const r of reads) decoder.push(r, onFrame);
      return seen;
    }, 800, 'frame');
  }
  const request =
    'GET\0/api/v1/items\0page=2&sort=name\0HTTP/1.1\x00127.0.0.1\x0054321\0www.example.com\x0080\0http\0' +
    '\0HTTP_HOST\0www.example.com\0HTTP_USER_AGENT\0Mozilla/5.0 (X11; Linux x86_64) bench/1.0' +
    '\0HTTP_ACCEPT\0application/json\0HTTP_ACCEPT_ENCODING\0gzip, deflate\0HTTP_CONNECTION\0keep-alive';
  let bytesOut = 0;
  measure(`encodeTextFrame, REQUEST (${request.length} B)`, 1000, () => {
    for (let i = 0; i < 1000; i++) bytesOut += encodeTextFrame(FrameType.REQUEST, i + 1, request).length;
    return bytesOut;
  }, 800);
  measure('encodeU32Frame, CREDIT', 1000, () => {
    for (let i = 0; i < 1000; i++) bytesOut += encodeU32Frame(FrameType.CREDIT, i + 1, 65536).length;
    return bytesOut;
  }, 400);
}

main();
