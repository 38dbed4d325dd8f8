// The repository explains itself: every "fact N" that code, tests, policy metadata or docs cite is a numbered fact
// of docs/facts.md, each fact carries an upstream source, and nothing points at a document outside the repository.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { policies } from "../../policies/rules/index.js";

const ROOT = new URL("../../", import.meta.url).pathname;
const SCANNED = ["src", "components", "packages", "policies", "test", "docs", "scripts", "README.md"];
const FACTS = readFileSync(join(ROOT, "docs/facts.md"), "utf8");

function files(path: string): string[] {
  const abs = join(ROOT, path);
  if (!statSync(abs, { throwIfNoEntry: false })) return [];
  if (statSync(abs).isFile()) return [path];
  return readdirSync(abs)
    .filter((e) => e !== "node_modules" && !e.startsWith("."))
    .flatMap((e) => files(join(path, e)));
}

/** The fact numbers a citation names: "fact 4", "facts 1-3", "facts 9, 10, 15", "facts 1-2 and 4". */
function citedFacts(text: string): number[] {
  const out: number[] = [];
  for (const m of text.matchAll(/\bfacts? (\d+(?:\s*(?:-|–|,|and)\s*\d+)*)/gi)) {
    for (const part of m[1]!.split(/\s*(?:,|and)\s*/)) {
      const [from, to] = part.split(/\s*[-–]\s*/).map(Number) as [number, number | undefined];
      for (let n = from; n <= (to ?? from); n++) out.push(n);
    }
  }
  return out;
}

/** Numbers of the facts docs/facts.md defines: list items "N. **title**" at the start of a line. */
function definedFacts(): number[] {
  return [...FACTS.matchAll(/^(\d+)\. \*\*/gm)].map((m) => Number(m[1]));
}

describe("docs/facts.md", () => {
  it("numbers its facts 1-28 in order, each with at least one upstream https source", () => {
    expect(definedFacts()).toEqual(Array.from({ length: 28 }, (_, i) => i + 1));
    const bodies = FACTS.split(/^(?=\d+\. \*\*)/m).slice(1);
    for (const body of bodies) expect(body, body.slice(0, 60)).toMatch(/Sources?: \[[^\]]+\]\(https:\/\/[^)]+\)/);
  });

  it("reads citations the way the code writes them", () => {
    expect(citedFacts("(docs/facts.md facts 1-3) and fact 12; facts 9, 10, 15; fact 4's list")).toEqual([1, 2, 3, 12, 9, 10, 15, 4]);
  });

  it("defines every fact cited anywhere in the repository's code, tests, policies and docs", () => {
    const defined = new Set(definedFacts());
    const missing: string[] = [];
    let citations = 0;
    for (const file of SCANNED.flatMap(files)) {
      readFileSync(join(ROOT, file), "utf8")
        .split("\n")
        .forEach((line, i) => {
          for (const n of citedFacts(line)) {
            citations++;
            if (!defined.has(n)) missing.push(`${file}:${i + 1}: fact ${n}`);
          }
        });
    }
    expect(missing).toEqual([]);
    // The scan really reads the tree (the policy pack alone cites a dozen facts).
    expect(citations).toBeGreaterThan(30);
  });

  it("is what policy metadata cites as its platform reference: a fact, a named requirement, or a config key", () => {
    const platform = policies.filter((p) => p.framework?.name === "Gumstack platform design");
    expect(platform.length).toBeGreaterThan(0);
    const requirements = [...FACTS.matchAll(/^\| `([^`]+)` \|/gm)].map((m) => m[1]);
    const readme = readFileSync(join(ROOT, "README.md"), "utf8");
    for (const p of platform) {
      const ref = p.framework!.reference;
      if (ref.startsWith("docs/facts.md")) {
        expect(ref, p.name).toMatch(/^docs\/facts\.md facts? \d/);
        for (const n of citedFacts(ref)) expect(definedFacts(), p.name).toContain(n);
      } else if (!requirements.includes(ref)) {
        expect(readme, `${p.name} cites "${ref}": neither a fact, a requirement of docs/facts.md nor a README config key`).toContain(
          `| \`gumstack:${ref}\` |`,
        );
      }
    }
  });

  it("is the only design document cited: nothing points at notes outside the repository", () => {
    const outside = /PLATFORM\.md|PLATFORM facts? \d|\.\.\/shared\b|\/work\/shared/;
    const offending = SCANNED.flatMap(files)
      .filter((f) => f !== join("test", "docs", "facts.test.ts"))
      .flatMap((f) =>
        readFileSync(join(ROOT, f), "utf8")
          .split("\n")
          .map((l, i) => [f, i + 1, l] as const),
      )
      .filter(([, , l]) => outside.test(l.replace(/PLATFORM_PROJECT/g, "")))
      .map(([f, n, l]) => `${f}:${n}: ${l.trim()}`);
    expect(offending).toEqual([]);
  });
});
