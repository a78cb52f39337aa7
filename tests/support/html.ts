import { decodeHtml } from "./csv";

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/**
 * Returns the field errors a page shows for the input named `name`: the
 * items of each `field-error` list that the input's aria-describedby
 * references. Returns [] when the input is not marked aria-invalid, and
 * throws when the page has no such input.
 */
export function fieldErrors(html: string, name: string): string[] {
  const input = html
    .match(/<input\b[^>]*>/g)
    ?.find((tag) => tag.includes(` name="${name}"`));
  if (!input) throw new Error(`No input named ${name} on the page`);
  if (!input.includes('aria-invalid="true"')) return [];

  const ids = /aria-describedby="([^"]*)"/.exec(input)?.[1]?.split(" ") ?? [];
  const messages: string[] = [];
  for (const id of ids) {
    const list = new RegExp(
      `<ul id="${escapeRegExp(id)}" class="field-error[^"]*">(.*?)</ul>`,
      "s",
    ).exec(html);
    if (!list) continue;
    for (const item of list[1]!.matchAll(/<li>(.*?)<\/li>/gs)) {
      messages.push(decodeHtml(item[1]!));
    }
  }
  return messages;
}
