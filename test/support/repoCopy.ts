// A scratch copy of the repository for tests that run its scripts on stack files they change: the stack files
// are copied, scripts/ is a directory of links to the real scripts (a script's `cd "$(dirname "$0")/.."` lands in
// the copy), the CLI bundles of .build are copied (run through a link, a CLI would see its own path differ from the
// one it was started as, and do nothing), and everything else links to the real tree (node_modules, src). The CLIs
// read Pulumi.<stack>.yaml from the working directory. Nothing of the real repository is written through it.
import { cpSync, mkdirSync, mkdtempSync, readdirSync, symlinkSync, copyFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { buildClis, OUT_DIR } from "../../scripts/build.mjs";

export const REPO = resolve(import.meta.dirname, "../..");

/** A scratch copy of the repository (see above), with the CLI bundles built and copied in. */
export async function repoCopy(prefix = "repo-copy-"): Promise<string> {
  await buildClis();
  const dir = mkdtempSync(join(tmpdir(), prefix));
  cpSync(join(REPO, OUT_DIR), join(dir, OUT_DIR), { recursive: true });
  for (const name of readdirSync(REPO)) {
    if (name === ".git" || name === ".build") continue;
    if (/^Pulumi\..+\.yaml$/.test(name)) copyFileSync(join(REPO, name), join(dir, name));
    else if (name !== "scripts") symlinkSync(join(REPO, name), join(dir, name));
  }
  mkdirSync(join(dir, "scripts"));
  for (const name of readdirSync(join(REPO, "scripts"))) symlinkSync(join(REPO, "scripts", name), join(dir, "scripts", name));
  return dir;
}
