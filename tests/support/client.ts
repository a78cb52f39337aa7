/**
 * A minimal browser for HTTP-level tests: it keeps cookies, sends the Origin
 * header a browser would send, and reads the CSRF token from forms, so tests
 * drive the app through the same plain HTML forms users submit.
 */
export class TestClient {
  private readonly cookies = new Map<string, string>();

  constructor(readonly baseUrl: string) {}

  /** Returns the cookie header value this client would send. */
  cookieHeader(): string {
    return [...this.cookies]
      .map(([name, value]) => `${name}=${value}`)
      .join("; ");
  }

  /** Returns the value of one stored cookie, if any. */
  getCookie(name: string): string | undefined {
    return this.cookies.get(name);
  }

  private storeCookies(response: Response): void {
    for (const header of response.headers.getSetCookie()) {
      const [pair] = header.split(";");
      const separator = pair!.indexOf("=");
      const name = pair!.slice(0, separator).trim();
      const value = pair!.slice(separator + 1).trim();
      const expired =
        /max-age=0/i.test(header) || /expires=Thu, 01 Jan 1970/i.test(header);
      if (expired || value === "") this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  /** Sends a request without following redirects. */
  async request(path: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    if (this.cookies.size > 0 && !headers.has("cookie")) {
      headers.set("cookie", this.cookieHeader());
    }
    const response = await fetch(new URL(path, this.baseUrl), {
      ...init,
      headers,
      redirect: "manual",
    });
    this.storeCookies(response);
    return response;
  }

  /** GETs a page and returns the response with its body text. */
  async get(path: string): Promise<{ response: Response; body: string }> {
    const response = await this.request(path);
    return { response, body: await response.text() };
  }

  /**
   * Returns the CSRF token embedded in the forms of `path`, or of /login or
   * /items (whose header has the sign-out form) when `path` has none.
   */
  async fetchCsrfToken(path = "/login"): Promise<string> {
    for (const candidate of [path, "/login", "/items"]) {
      const { body } = await this.get(candidate);
      const match = body.match(/name="csrf" value="([^"]+)"/);
      if (match) return match[1]!;
    }
    throw new Error(`No CSRF field on ${path}, /login or /items`);
  }

  /**
   * POSTs form fields the way a browser submits a same-origin form: with the
   * page's CSRF token (unless `csrf` is given) and this site's Origin.
   */
  async postForm(
    path: string,
    fields: Record<string, string | string[]>,
    options: {
      csrf?: string | null;
      origin?: string | null;
      headers?: HeadersInit;
    } = {},
  ): Promise<Response> {
    const body = new URLSearchParams();
    for (const [name, value] of Object.entries(fields)) {
      for (const item of Array.isArray(value) ? value : [value]) {
        body.append(name, item);
      }
    }
    const csrf =
      options.csrf === undefined
        ? await this.fetchCsrfToken(pagePath(path))
        : options.csrf;
    if (csrf !== null) body.set("csrf", csrf);

    const headers = new Headers(options.headers);
    headers.set("content-type", "application/x-www-form-urlencoded");
    const origin =
      options.origin === undefined
        ? new URL(this.baseUrl).origin
        : options.origin;
    if (origin !== null) headers.set("origin", origin);
    return this.request(path, { method: "POST", body, headers });
  }
}

/** Returns the page whose form posts to `path`: the path without its query. */
function pagePath(path: string): string {
  return new URL(path, "http://x").pathname;
}

export const STRONG_PASSWORD = "Correct-Horse-42-battery";

/**
 * Registers an account through the form, then signs in through /login
 * (registration itself creates no session), and returns the signed-in
 * client. The address stays unverified.
 */
export async function registerAccount(
  baseUrl: string,
  account: { name?: string; email: string; password?: string },
): Promise<TestClient> {
  const client = new TestClient(baseUrl);
  const password = account.password ?? STRONG_PASSWORD;
  const response = await client.postForm("/register", {
    name: account.name ?? "Test User",
    email: account.email,
    password,
  });
  if (
    response.status !== 302 ||
    response.headers.get("location") !== "/check-email"
  ) {
    throw new Error(
      `Registration failed with ${response.status}: ${await response.text()}`,
    );
  }
  const signIn = await client.postForm("/login", {
    email: account.email,
    password,
  });
  if (signIn.status !== 302) {
    throw new Error(
      `Sign-in after registration failed with ${signIn.status}: ${await signIn.text()}`,
    );
  }
  return client;
}
