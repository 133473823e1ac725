// examples/deploy/kubernetes.yaml: its numbers agree with each other and its
// command line is a valid yimmo-wsgi configuration (--check-config). There
// is no cluster here: what runs is the server's own validation.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { parseAllDocuments } from 'yaml';
import { PYTHON, runCli } from '../support/server';
import { repoPath } from '../support/repo';

interface Container {
  command: string[];
  args: string[];
  ports: { name: string; containerPort: number }[];
  lifecycle: { preStop: { exec: { command: string[] } } };
  startupProbe: { tcpSocket: { port: string } };
  readinessProbe: { httpGet: { port: string } };
  livenessProbe: { tcpSocket: { port: string } };
}

const docs = parseAllDocuments(fs.readFileSync(repoPath('examples', 'deploy', 'kubernetes.yaml'), 'utf8')).map((d) => d.toJS() as Record<string, unknown>);
const deployment = docs.find((d) => d['kind'] === 'Deployment') as { spec: { template: { spec: { terminationGracePeriodSeconds: number; containers: Container[] } } } };
const pod = deployment.spec.template.spec;
const web = pod.containers[0] as Container;
const flag = (name: string): string => (web.args.find((a) => a.startsWith(`--${name}=`)) ?? '').split('=')[1] ?? '';

test('terminationGracePeriodSeconds outlasts the preStop sleep plus --graceful-timeout', () => {
  const [sleep, seconds] = web.lifecycle.preStop.exec.command;
  assert.equal(sleep, 'sleep');
  const graceful = Number(flag('graceful-timeout'));
  assert.ok(graceful > 0);
  assert.ok(pod.terminationGracePeriodSeconds > Number(seconds) + graceful, `${pod.terminationGracePeriodSeconds} <= ${seconds} + ${graceful}`);
});

test('the probes and the Service target the port yimmo-wsgi binds', () => {
  const port = Number(flag('bind').split(':').pop());
  const http = web.ports.find((p) => p.name === 'http');
  assert.equal(http?.containerPort, port);
  for (const probe of [web.startupProbe.tcpSocket, web.readinessProbe.httpGet, web.livenessProbe.tcpSocket]) assert.equal(probe.port, 'http');
  const metrics = web.ports.find((p) => p.name === 'metrics');
  assert.equal(metrics?.containerPort, Number(flag('metrics-bind').split(':').pop()));
});

test('the container\'s command line is a valid configuration (yimmo-wsgi --check-config)', async () => {
  assert.deepEqual(web.command, ['yimmo-wsgi']);
  const r = await runCli(['--python', PYTHON, ...web.args, '--check-config']);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  assert.match(r.stdout, /--bind\s+"0\.0\.0\.0:8000"\s+\(command line\)/);
  assert.match(r.stdout, /--no-proc\s+2/);
});
