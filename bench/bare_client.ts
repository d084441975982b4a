/**
 * `deno run --allow-net --allow-read --allow-write bench/bare_client.ts <urls.json> <dir> <n>`:
 * the least a Deno program can do to make each file durable before publishing it, the baseline
 * of the small-file scenarios. `n` at a time: fetch the body, one write into a staging file,
 * `fdatasync`, `link` it under its final name; one fsync of the folder at the end.
 * @module
 */
const [list = "", dir = "", concurrency = "8"] = Deno.args;
const urls = JSON.parse(await Deno.readTextFile(list)) as string[];
const staging = `${dir}/.staging`;
await Deno.mkdir(staging, { recursive: true });
let next = 0;

async function worker(): Promise<void> {
  for (let i = next++; i < urls.length; i = next++) {
    const response = await fetch(urls[i]!);
    if (!response.ok) throw new Error(`HTTP ${response.status} for ${urls[i]}`);
    const body = await response.bytes();
    const part = `${staging}/${i}.part`;
    const file = Deno.openSync(part, { write: true, createNew: true });
    for (let written = 0; written < body.length;) {
      written += file.writeSync(body.subarray(written));
    }
    await file.syncData();
    file.close();
    Deno.linkSync(part, `${dir}/${i}`);
  }
}

await Promise.all(Array.from({ length: Number(concurrency) }, worker));
const folder = await Deno.open(dir, { read: true });
await folder.sync();
folder.close();
