/**
 * `subfolder_layout = "flatten"`: two different relative paths can flatten to one name
 * (`a__b.csv` at the top and `a/b.csv`). Neither may replace the other, and which of them the DB
 * service's answer means cannot be told, so the second one listed fails, naming both paths.
 * @module
 */
import { getLogger } from "@logtape/logtape";
import type { TimeWindow } from "../db/db_service_client.ts";
import type { RemoteFile } from "../graph/sharepoint_client.ts";
import type { FailedFile } from "./sync_result.ts";
import { inWindow } from "./window.ts";

const log = getLogger(["ingest", "sync"]);

/** Names compared the way SharePoint and Windows compare them: case- and NFC-folded. */
function fold(name: string): string {
  return name.normalize("NFC").toLowerCase();
}

/**
 * Passes listed files through, holding back each file whose flattened name an earlier file of
 * another path already took. Only files in the window are compared (nothing else can be placed),
 * so memory follows the window, not the library.
 */
export class FlattenGuard {
  #window: TimeWindow;
  #runId: string;
  #taken = new Map<string, { id: string; path: string }>();
  /** The files held back, with the reason to report. */
  readonly failed: { file: RemoteFile; failure: FailedFile }[] = [];

  constructor(options: { window: TimeWindow; runId: string }) {
    this.#window = options.window;
    this.#runId = options.runId;
  }

  /** `files` without the collisions (see {@link failed}). */
  async *filter(files: AsyncIterable<RemoteFile>): AsyncIterable<RemoteFile> {
    for await (const file of files) {
      if (file.path === undefined || !inWindow(file.lastModified, this.#window)) {
        yield file;
        continue;
      }
      const key = fold(file.name);
      const first = this.#taken.get(key);
      if (first === undefined || first.id === file.id) {
        this.#taken.set(key, { id: file.id, path: file.path });
        yield file;
        continue;
      }
      const reason =
        `Cannot place ${JSON.stringify(file.path)} as ${JSON.stringify(file.name)}: ${
          JSON.stringify(first.path)
        } flattens to the same name; rename one of them, or use ` +
        `subfolder_layout = "mirror" or another flatten_separator`;
      log.error("Cannot download {file}: {reason}", {
        run_id: this.#runId,
        file: file.name,
        path: file.path,
        other_path: first.path,
        reason,
      });
      this.failed.push({ file, failure: { name: file.name, reason, refused_name: true } });
    }
  }
}
