// Reading a child process's output as it comes, up to a line the test waits for.

/** Reads `reader` until what it has read contains `marker` or the stream ends; returns all of it. */
export async function readUntil(
  reader: ReadableStreamDefaultReader<string>,
  marker: string,
): Promise<string> {
  let text = "";
  while (!text.includes(marker)) {
    const { value, done } = await reader.read();
    if (done) break;
    text += value;
  }
  return text;
}
