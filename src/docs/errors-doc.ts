// Renders docs/errors.md from the error-code registry (src/errors.ts), so the
// list of codes a user can meet in the log cannot drift from the code.
// Run as a script (`npm run docs`) it prints the document.
import { HTTP_ERRORS, STARTUP_ERRORS, WORKER_ERRORS, type ErrorInfo } from '../errors';

const SECTIONS: ReadonlyArray<[string, string, Readonly<Record<string, ErrorInfo>>]> = [
  ['Requests refused by the parser', 'Logged at INFO with the client address; the client gets a short canned response with the status (400, 413, 414, 431, 501 or 505) and the connection is closed.', HTTP_ERRORS],
  ['Exchanges that failed', 'Logged at ERROR (WARNING for overload) by the worker that handled the connection.', WORKER_ERRORS],
  ['Startup and configuration', 'Printed as one line on stderr; the server exits non-zero before it binds the port (see README: exit codes).', STARTUP_ERRORS],
];

export function renderErrorsDoc(): string {
  let out = '# Error codes\n\nGenerated from `src/errors.ts` by `npm run docs`; a test fails if this file is out of date.\n';
  for (const [title, intro, codes] of SECTIONS) {
    out += `\n## ${title}\n\n${intro}\n\n| code | meaning |\n|---|---|\n`;
    for (const info of Object.values(codes)) out += `| \`${info.code}\` | ${info.message} |\n`;
  }
  return out;
}

if (require.main === module) process.stdout.write(renderErrorsDoc());
