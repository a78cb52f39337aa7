import { beforeAll, describe, expect, it } from "vitest";

import { ConfigError, parseEnv } from "~/utils/env.server";
import type {
  PasswordPolicy,
  PasswordRuleId,
  StrengthEstimator,
} from "~/utils/password-policy";
import {
  containsRepeat,
  containsSequence,
  contextWords,
  createPasswordSchema,
  evaluatePassword,
  loadStrengthEstimator,
  utf8ByteLength,
} from "~/utils/password-policy";

const CONTEXT = { email: "ada.lovelace@example.com", name: "Ada Lovelace" };

/** 16 ASCII bytes with upper and lower case, digits and a symbol. */
const ASCII_BASE = "Kettle-Mango-93!";
/** 28 distinct Greek letters out of alphabet order: 56 bytes. */
const GREEK = "θωκαρζμδψεολγπνυβξχιτσηφΔΣΩΛ";
/** 14 distinct emoji: 56 bytes. */
const EMOJI = "🐙🦊🐢🦉🐝🦀🐳🦋🐌🦔🐧🦓🐍🦜";

let estimator: StrengthEstimator;

beforeAll(async () => {
  estimator = await loadStrengthEstimator();
});

function unmetRules(
  password: string,
  policy: PasswordPolicy,
): PasswordRuleId[] {
  return evaluatePassword(password, { policy, context: CONTEXT, estimator })
    .rules.filter((rule) => !rule.met)
    .map((rule) => rule.id);
}

function schemaMessages(password: string, policy: PasswordPolicy): string[] {
  const result = createPasswordSchema({
    policy,
    context: CONTEXT,
    estimator,
  }).safeParse(password);
  return result.success
    ? []
    : result.error.issues.map((issue) => issue.message);
}

describe("multibyte fixtures", () => {
  it("have the byte lengths the cases rely on", () => {
    expect(utf8ByteLength(`${ASCII_BASE}${GREEK}`)).toBe(72);
    expect(utf8ByteLength(`${ASCII_BASE}${EMOJI}`)).toBe(72);
    expect(containsSequence(GREEK)).toBe(false);
    expect(containsRepeat(GREEK)).toBe(false);
  });
});

describe.each<{
  policy: PasswordPolicy;
  cases: { password: string; unmet: PasswordRuleId[]; why: string }[];
}>([
  {
    policy: "default",
    cases: [
      { password: "Correct-Horse-42-battery", unmet: [], why: "strong" },
      { password: `${ASCII_BASE}${GREEK}`, unmet: [], why: "72 bytes, Greek" },
      { password: `${ASCII_BASE}${EMOJI}`, unmet: [], why: "72 bytes, emoji" },
      {
        password: `${ASCII_BASE}${GREEK}x`,
        unmet: ["maxBytes"],
        why: "73 bytes, Greek",
      },
      {
        password: `${ASCII_BASE}${EMOJI}x`,
        unmet: ["maxBytes"],
        why: "73 bytes, emoji",
      },
      {
        password: "password123",
        unmet: ["upperCase", "symbol", "strength"],
        why: "common password",
      },
      {
        password: "Password1!",
        unmet: ["strength"],
        why: "common with composition",
      },
      {
        password: "Aa1!aaaaaa",
        unmet: ["noRepeat", "strength"],
        why: "repeat",
      },
      {
        password: "ada.lovelace@example.com!1A",
        unmet: ["notPersonal", "strength"],
        why: "email with a suffix",
      },
      { password: "Lovelace-Kettle-93!", unmet: ["notPersonal"], why: "name" },
      {
        password: "Dokodo-Kettle-93!",
        unmet: ["notPersonal"],
        why: "product name",
      },
      {
        password: "Kettle-abcd-93!Zq",
        unmet: ["noSequence"],
        why: "letter run",
      },
      {
        password: "Zebra-4321-Kettle!",
        unmet: ["noSequence"],
        why: "digit run",
      },
      {
        password: "Qwer-Mango-93!kettle",
        unmet: ["noSequence"],
        why: "keyboard row",
      },
      {
        password: "Mango-ababab-93!Z",
        unmet: ["noRepeat"],
        why: "repeated group",
      },
      {
        password: "Kettle93!",
        unmet: ["minLength", "strength"],
        why: "9 characters",
      },
      {
        password: "kettle-mango-sofa-lamp",
        unmet: ["upperCase", "digit"],
        why: "no composition",
      },
    ],
  },
  {
    policy: "nist",
    cases: [
      { password: "Correct-Horse-42-battery", unmet: [], why: "strong" },
      {
        password: "correct horse battery staple",
        unmet: [],
        why: "no composition needed",
      },
      { password: "Kettle-Mango-7!", unmet: [], why: "exactly 15 characters" },
      {
        password: "Kettle-Mango-7",
        unmet: ["minLength"],
        why: "14 characters",
      },
      { password: `${ASCII_BASE}${GREEK}`, unmet: [], why: "72 bytes, Greek" },
      {
        password: `${ASCII_BASE}${EMOJI}x`,
        unmet: ["maxBytes"],
        why: "73 bytes, emoji",
      },
      {
        password: "password123",
        unmet: ["minLength", "strength"],
        why: "common password",
      },
      {
        password: "passwordpassword",
        unmet: ["strength"],
        why: "common word twice",
      },
      {
        password: "Aa1!aaaaaaaaaaaaaa",
        unmet: ["noRepeat", "strength"],
        why: "repeat",
      },
      {
        password: "ada.lovelace@example.com!1A",
        unmet: ["notPersonal", "strength"],
        why: "email with a suffix",
      },
      {
        password: "my dokodo inventory list",
        unmet: ["notPersonal"],
        why: "product name",
      },
      {
        password: "lamp 12345 sofa kettle",
        unmet: ["noSequence"],
        why: "digit run",
      },
    ],
  },
])("$policy policy", ({ policy, cases }) => {
  it.each(cases)("$why: $password", ({ password, unmet }) => {
    expect(unmetRules(password, policy)).toEqual(unmet);
    expect(schemaMessages(password, policy)).toHaveLength(unmet.length);
  });
});

