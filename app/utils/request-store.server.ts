import { AsyncLocalStorage } from "node:async_hooks";

import { singleton } from "./singleton.server";

/** Per-request values that log lines pick up without being passed around. */
export type RequestStore = {
  requestId: string;
  userId?: string;
};

export const requestStorage = singleton(
  "requestStorage",
  () => new AsyncLocalStorage<RequestStore>(),
);

/** Records the signed-in user on the current request's log context. */
export function setRequestUserId(userId: string): void {
  const store = requestStorage.getStore();
  if (store) store.userId = userId;
}
