import { HoneypotInputs, HoneypotProvider } from "remix-utils/honeypot/react";
import type { HoneypotInputProps } from "remix-utils/honeypot/server";

/**
 * Renders the honeypot fields of a public form. remix-utils hides them with
 * an inline `style="display:none"`, which the Content-Security-Policy allows
 * by hash only. The `hidden` class keeps them hidden in browsers that block
 * the inline style.
 */
export function HoneypotFields({
  inputProps,
}: {
  inputProps: HoneypotInputProps;
}) {
  return (
    <HoneypotProvider {...inputProps}>
      <div className="hidden" aria-hidden="true">
        <HoneypotInputs label="Leave this field empty" />
      </div>
    </HoneypotProvider>
  );
}
