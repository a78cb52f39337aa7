import { createContext, useContext } from "react";

const NonceContext = createContext("");

/** Supplies the response's CSP nonce to the components that render scripts. */
export const NonceProvider = NonceContext.Provider;

/**
 * Returns the CSP nonce on the server and an empty string in the browser,
 * which hides nonce attributes from scripts once the page has loaded.
 */
export function useNonce(): string {
  return useContext(NonceContext);
}
