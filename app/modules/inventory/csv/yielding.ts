// Long CSV imports run on the server's only JavaScript thread. So the work
// on 50,000 rows checks the clock every ROWS_PER_PAUSE_POINT rows, and after
// PAUSE_AFTER_MS of work it waits for the next turn of the event loop. Other
// requests, such as health checks and page loads, run in between.
import { setImmediate } from "node:timers/promises";

/** Rows processed between two points where a long-running step may pause. */
export const ROWS_PER_PAUSE_POINT = 100;

/** Milliseconds of work after which a step pauses at its next pause point. */
export const PAUSE_AFTER_MS = 10;

/** Waits until the event loop has run the I/O callbacks that are due. */
export function waitForNextTurn(): Promise<void> {
  return setImmediate();
}

/**
 * Returns a function to call at each pause point. It waits for the next
 * turn of the event loop when PAUSE_AFTER_MS have passed since the last
 * wait, and otherwise returns at once.
 */
export function createPauser(): () => Promise<void> {
  let busySince = performance.now();
  return async () => {
    if (performance.now() - busySince < PAUSE_AFTER_MS) return;
    await waitForNextTurn();
    busySince = performance.now();
  };
}

/**
 * Runs a generator to its end without pausing. A step written as a
 * generator yields at its pause points, so one body serves both the
 * synchronous and the pausing caller.
 */
export function runToEnd<T>(steps: Generator<void, T>): T {
  for (;;) {
    const next = steps.next();
    if (next.done) return next.value;
  }
}

/** Runs a generator to its end and pauses at its yields as createPauser does. */
export async function runPausing<T>(steps: Generator<void, T>): Promise<T> {
  const pause = createPauser();
  for (;;) {
    const next = steps.next();
    if (next.done) return next.value;
    await pause();
  }
}

/**
 * Returns a function to call once per row. Every ROWS_PER_PAUSE_POINT
 * calls it pauses as createPauser does.
 */
export function createRowPause(): () => Promise<void> {
  const pause = createPauser();
  let rows = 0;
  return async () => {
    rows += 1;
    if (rows % ROWS_PER_PAUSE_POINT === 0) await pause();
  };
}