describe("rule messages", () => {
  it("name the unmet rules of password123", () => {
    const messages = schemaMessages("password123", "default");
    expect(messages).toEqual([
      "Add an upper-case letter.",
      "Add a symbol such as ! or #.",
      "Choose a harder-to-guess password: its strength is 0 of 4 and must be at least 3. This is a commonly used password.",
    ]);
  });

  it("name the repeat in Aa1!aaaaaa", () => {
    const messages = schemaMessages("Aa1!aaaaaa", "default");
    expect(messages[0]).toBe(
      "Remove repeated characters or groups such as aaa or ababab.",
    );
    expect(messages[1]).toMatch(
      /^Choose a harder-to-guess password: its strength is [0-2] of 4/,
    );
  });

  it("name the email context", () => {
    expect(schemaMessages("ada.lovelace@example.com!1A", "default")).toEqual([
      "Do not build the password from your email address, your name or the word “Dokodo”.",
      "Choose a harder-to-guess password: its strength is 1 of 4 and must be at least 3. There should not be any personal or page related data.",
    ]);
  });

  it("give the byte count over 72", () => {
    expect(schemaMessages(`${ASCII_BASE}${EMOJI}x`, "default")).toEqual([
      "Use at most 72 bytes; this one has 73 (letters outside English count as 2 to 4 bytes).",
    ]);
  });

  it("give the nist minimum", () => {
    expect(schemaMessages("Kettle-Mango-7", "nist")).toEqual([
      "Use at least 15 characters.",
    ]);
  });

  it("reject an empty password once", () => {
    expect(schemaMessages("", "default")).toEqual(["Enter a password."]);
  });
});

describe("evaluatePassword", () => {
  it("reports score, label and suggestions", () => {
    const weak = evaluatePassword("password123", {
      policy: "default",
      estimator,
    });
    expect(weak.score).toBe(0);
    expect(weak.label).toBe("Very weak");
    expect(weak.suggestions.length).toBeGreaterThan(0);
    expect(weak.valid).toBe(false);

    const strong = evaluatePassword("Correct-Horse-42-battery", {
      policy: "default",
      estimator,
    });
    expect(strong.score).toBe(4);
    expect(strong.label).toBe("Very strong");
    expect(strong.valid).toBe(true);
  });

  it("leaves strength unmet without an estimator", () => {
    const result = evaluatePassword("Correct-Horse-42-battery", {
      policy: "default",
    });
    expect(result.score).toBeNull();
    expect(result.rules.find((rule) => rule.id === "strength")?.met).toBe(
      false,
    );
    expect(result.valid).toBe(false);
  });

  it("lists nist rules without composition", () => {
    const ids = evaluatePassword("x", { policy: "nist", estimator }).rules.map(
      (rule) => rule.id,
    );
    expect(ids).toEqual([
      "minLength",
      "maxBytes",
      "notPersonal",
      "noSequence",
      "noRepeat",
      "strength",
    ]);
  });
});

describe("contextWords", () => {
  it("splits email and name into words", () => {
    expect(contextWords(CONTEXT).sort()).toEqual(
      [
        "ada",
        "ada.lovelace",
        "ada.lovelace@example.com",
        "adalovelace",
        "dokodo",
        "example",
        "lovelace",
      ].sort(),
    );
  });

  it("skips parts shorter than three characters", () => {
    expect(contextWords({ email: "al@x.io", name: "Al Bo" })).toEqual([
      "dokodo",
      "al@x.io",
      "albo",
    ]);
  });
});

describe("PASSWORD_POLICY setting", () => {
  it("defaults to default", () => {
    expect(parseEnv({}).PASSWORD_POLICY).toBe("default");
  });

  it("accepts nist", () => {
    expect(parseEnv({ PASSWORD_POLICY: "nist" }).PASSWORD_POLICY).toBe("nist");
  });

  it("rejects other values", () => {
    expect(() => parseEnv({ PASSWORD_POLICY: "strict" })).toThrow(ConfigError);
    try {
      parseEnv({ PASSWORD_POLICY: "strict" });
    } catch (error) {
      expect((error as ConfigError).problems).toEqual([
        "PASSWORD_POLICY: must be default or nist",
      ]);
    }
  });
});
