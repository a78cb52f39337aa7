import type {
  InputHTMLAttributes,
  ReactNode,
  TextareaHTMLAttributes,
} from "react";
import { useId } from "react";
import { AuthenticityTokenInput } from "remix-utils/csrf/react";

/** The hidden CSRF field every mutating form must include. */
export function CsrfInput() {
  return <AuthenticityTokenInput name="csrf" />;
}

/** Messages shown under a field, linked to it through aria-describedby. */
export function ErrorList({
  id,
  errors,
}: {
  id: string;
  errors?: string[] | null;
}) {
  if (!errors?.length) return null;
  return (
    <ul id={id} className="field-error space-y-0.5">
      {errors.map((error) => (
        <li key={error}>{error}</li>
      ))}
    </ul>
  );
}

type FieldProps = {
  label: string;
  errors?: string[] | null;
  hint?: ReactNode;
} & InputHTMLAttributes<HTMLInputElement>;

/** A labelled input with its hint and field errors. */
export function Field({ label, errors, hint, id, ...inputProps }: FieldProps) {
  const fallbackId = useId();
  const inputId = id ?? fallbackId;
  const errorId = `${inputId}-error`;
  const hintId = `${inputId}-hint`;
  const describedBy = [hint ? hintId : null, errors?.length ? errorId : null]
    .filter(Boolean)
    .join(" ");
  return (
    <div>
      <label htmlFor={inputId} className="label">
        {label}
      </label>
      <input
        id={inputId}
        className="input"
        aria-invalid={errors?.length ? true : undefined}
        aria-describedby={describedBy || undefined}
        {...inputProps}
      />
      {hint ? (
        <p id={hintId} className="mt-1 text-sm text-slate-500">
          {hint}
        </p>
      ) : null}
      <ErrorList id={errorId} errors={errors} />
    </div>
  );
}

type TextareaFieldProps = {
  label: string;
  errors?: string[] | null;
} & TextareaHTMLAttributes<HTMLTextAreaElement>;

/** A labelled textarea with its field errors. */
export function TextareaField({
  label,
  errors,
  id,
  ...props
}: TextareaFieldProps) {
  const fallbackId = useId();
  const inputId = id ?? fallbackId;
  const errorId = `${inputId}-error`;
  return (
    <div>
      <label htmlFor={inputId} className="label">
        {label}
      </label>
      <textarea
        id={inputId}
        className="input"
        aria-invalid={errors?.length ? true : undefined}
        aria-describedby={errors?.length ? errorId : undefined}
        {...props}
      />
      <ErrorList id={errorId} errors={errors} />
    </div>
  );
}

/** A form-level error, such as failed sign-in, announced to screen readers. */
export function FormError({ message }: { message?: string | null }) {
  if (!message) return null;
  return (
    <div
      role="alert"
      className="rounded-md border border-red-200 bg-red-50 px-4 py-3 text-sm text-red-800"
    >
      {message}
    </div>
  );
}
