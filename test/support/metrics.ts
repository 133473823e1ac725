// The admin endpoint (--metrics-bind) from the tests' side: its port from the
// server's output, plain HTTP GETs, and Prometheus text parsed by the
// official parser (Debian's python3-prometheus-client), not by our own code.
import { execFile } from 'node:child_process';
import * as http from 'node:http';

/** The metrics port the supervisor logged at start-up. */
export function metricsPort(output: string): number {
  const match = /metrics at http:\/\/[^\s]+:(\d+)\/metrics/.exec(output);
  if (match === null) throw new Error(`no metrics address in the output:\n${output}`);
  return Number(match[1]);
}

export function fetchText(port: number, path: string): Promise<{ status: number; type: string; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type'] ?? ''), body }));
    });
    req.setTimeout(10_000, () => req.destroy(new Error(`GET ${path} timed out`)));
    req.on('error', reject);
  });
}

export interface Sample {
  readonly family: string;
  readonly type: string;
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

const PARSER = `
import json, sys
from prometheus_client.parser import text_string_to_metric_families
out = []
for family in text_string_to_metric_families(sys.stdin.read()):
    for s in family.samples:
        out.append({"family": family.name, "type": family.type, "name": s.name, "labels": s.labels, "value": s.value})
print(json.dumps(out))
`;

/** Every sample, as the official parser reads the text (it throws on malformed exposition). */
export function parseExposition(text: string): Promise<Sample[]> {
  return new Promise((resolve, reject) => {
    const child = execFile('/usr/bin/python3', ['-c', PARSER], { timeout: 20_000 }, (err, stdout, stderr) => {
      if (err !== null) return reject(new Error(`prometheus parser failed: ${stderr || err.message}`));
      resolve(JSON.parse(stdout) as Sample[]);
    });
    child.stdin?.end(text);
  });
}

/** The value of the one sample named `name` whose labels include `labels`; 0 when there is none. */
export function valueOf(samples: readonly Sample[], name: string, labels: Readonly<Record<string, string>> = {}): number {
  const found = samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  if (found.length > 1) throw new Error(`${found.length} samples match ${name} ${JSON.stringify(labels)}`);
  return found[0]?.value ?? 0;
}
