/// <reference types="@remix-run/dev" />
/// <reference types="@remix-run/node" />

import "@remix-run/node";

declare module "@remix-run/node" {
  // Types loader and action data as single fetch serializes it.
  interface Future {
    v3_singleFetch: true;
  }
}
