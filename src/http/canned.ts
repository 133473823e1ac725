// Pre-encoded error responses the connection writes itself, before or instead
// of the application (protocol errors, timeouts, overload, a dead host).
// Bodies are generic: nothing about the failure reaches the client.
import { httpDate } from './date';

const REASONS: Readonly<Record<number, string>> = {
  400: 'Bad Request',
  408: 'Request Timeout',
  413: 'Content Too Large',
  414: 'URI Too Long',
  431: 'Request Header Fields Too Large',
  500: 'Internal Server Error',
  501: 'Not Implemented',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
  505: 'HTTP Version Not Supported',
};

export function reasonPhrase(status: number): string {
  return REASONS[status] ?? 'Error';
}

/** The length of the body `cannedResponse(status, ...)` sends (for the access log). */
export function cannedBodyLength(status: number): number {
  return `${status} ${reasonPhrase(status)}\n`.length;
}

/** A complete response with a short text body; `close` adds `Connection: close`. */
export function cannedResponse(status: number, close: boolean, serverName: string): Buffer {
  const reason = reasonPhrase(status);
  const body = `${status} ${reason}\n`;
  return Buffer.from(
    `HTTP/1.1 ${status} ${reason}\r\n` +
      `Server: ${serverName}\r\n` +
      `Date: ${httpDate()}\r\n` +
      'Content-Type: text/plain; charset=utf-8\r\n' +
      `Content-Length: ${body.length}\r\n` +
      (close ? 'Connection: close\r\n' : '') +
      '\r\n' +
      body,
    'latin1',
  );
}

export const CONTINUE_100 = Buffer.from('HTTP/1.1 100 Continue\r\n\r\n', 'latin1');
