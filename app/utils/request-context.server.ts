import type { AppLoadContext } from "@remix-run/node";

declare module "@remix-run/node" {
  /** Values the Express entry computes once per request for Remix. */
  interface AppLoadContext {
    requestId: string;
    /** Client address after applying TRUST_PROXY hops; never read it from headers. */
    clientIp: string;
    /** Base64 nonce that every script on the page must carry. */
    cspNonce: string;
  }
}

/** Origin details of a request, as recorded on sessions and audit events. */
export type RequestInfo = {
  requestId: string;
  ipAddress: string;
  userAgent: string | null;
};

const USER_AGENT_MAX_LENGTH = 512;

/** Returns the request ID, client address and user agent of a request. */
export function getRequestInfo(
  request: Request,
  context: AppLoadContext,
): RequestInfo {
  const userAgent = request.headers.get("user-agent");
  return {
    requestId: context.requestId,
    ipAddress: context.clientIp,
    userAgent: userAgent ? userAgent.slice(0, USER_AGENT_MAX_LENGTH) : null,
  };
}
