import { readdir, readFile } from "node:fs/promises";
import path from "node:path";

import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { prisma } from "~/utils/db.server";

import {
  registerAccount,
  STRONG_PASSWORD,
  TestClient,
} from "../support/client";
import { findFreePort, startApp, stopApp } from "../support/app-process";
import { createTestDatabase } from "../support/database";
import { createItemViaForm } from "../support/inventory";
import type { TestServer } from "../support/server";
import { generateSecret, startTestServer } from "../support/server";

let server: TestServer;
let victim: TestClient;
let otherUser: TestClient;
let itemId: string;

beforeAll(async () => {
  server = await startTestServer();
  victim = await registerAccount(server.baseUrl, {
    email: "victim@example.com",
  });
  otherUser = await registerAccount(server.baseUrl, {
    email: "other@example.com",
  });
  itemId = await createItemViaForm(victim, { name: "Camera" });
});

afterAll(async () => {
  await server.close();
});

/** Row counts of every table a form can change, plus the victim's item. */
async function databaseSnapshot() {
  return {
    users: await prisma.user.count(),
    sessions: await prisma.session.count(),
    households: await prisma.household.count(),
    memberships: await prisma.membership.count(),
    items: await prisma.item.count(),
    locations: await prisma.location.count(),
    auditEvents: await prisma.auditLog.count(),
    item: await prisma.item.findUnique({ where: { id: itemId } }),
  };
}

type Target = {
  name: string;
  path: string;
  /** The browser the attack rides on: signed in or a fresh visitor. */
  client: () => TestClient;
  fields: () => Record<string, string>;
};

const targets: Target[] = [
  {
    name: "sign-in",
    path: "/login",
    client: () => new TestClient(server.baseUrl),
    fields: () => ({ email: "victim@example.com", password: STRONG_PASSWORD }),
  },
  {
    name: "registration",
    path: "/register",
    client: () => new TestClient(server.baseUrl),
    fields: () => ({
      name: "Mallory",
      email: "mallory@example.com",
      password: STRONG_PASSWORD,
    }),
  },
  {
    name: "item creation",
    path: "/items/new",
    client: () => victim,
    fields: () => ({
      name: "Planted item",
      description: "",
      quantity: "1",
      locationId: "",
      tags: "",
    }),
  },
  {
    name: "item deletion",
    path: "/items/:id",
    client: () => victim,
    fields: () => ({ intent: "delete" }),
  },
  {
    name: "logout",
    path: "/logout",
    client: () => victim,
    fields: () => ({}),
  },
];

function targetPath(target: Target): string {
  return target.path.replace(":id", itemId);
}

/** Returns the page whose form carries the token for a target. */
function formPage(target: Target): string {
  return target.path === "/logout" ? "/items" : targetPath(target);
}

type Attack = {
  name: string;
  /** Sends the forged request through `client`. */
  send: (client: TestClient, target: Target) => Promise<Response>;
  /** Text the 403 page shows. */
  message: string;
};

const ORIGIN_MESSAGE = "Go back, reload the page and submit the form again.";
const TOKEN_MESSAGE =
  "This form has expired or did not come from Dokodo. Reload the page and submit it again.";

const attacks: Attack[] = [
  {
    name: "foreign Origin with a valid token",
    send: (client, target) =>
      client.postForm(targetPath(target), target.fields(), {
        origin: "https://evil.example",
      }),
    message: ORIGIN_MESSAGE,
  },
  {
    name: "Origin null",
    send: (client, target) =>
      client.postForm(targetPath(target), target.fields(), { origin: "null" }),
    message: ORIGIN_MESSAGE,
  },
  {
    name: "Sec-Fetch-Site cross-site",
    send: (client, target) =>
      client.postForm(targetPath(target), target.fields(), {
        origin: null,
        headers: { "sec-fetch-site": "cross-site" },
      }),
    message: ORIGIN_MESSAGE,
  },
  {
    name: "foreign Referer without Origin",
    send: (client, target) =>
      client.postForm(targetPath(target), target.fields(), {
        origin: null,
        headers: { referer: `https://evil.example${targetPath(target)}` },
      }),
    message: ORIGIN_MESSAGE,
  },
  {
    name: "neither Origin nor Referer",
    send: (client, target) =>
      client.postForm(targetPath(target), target.fields(), { origin: null }),
    message: ORIGIN_MESSAGE,
  },
  {
    name: "no token",
    send: (client, target) =>
      client.postForm(targetPath(target), target.fields(), { csrf: null }),
    message: TOKEN_MESSAGE,
  },
  {
    name: "wrong token",
    send: async (client, target) => {
      const token = await client.fetchCsrfToken(formPage(target));
      const [value, signature] = token.split(".");
      const forged = `${value!.slice(0, -2)}AA.${signature}`;
      return client.postForm(targetPath(target), target.fields(), {
        csrf: forged,
      });
    },
    message: TOKEN_MESSAGE,
  },
  {
    name: "another user's token",
    send: async (client, target) => {
      const token = await otherUser.fetchCsrfToken("/items");
      // Load the page first so the victim's browser has its own cookie.
      await client.fetchCsrfToken(formPage(target));
      return client.postForm(targetPath(target), target.fields(), {
        csrf: token,
      });
    },
    message: TOKEN_MESSAGE,
  },
];

