import { createContext, useContext } from "react";

const RequestIdContext = createContext<string | null>(null);

/** Supplies the ID of the request that renders the document, on the server. */
export const RequestIdProvider = RequestIdContext.Provider;

/**
 * Returns the ID of the request that rendered this document. The server
 * reads it from context and the browser from the `request-id` meta tag the
 * server rendered, so hydration gets the same value. Error pages use it when
 * the root loader failed and its data has no request ID.
 */
export function useDocumentRequestId(): string | null {
  const fromServer = useContext(RequestIdContext);
  if (fromServer !== null || typeof document === "undefined") {
    return fromServer;
  }
  const meta = document.querySelector<HTMLMetaElement>(
    'meta[name="request-id"]',
  );
  return meta?.content || null;
}
