/**
 * Escapes text for HTML element content and quoted attribute values, for
 * the few pages and emails rendered as strings instead of through React.
 */
export function escapeHtml(text: string): string {
  return text
    .replaceAll("&", "&amp;")
    .replaceAll("<", "&lt;")
    .replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;")
    .replaceAll("'", "&#39;");
}
