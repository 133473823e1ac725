// Shared loop for the micro-benchmarks: warm up, then repeat a batch until the
// time budget is spent, and print nanoseconds per operation.

/** Runs `batch` (which performs `opsPerBatch` operations) for about `budgetMs`; prints and returns ns/op. */
export function measure(name: string, opsPerBatch: number, batch: () => unknown, budgetMs = 400, unit = 'op'): number {
  let sink: unknown;
  const warmUntil = Date.now() + budgetMs / 4;
  while (Date.now() < warmUntil) sink = batch();
  let batches = 0;
  const t0 = process.hrtime.bigint();
  let elapsed = 0;
  while (elapsed < budgetMs * 1e6) {
    sink = batch();
    batches++;
    elapsed = Number(process.hrtime.bigint() - t0);
  }
  const ns = elapsed / (batches * opsPerBatch);
  if (sink === Symbol.for('never')) console.log(sink); // keeps `sink` alive
  console.log(`${name.padEnd(44)} ${ns.toFixed(ns < 100 ? 1 : 0).padStart(8)} ns/${unit}`);
  return ns;
}
