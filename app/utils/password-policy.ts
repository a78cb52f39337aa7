// The password policy, shared by the server (registration, password change
// and reset, the strength API) and the browser (the strength meter). Both
// sides call evaluatePassword, so the meter's checkmarks and the server's
// messages always name the same rules.
import { z } from "zod";

/** bcrypt reads at most this many bytes of a password and ignores the rest. */
export const PASSWORD_MAX_BYTES = 72;

/** Policy names accepted by the PASSWORD_POLICY setting. */
export const PASSWORD_POLICIES = ["default", "nist"] as const;
export type PasswordPolicy = (typeof PASSWORD_POLICIES)[number];

/**
 * Minimum length in code points. "nist" follows NIST SP 800-63B-4, section
 * 3.1.1.2, for passwords used as a single factor: at least 15 characters
 * and no composition rules.
 */
export const PASSWORD_MIN_LENGTH: Record<PasswordPolicy, number> = {
  default: 10,
  nist: 15,
};

/** The lowest zxcvbn score (0 to 4) a new password must reach. */
export const PASSWORD_MIN_SCORE = 3;

/** Names of the five strength levels, indexed by zxcvbn score. */
export const PASSWORD_STRENGTH_LABELS = [
  "Very weak",
  "Weak",
  "Fair",
  "Strong",
  "Very strong",
] as const;

/** The product name, which no password may contain. */
const PRODUCT_NAME = "dokodo";

/** Shorter name or address parts would reject too many unrelated passwords. */
const CONTEXT_WORD_MIN_LENGTH = 3;

/** Runs this long or longer count as sequences ("abcd", "4321", "asdf"). */
const SEQUENCE_MIN_LENGTH = 4;
const KEYBOARD_ROWS = ["qwertyuiop", "asdfghjkl", "zxcvbnm", "1234567890"];

/**
 * Only this many code units are analysed for patterns and strength, which
 * bounds the work an oversized input can cause. Anything longer already
 * fails the 72-byte limit.
 */
const ANALYSED_LENGTH = 100;

/**
 * zxcvbn-ts tries this many l33t substitutions at most. Its default of 100
 * let a 220-character input take 5.8 s per check (zxcvbn-ts 4.2, measured
 * with Node 20 on a 2-core machine); 10 kept that input under 0.4 s and
 * scored every policy test case the same.
 */
const L33T_MAX_SUBSTITUTIONS = 10;

export type PasswordRuleId =
  | "minLength"
  | "maxBytes"
  | "upperCase"
  | "lowerCase"
  | "digit"
  | "symbol"
  | "notPersonal"
  | "noSequence"
  | "noRepeat"
  | "strength";

/** Facts about the account that a password must not be built from. */
export type PasswordContext = {
  email?: string | null;
  name?: string | null;
};

/** The parts of a zxcvbn result that the policy reads. */
export type StrengthEstimate = {
  score: 0 | 1 | 2 | 3 | 4;
  warning: string | null;
  suggestions: string[];
  /** True when zxcvbn matched one of the context words, l33t or reversed. */
  matchedContextWord: boolean;
};

/** Scores a password; `contextWords` are words it must not be built from. */
export type StrengthEstimator = (
  password: string,
  contextWords: string[],
) => StrengthEstimate;

/** One rule of the policy and whether a password meets it. */
export type PasswordRuleResult = {
  id: PasswordRuleId;
  met: boolean;
  /** Checklist text, such as "At least 10 characters". */
  label: string;
  /** Instruction shown when the rule is unmet, such as "Add a digit." */
  message: string;
};

/** The verdict on a password under a policy. */
export type PasswordEvaluation = {
  /** zxcvbn score from 0 to 4, or null while no estimator is loaded. */
  score: number | null;
  label: string | null;
  rules: PasswordRuleResult[];
  suggestions: string[];
  valid: boolean;
};

export type PasswordCheckOptions = {
  policy: PasswordPolicy;
  context?: PasswordContext;
  /** Without an estimator the strength rule counts as unmet. */
  estimator?: StrengthEstimator | null;
};

/** Returns a one-sentence summary of a policy for a form's hint text. */
export function describePasswordPolicy(policy: PasswordPolicy): string {
  const composition =
    policy === "default"
      ? " with upper and lower case, a digit and a symbol"
      : "";
  return `At least ${PASSWORD_MIN_LENGTH[policy]} characters${composition}, at most ${PASSWORD_MAX_BYTES} bytes, hard to guess, without sequences, repeats, your email, your name or “Dokodo”.`;
}

