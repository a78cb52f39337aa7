import { randomBytes } from "node:crypto";

const BASE36_RANDOM_LENGTH = 10;

/**
 * Returns a generator of IDs in the shape of Prisma's cuid(): 25 lowercase
 * base-36 characters starting with "c". Every ID of one generator shares its
 * creation time and carries a counter after it, so the IDs sort in the
 * order they were made. Export orders items by ID, so items keep the order
 * of the file they were imported from. The random tail keeps IDs of
 * generators created in the same millisecond apart.
 */
export function createSortedIdGenerator(
  now: number = Date.now(),
): () => string {
  const time = now.toString(36).padStart(8, "0");
  let counter = 0;
  return () => {
    const sequence = (counter++).toString(36).padStart(6, "0");
    let random = "";
    while (random.length < BASE36_RANDOM_LENGTH) {
      random += BigInt(`0x${randomBytes(8).toString("hex")}`).toString(36);
    }
    return `c${time}${sequence}${random.slice(0, BASE36_RANDOM_LENGTH)}`;
  };
}