describe("cross-site form posts", () => {
  for (const target of targets) {
    describe(target.name, () => {
      it.each(attacks.map((attack) => [attack.name, attack] as const))(
        "rejects %s",
        async (_name, attack) => {
          const before = await databaseSnapshot();
          const response = await attack.send(target.client(), target);
          expect(response.status).toBe(403);
          expect(response.headers.get("content-type")).toBe(
            "text/html; charset=utf-8",
          );
          expect(response.headers.get("set-cookie") ?? "").not.toContain(
            "dokodo_session=",
          );
          const body = await response.text();
          expect(body).toContain(attack.message);
          expect(body).toContain(
            `Request ID: <code>${response.headers.get("x-request-id")}</code>`,
          );
          expect(await databaseSnapshot()).toEqual(before);
        },
      );
    });
  }

  it("names the fix on the origin failure page", async () => {
    const response = await victim.postForm("/items/new", targets[2]!.fields(), {
      origin: "https://evil.example",
    });
    const body = await response.text();
    expect(body).toContain("<title>Form not accepted · Dokodo</title>");
    expect(body).toContain("Nothing was changed.");
    expect(body).toContain(`href="${server.baseUrl}/"`);
  });

  it("accepts a same-origin Referer without Origin", async () => {
    const client = new TestClient(server.baseUrl);
    const response = await client.postForm(
      "/login",
      { email: "victim@example.com", password: STRONG_PASSWORD },
      { origin: null, headers: { referer: `${server.baseUrl}/login` } },
    );
    expect(response.status).toBe(302);
  });

  // Runs last: the same requests with the victim's own token succeed, so
  // the rejections above come from the checks, not from broken forms.
  it("accepts each form from its own page", async () => {
    const visitor = new TestClient(server.baseUrl);
    expect(
      (await visitor.postForm("/login", targets[0]!.fields())).status,
    ).toBe(302);
    expect(
      (
        await new TestClient(server.baseUrl).postForm(
          "/register",
          targets[1]!.fields(),
        )
      ).status,
    ).toBe(302);
    expect(
      (await victim.postForm("/items/new", targets[2]!.fields())).status,
    ).toBe(302);
    expect(
      (await victim.postForm(`/items/${itemId}`, { intent: "delete" })).status,
    ).toBe(302);
    expect(await prisma.item.findUnique({ where: { id: itemId } })).toBeNull();
    const victimSessions = {
      where: { user: { email: "victim@example.com" } },
    };
    const sessionsBefore = await prisma.session.count(victimSessions);
    expect((await victim.postForm("/logout", {})).status).toBe(302);
    expect(await prisma.session.count(victimSessions)).toBe(sessionsBefore - 1);
  });
});

describe("CSRF token", () => {
  it("stays valid across open tabs", async () => {
    const client = await registerAccount(server.baseUrl, {
      email: "tabs@example.com",
    });
    const firstTab = await client.request("/items/new");
    const firstToken = (await firstTab.text()).match(
      /name="csrf" value="([^"]+)"/,
    )?.[1];
    const secondTab = await client.request("/locations/new");
    const secondToken = (await secondTab.text()).match(
      /name="csrf" value="([^"]+)"/,
    )?.[1];
    expect(firstToken).toBeTruthy();
    expect(secondToken).toBe(firstToken);
    expect(firstTab.headers.get("set-cookie")).toBeNull();
    expect(secondTab.headers.get("set-cookie")).toBeNull();

    const response = await client.postForm(
      "/items/new",
      { name: "From the first tab", quantity: "1" },
      { csrf: firstToken! },
    );
    expect(response.status).toBe(302);
  });

  it("is checked by every page action", async () => {
    const routesDir = path.resolve("app/routes");
    const files = (await readdir(routesDir)).filter(
      (file) => /\.tsx?$/.test(file) && !file.startsWith("api."),
    );
    const unchecked: string[] = [];
    for (const file of files) {
      const source = await readFile(path.join(routesDir, file), "utf8");
      if (!/export (async )?function action\b/.test(source)) continue;
      if (
        !/await readCheckedForm\(request(\.clone\(\))?\)/.test(source) &&
        !/await validateCsrf\(\w+(\.value)?, request\)/.test(source)
      ) {
        unchecked.push(file);
      }
    }
    expect(files.length).toBeGreaterThan(0);
    expect(unchecked).toEqual([]);
  });
});

async function honeypotFields(client: TestClient, page: string) {
  const { body } = await client.get(page);
  const validFrom = body.match(/name="from__confirm"[^>]*value="([^"]+)"/)?.[1];
  if (!validFrom) throw new Error(`No honeypot timestamp on ${page}`);
  return { validFrom, body };
}