/** Returns the length of a string in UTF-8 bytes. */
export function utf8ByteLength(value: string): number {
  return new TextEncoder().encode(value).length;
}

/**
 * Returns the lower-cased words a password must not contain: the parts of
 * the email address and name, and the product name.
 */
export function contextWords(context: PasswordContext = {}): string[] {
  const words = new Set<string>([PRODUCT_NAME]);
  const add = (word: string) => {
    const normalized = word.trim().toLowerCase();
    if ([...normalized].length >= CONTEXT_WORD_MIN_LENGTH) {
      words.add(normalized);
    }
  };

  const email = context.email?.trim().toLowerCase() ?? "";
  if (email.includes("@")) {
    add(email);
    const at = email.lastIndexOf("@");
    const local = email.slice(0, at);
    add(local);
    local.split(/[._+-]+/).forEach(add);
    // Every domain label but the last ("example" in example.co, not "co").
    email
      .slice(at + 1)
      .split(".")
      .slice(0, -1)
      .forEach(add);
  }

  const name = context.name?.trim() ?? "";
  if (name) {
    const parts = name.split(/[\s._'-]+/u);
    add(parts.join(""));
    parts.forEach(add);
  }
  return [...words];
}

function containsContextWord(password: string, words: string[]): boolean {
  const lower = password.toLowerCase();
  // "Ada.Lovelace" and "ada_lovelace" both contain the name "adalovelace".
  const compact = lower.replace(/[^\p{L}\p{N}@]+/gu, "");
  return words.some((word) => lower.includes(word) || compact.includes(word));
}

function isLetterOrDigit(character: string): boolean {
  return /^[\p{L}\p{Nd}]$/u.test(character);
}

/**
 * True when the password contains SEQUENCE_MIN_LENGTH or more consecutive
 * letters or digits in alphabet order or its reverse, or a run along a
 * keyboard row.
 */
export function containsSequence(password: string): boolean {
  const characters = [...password.toLowerCase()];
  for (
    let start = 0;
    start + SEQUENCE_MIN_LENGTH <= characters.length;
    start++
  ) {
    const window = characters.slice(start, start + SEQUENCE_MIN_LENGTH);
    const text = window.join("");
    const onKeyboardRow = KEYBOARD_ROWS.some(
      (row) => row.includes(text) || [...row].reverse().join("").includes(text),
    );
    if (onKeyboardRow) return true;

    if (!window.every(isLetterOrDigit)) continue;
    const codes = window.map((character) => character.codePointAt(0)!);
    const step = codes[1]! - codes[0]!;
    if (step !== 1 && step !== -1) continue;
    if (
      codes.every(
        (code, index) => index === 0 || code - codes[index - 1]! === step,
      )
    ) {
      return true;
    }
  }
  return false;
}

/**
 * True when one character appears three times in a row ("aaa") or a group
 * of two to four characters does ("ababab", "abcabcabc"), ignoring case.
 */
export function containsRepeat(password: string): boolean {
  const lower = password.toLowerCase();
  return /(.)\1{2,}/u.test(lower) || /(.{2,4})\1{2,}/u.test(lower);
}

/**
 * Checks a password against every rule of a policy and returns each rule's
 * result with its checklist label and message, plus the strength score.
 */
export function evaluatePassword(
  password: string,
  options: PasswordCheckOptions,
): PasswordEvaluation {
  const { policy } = options;
  const minLength = PASSWORD_MIN_LENGTH[policy];
  const analysed = password.slice(0, ANALYSED_LENGTH);
  const words = contextWords(options.context);
  const estimate = options.estimator
    ? options.estimator(analysed, words)
    : null;
  const byteLength = utf8ByteLength(password);
  const rules: PasswordRuleResult[] = [];
  const rule = (
    id: PasswordRuleId,
    met: boolean,
    label: string,
    message: string,
  ) => rules.push({ id, met, label, message });

  rule(
    "minLength",
    [...password].length >= minLength,
    `At least ${minLength} characters`,
    `Use at least ${minLength} characters.`,
  );
  rule(
    "maxBytes",
    byteLength <= PASSWORD_MAX_BYTES,
    `At most ${PASSWORD_MAX_BYTES} bytes`,
    `Use at most ${PASSWORD_MAX_BYTES} bytes; this one has ${byteLength} (letters outside English count as 2 to 4 bytes).`,
  );
  if (policy === "default") {
    rule(
      "upperCase",
      /\p{Lu}/u.test(password),
      "An upper-case letter",
      "Add an upper-case letter.",
    );
    rule(
      "lowerCase",
      /\p{Ll}/u.test(password),
      "A lower-case letter",
      "Add a lower-case letter.",
    );
    rule("digit", /\p{Nd}/u.test(password), "A digit", "Add a digit.");
    rule(
      "symbol",
      /[^\p{L}\p{Nd}\s]/u.test(password),
      "A symbol such as ! or #",
      "Add a symbol such as ! or #.",
    );
  }
  rule(
    "notPersonal",
    !containsContextWord(analysed, words) && !estimate?.matchedContextWord,
    "Not based on your email, your name or “Dokodo”",
    "Do not build the password from your email address, your name or the word “Dokodo”.",
  );
  rule(
    "noSequence",
    !containsSequence(analysed),
    "No sequences such as abcd, 4321 or qwer",
    "Remove sequences such as abcd, 4321 or qwer.",
  );
  rule(
    "noRepeat",
    !containsRepeat(analysed),
    "No repeats such as aaa or ababab",
    "Remove repeated characters or groups such as aaa or ababab.",
  );

  const strengthLabel = `Strength at least “${PASSWORD_STRENGTH_LABELS[PASSWORD_MIN_SCORE]}” (${PASSWORD_MIN_SCORE} of 4)`;
  if (estimate) {
    const warning = estimate.warning ? ` ${estimate.warning}` : "";
    rule(
      "strength",
      estimate.score >= PASSWORD_MIN_SCORE,
      strengthLabel,
      `Choose a harder-to-guess password: its strength is ${estimate.score} of 4 and must be at least ${PASSWORD_MIN_SCORE}.${warning}`,
    );
  } else {
    rule(
      "strength",
      false,
      strengthLabel,
      "The password strength could not be checked yet.",
    );
  }

  return {
    score: estimate?.score ?? null,
    label: estimate ? PASSWORD_STRENGTH_LABELS[estimate.score] : null,
    rules,
    suggestions: estimate?.suggestions ?? [],
    valid: rules.every((result) => result.met),
  };
}

/**
 * Builds the zod schema for a new password under a policy. Every unmet rule
 * adds its own issue, so a form shows all of them at once.
 */
export function createPasswordSchema(
  options: PasswordCheckOptions & { estimator: StrengthEstimator },
) {
  return z
    .string({
      required_error: "Enter a password.",
      invalid_type_error: "Enter a password.",
    })
    .superRefine((password, context) => {
      if (password.length === 0) {
        context.addIssue({
          code: z.ZodIssueCode.custom,
          message: "Enter a password.",
        });
        return;
      }
      for (const result of evaluatePassword(password, options).rules) {
        if (!result.met) {
          context.addIssue({
            code: z.ZodIssueCode.custom,
            message: result.message,
            params: { rule: result.id },
          });
        }
      }
    });
}

let estimatorPromise: Promise<StrengthEstimator> | undefined;

/**
 * Loads zxcvbn-ts with its common and English dictionaries, once per
 * JavaScript realm. The imports are dynamic, so browsers fetch the
 * dictionaries (about 1.6 MB minified) only when a strength meter opens.
 */
export function loadStrengthEstimator(): Promise<StrengthEstimator> {
  estimatorPromise ??= createStrengthEstimator().catch((error: unknown) => {
    estimatorPromise = undefined;
    throw error;
  });
  return estimatorPromise;
}

async function createStrengthEstimator(): Promise<StrengthEstimator> {
  const [core, common, english] = await Promise.all([
    import("@zxcvbn-ts/core"),
    import("@zxcvbn-ts/language-common"),
    import("@zxcvbn-ts/language-en"),
  ]);
  const zxcvbn = new core.ZxcvbnFactory({
    dictionary: { ...common.dictionary, ...english.dictionary },
    graphs: common.adjacencyGraphs,
    translations: english.translations,
    l33tMaxSubstitutions: L33T_MAX_SUBSTITUTIONS,
    maxLength: ANALYSED_LENGTH,
  });
  return (password, words) => {
    const result = zxcvbn.check(password, words);
    return {
      score: result.score,
      warning: result.feedback.warning,
      suggestions: result.feedback.suggestions,
      matchedContextWord: result.sequence.some(
        (match) =>
          match.pattern === "dictionary" &&
          match.dictionaryName === "userInputs" &&
          [...match.token].length >= CONTEXT_WORD_MIN_LENGTH,
      ),
    };
  };
}
