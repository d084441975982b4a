/**
 * Folder fsync, so a name created or renamed in a folder survives a power cut.
 * @module
 */

/**
 * fsyncs the folder `path` (Linux/macOS; a no-op on Windows, where NTFS journals names and a
 * folder cannot be opened for sync). Best effort: some file systems refuse to open or sync a
 * folder, and that is not an error.
 */
export async function syncDir(
  path: string,
  os: typeof Deno.build.os = Deno.build.os,
): Promise<void> {
  if (os === "windows") return;
  let dir: Deno.FsFile | undefined;
  try {
    dir = await Deno.open(path, { read: true });
    await dir.sync();
  } catch {
    // Best effort, as documented.
  } finally {
    dir?.close();
  }
}