describe("honeypot", () => {
  it("renders hidden fields on public forms", async () => {
    for (const page of ["/login", "/register"]) {
      const { body } = await honeypotFields(
        new TestClient(server.baseUrl),
        page,
      );
      expect(body).toMatch(
        /<div class="hidden" aria-hidden="true"><div id="name__confirm_wrap" style="display:none" aria-hidden="true">/,
      );
      expect(body).toContain('name="name__confirm"');
    }
  });

  it("rejects a filled field on registration", async () => {
    const client = new TestClient(server.baseUrl);
    const { validFrom } = await honeypotFields(client, "/register");
    const before = await databaseSnapshot();
    const response = await client.postForm("/register", {
      name: "Bot",
      email: "bot@example.com",
      password: STRONG_PASSWORD,
      name__confirm: "https://spam.example",
      from__confirm: validFrom,
    });
    expect(response.status).toBe(400);
    expect(await response.text()).toContain(
      "This form looked automated and was not accepted. Reload the page and submit it again.",
    );
    expect(await databaseSnapshot()).toEqual(before);
  });

  it("rejects a filled field on sign-in", async () => {
    const client = new TestClient(server.baseUrl);
    const { validFrom } = await honeypotFields(client, "/login");
    const before = await databaseSnapshot();
    const response = await client.postForm("/login", {
      email: "other@example.com",
      password: STRONG_PASSWORD,
      name__confirm: "x",
      from__confirm: validFrom,
    });
    expect(response.status).toBe(400);
    expect(response.headers.get("set-cookie") ?? "").not.toContain(
      "dokodo_session=",
    );
    expect(await databaseSnapshot()).toEqual(before);
  });

  it("rejects a forged timestamp", async () => {
    const client = new TestClient(server.baseUrl);
    const before = await databaseSnapshot();
    const response = await client.postForm("/register", {
      name: "Bot",
      email: "bot2@example.com",
      password: STRONG_PASSWORD,
      name__confirm: "",
      from__confirm: "U2FsdGVkX1+forged",
    });
    expect(response.status).toBe(400);
    expect(await databaseSnapshot()).toEqual(before);
  });

  it("accepts an empty field", async () => {
    const client = new TestClient(server.baseUrl);
    const { validFrom } = await honeypotFields(client, "/register");
    const response = await client.postForm("/register", {
      name: "Human",
      email: "human@example.com",
      password: STRONG_PASSWORD,
      name__confirm: "",
      from__confirm: validFrom,
    });
    expect(response.status).toBe(302);
    expect(
      await prisma.user.count({ where: { email: "human@example.com" } }),
    ).toBe(1);
  });
});

describe("SESSION_SECRET rotation", () => {
  it("accepts forms of a listed old secret", async () => {
    const databaseUrl = await createTestDatabase();
    const oldSecret = generateSecret();
    const newSecret = generateSecret();
    const port = await findFreePort();
    const client = new TestClient(`http://127.0.0.1:${port}`);
    const registration = (email: string, validFrom: string) => ({
      name: "Rotation",
      email,
      password: STRONG_PASSWORD,
      name__confirm: "",
      from__confirm: validFrom,
    });

    // A form rendered before the restart, signed with the old secret.
    const before = await startApp(
      { DATABASE_URL: databaseUrl, SESSION_SECRET: oldSecret },
      port,
    );
    let validFrom: string;
    let csrf: string;
    try {
      validFrom = (await honeypotFields(client, "/register")).validFrom;
      csrf = await client.fetchCsrfToken("/register");
    } finally {
      expect(await stopApp(before)).toBe(0);
    }

    const rotated = await startApp(
      {
        DATABASE_URL: databaseUrl,
        SESSION_SECRET: `${newSecret},${oldSecret}`,
      },
      port,
    );
    try {
      const response = await client.postForm(
        "/register",
        registration("rotated@example.com", validFrom),
        { csrf },
      );
      expect(response.status, await response.clone().text()).toBe(302);
      expect(response.headers.get("location")).toBe("/check-email");
    } finally {
      expect(await stopApp(rotated)).toBe(0);
    }

    // Once the old secret is dropped, its forms are rejected.
    const dropped = await startApp(
      { DATABASE_URL: databaseUrl, SESSION_SECRET: newSecret },
      port,
    );
    try {
      const response = await client.postForm(
        "/register",
        registration("dropped@example.com", validFrom),
        { csrf },
      );
      expect(response.status).toBe(403);
      expect(await response.text()).toContain(TOKEN_MESSAGE);

      // A fresh CSRF token passes, and the old honeypot timestamp alone
      // is rejected.
      const fresh = new TestClient(`http://127.0.0.1:${port}`);
      const honeypotOnly = await fresh.postForm(
        "/register",
        registration("honeypot@example.com", validFrom),
      );
      expect(honeypotOnly.status).toBe(400);
      expect(await honeypotOnly.text()).toContain(
        "This form looked automated and was not accepted. Reload the page and submit it again.",
      );
    } finally {
      expect(await stopApp(dropped)).toBe(0);
    }
  }, 180_000);
});
