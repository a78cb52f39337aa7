import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { captureLogs } from "../support/logs";
import type { TestServer } from "../support/server";
import { startTestServer } from "../support/server";

const ENDPOINT = "/api/v1/auth/password-strength";
const SECRET_PASSWORD = "Zebra-Kettle-Mango-7!";

let server: TestServer;
let logLines: string[];

beforeAll(async () => {
  logLines = captureLogs();
  server = await startTestServer();
});

afterAll(async () => {
  await server.close();
});

function post(body: unknown, contentType = "application/json") {
  return fetch(`${server.baseUrl}${ENDPOINT}`, {
    method: "POST",
    headers: { "content-type": contentType },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}

describe("POST /api/v1/auth/password-strength", () => {
  it("rates a strong password", async () => {
    const response = await post({ password: SECRET_PASSWORD });
    expect(response.status).toBe(200);
    // The /api/v1 middleware sets no-store on every API response.
    expect(response.headers.get("cache-control")).toBe("no-store");
    expect(await response.json()).toEqual({
      score: 4,
      label: "Very strong",
      rules: [
        { id: "minLength", met: true },
        { id: "maxBytes", met: true },
        { id: "upperCase", met: true },
        { id: "lowerCase", met: true },
        { id: "digit", met: true },
        { id: "symbol", met: true },
        { id: "notPersonal", met: true },
        { id: "noSequence", met: true },
        { id: "noRepeat", met: true },
        { id: "strength", met: true },
      ],
      suggestions: [],
    });
  });

  it("rates a common password", async () => {
    const body = (await (await post({ password: "password123" })).json()) as {
      score: number;
      label: string;
      rules: { id: string; met: boolean }[];
      suggestions: string[];
    };
    expect(body.score).toBe(0);
    expect(body.label).toBe("Very weak");
    expect(
      body.rules.filter((rule) => !rule.met).map((rule) => rule.id),
    ).toEqual(["upperCase", "symbol", "strength"]);
    expect(body.suggestions.length).toBeGreaterThan(0);
  });

  it("uses email and name as context", async () => {
    const body = (await (
      await post({
        password: "Lovelace-Kettle-93!",
        email: "ada@example.com",
        name: "Ada Lovelace",
      })
    ).json()) as { rules: { id: string; met: boolean }[] };
    expect(body.rules.find((rule) => rule.id === "notPersonal")).toEqual({
      id: "notPersonal",
      met: false,
    });
  });

  it.each([
    [{}, "password", "password is required"],
    [{ password: 42 }, "password", "password must be a string"],
    [
      { password: "x".repeat(257) },
      "password",
      "password must be at most 256 characters",
    ],
    [{ password: "ok", email: 7 }, "email", "email must be a string"],
    [
      { password: "ok", name: "n".repeat(101) },
      "name",
      "name must be at most 100 characters",
    ],
    [[], "body", "body must be a JSON object"],
    ["{not json", "body", "body is not valid JSON"],
  ])("answers 400 for %j", async (payload, field, message) => {
    const response = await post(payload);
    expect(response.status).toBe(400);
    const body = (await response.json()) as Record<string, unknown>;
    expect(body.field).toBe(field);
    expect(body.error).toBe(message);
    expect(body.requestId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("answers 415 for XML bodies", async () => {
    const response = await post("<password>x</password>", "application/xml");
    expect(response.status).toBe(415);
  });

  it("answers 405 for GET", async () => {
    const response = await fetch(`${server.baseUrl}${ENDPOINT}`);
    expect(response.status).toBe(405);
    expect(response.headers.get("allow")).toBe("POST");
  });

  it("logs no password", () => {
    expect(logLines.some((line) => line.includes(ENDPOINT))).toBe(true);
    expect(logLines.join("")).not.toContain(SECRET_PASSWORD);
    expect(logLines.join("")).not.toContain("Lovelace-Kettle-93!");
  });
});
