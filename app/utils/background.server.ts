import { logger } from "./logger.server";
import { singleton } from "./singleton.server";

const tasks = singleton("backgroundTasks", () => new Set<Promise<void>>());

/**
 * Starts `work` without waiting for it, so a response can go out first. A
 * failure is logged with the task name and never reaches the request.
 */
export function runInBackground(name: string, work: () => Promise<void>): void {
  const task: Promise<void> = work()
    .catch((error: unknown) => {
      logger.error(
        { event: "background.failed", task: name, err: error },
        "background task failed",
      );
    })
    .finally(() => {
      tasks.delete(task);
    });
  tasks.add(task);
}

/**
 * Waits until every background task, including any started while waiting,
 * has finished. Shutdown and tests call it.
 */
export async function settleBackgroundTasks(): Promise<void> {
  while (tasks.size > 0) {
    await Promise.allSettled([...tasks]);
  }
}
