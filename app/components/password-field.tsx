import type { ChangeEvent, FocusEvent } from "react";
import { useEffect, useId, useState } from "react";

import { ErrorList } from "~/components/forms";
import type {
  PasswordContext,
  PasswordPolicy,
  StrengthEstimator,
} from "~/utils/password-policy";
import {
  describePasswordPolicy,
  evaluatePassword,
  loadStrengthEstimator,
} from "~/utils/password-policy";

const EVALUATION_DELAY_MS = 150;

/** Fill colour of the meter's segments for each score, 0 to 4. */
const SCORE_COLORS = [
  "bg-red-600",
  "bg-orange-500",
  "bg-amber-400",
  "bg-lime-600",
  "bg-emerald-700",
] as const;

type PasswordFieldProps = {
  label: string;
  name: string;
  policy: PasswordPolicy;
  autoComplete?: string;
  errors?: string[] | null;
  /** Account facts the password must not be built from. */
  context?: PasswordContext;
  /**
   * Also read `email` and `name` from the same form on every keystroke, for
   * forms such as registration where the user types them.
   */
  readContextFromForm?: boolean;
};

function readFormContext(input: HTMLInputElement): PasswordContext {
  const form = input.form;
  const value = (field: string) => {
    const element = form?.elements.namedItem(field);
    return element instanceof HTMLInputElement ? element.value : undefined;
  };
  return { email: value("email"), name: value("name") };
}

/**
 * Renders a new-password input with a strength meter. The meter and its checklist
 * appear when the input gets focus, and zxcvbn's dictionaries load then, so
 * pages pay for them only when someone types a new password. Without
 * JavaScript the input works alone and the server's messages name the same
 * rules.
 */
export function PasswordField({
  label,
  name,
  policy,
  autoComplete = "new-password",
  errors,
  context,
  readContextFromForm = false,
}: PasswordFieldProps) {
  const inputId = useId();
  const hintId = `${inputId}-hint`;
  const errorId = `${inputId}-error`;
  const meterId = `${inputId}-meter`;
  const [active, setActive] = useState(false);
  const [password, setPassword] = useState("");
  const [formContext, setFormContext] = useState<PasswordContext>({});
  const [estimator, setEstimator] = useState<StrengthEstimator | null>(null);
  const [loadFailed, setLoadFailed] = useState(false);

  useEffect(() => {
    if (!active || estimator) return;
    let cancelled = false;
    loadStrengthEstimator().then(
      (loaded) => {
        // useState treats a function argument as an updater.
        if (!cancelled) setEstimator(() => loaded);
      },
      () => {
        if (!cancelled) setLoadFailed(true);
      },
    );
    return () => {
      cancelled = true;
    };
  }, [active, estimator]);

  const update = (input: HTMLInputElement) => {
    setPassword(input.value);
    if (readContextFromForm) setFormContext(readFormContext(input));
  };

  const email = formContext.email || context?.email;
  const accountName = formContext.name || context?.name;
  const [rated, setRated] = useState(() => ({
    password: "",
    withEstimator: false,
    evaluation: evaluatePassword("", { policy }),
  }));
  useEffect(() => {
    // A zxcvbn check of a long password can take a tenth of a second, so it
    // runs once typing pauses instead of on every keystroke.
    const timer = setTimeout(() => {
      setRated({
        password,
        withEstimator: estimator !== null,
        evaluation: evaluatePassword(password, {
          policy,
          context: { email, name: accountName },
          estimator,
        }),
      });
    }, EVALUATION_DELAY_MS);
    return () => clearTimeout(timer);
  }, [password, policy, email, accountName, estimator]);
  const evaluation = rated.evaluation;
  // Segments fill only once there is something to rate.
  const score = rated.password ? evaluation.score : null;
  const upToDate =
    rated.password === password && rated.withEstimator === (estimator !== null);
  const describedBy = [
    hintId,
    active ? meterId : null,
    errors?.length ? errorId : null,
  ]
    .filter(Boolean)
    .join(" ");

  return (
    <div>
      <label htmlFor={inputId} className="label">
        {label}
      </label>
      <input
        id={inputId}
        name={name}
        type="password"
        className="input"
        autoComplete={autoComplete}
        required
        aria-invalid={errors?.length ? true : undefined}
        aria-describedby={describedBy}
        onFocus={(event: FocusEvent<HTMLInputElement>) => {
          setActive(true);
          update(event.currentTarget);
        }}
        onChange={(event: ChangeEvent<HTMLInputElement>) =>
          update(event.currentTarget)
        }
      />
      <p id={hintId} className="mt-1 text-sm text-slate-500">
        {describePasswordPolicy(policy)}
      </p>
      <ErrorList id={errorId} errors={errors} />
      {active ? (
        <div
          id={meterId}
          className="mt-3 space-y-2"
          data-testid="password-meter"
          data-up-to-date={upToDate ? "true" : "false"}
        >
          <div
            role="meter"
            aria-label="Password strength"
            aria-valuemin={0}
            aria-valuemax={4}
            aria-valuenow={score ?? 0}
            aria-valuetext={evaluation.label ?? "Not rated yet"}
            className="flex gap-1"
          >
            {[0, 1, 2, 3, 4].map((level) => (
              <span
                key={level}
                data-filled={
                  score !== null && level <= score ? "true" : "false"
                }
                className={`h-2 flex-1 rounded ${
                  score !== null && level <= score
                    ? SCORE_COLORS[score]
                    : "bg-slate-200"
                }`}
              />
            ))}
          </div>
          <p className="text-sm text-slate-700" aria-live="polite">
            {loadFailed
              ? "The strength check could not load; the server checks the password when you submit."
              : !rated.withEstimator
                ? "Loading the strength check…"
                : rated.password
                  ? `Strength: ${evaluation.label}`
                  : "Start typing to see the strength."}
          </p>
          <ul className="space-y-0.5 text-sm">
            {evaluation.rules.map((rule) => (
              <li
                key={rule.id}
                data-rule={rule.id}
                data-met={rule.met ? "true" : "false"}
                className={rule.met ? "text-emerald-800" : "text-slate-600"}
              >
                <span aria-hidden="true">{rule.met ? "✓ " : "○ "}</span>
                <span className="sr-only">
                  {rule.met ? "Met: " : "Not met: "}
                </span>
                {rule.label}
              </li>
            ))}
          </ul>
          {evaluation.suggestions.length > 0 && rated.password ? (
            <ul className="list-disc pl-5 text-sm text-slate-600">
              {evaluation.suggestions.map((suggestion) => (
                <li key={suggestion}>{suggestion}</li>
              ))}
            </ul>
          ) : null}
        </div>
      ) : null}
    </div>
  );
}
