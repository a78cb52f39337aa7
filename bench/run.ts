// npm run bench [-- [name] [options]]: runs the benchmarks in bench/ one
// after another, each in its own Node process, in file name order. With a
// name as the first argument, such as `csv` or `throttle`, only that one
// runs. Every other argument goes to each benchmark run.
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));
const RUNNER = path.basename(fileURLToPath(import.meta.url));

const available = readdirSync(BENCH_DIR)
  .filter((file) => file.endsWith(".ts") && file !== RUNNER)
  .map((file) => file.slice(0, -".ts".length))
  .sort();

const [first, ...rest] = process.argv.slice(2);
let selected = available;
let args = process.argv.slice(2);
if (first !== undefined && !first.startsWith("-")) {
  if (!available.includes(first)) {
    console.error(
      `Unknown benchmark "${first}". Choose one of: ${available.join(", ")}.`,
    );
    process.exit(2);
  }
  selected = [first];
  args = rest;
}

for (const name of selected) {
  console.log(`\n== bench/${name}.ts ==`);
  const result = spawnSync(
    process.execPath,
    ["--import", "tsx", path.join(BENCH_DIR, `${name}.ts`), ...args],
    { stdio: "inherit" },
  );
  if (result.status !== 0) {
    console.error(
      `bench/${name}.ts failed with exit code ${result.status ?? result.signal}.`,
    );
    process.exit(result.status ?? 1);
  }
}
