// What a first `up` on a fresh organization must not start with: images pinned to the placeholder digest (refused by
// scripts/deploy.sh up, tested in test/scripts.test.ts through the script) and the ClickHouse password in plain
// text (refused by config validation, in the offline plan and in the real program alike).
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { IMAGE_PINS, PLACEHOLDER_DIGEST, SECRET_PLACEHOLDER, placeholderProblems, secureKeys } from "../scripts/deploy-checks.mjs";
import { ConfigError, parseAllConfig, plainSecretProblems } from "../src/config/load.js";
import * as pulumi from "@pulumi/pulumi";
import { loadSettings } from "../src/config/index.js";
import { parseStackFile } from "../src/plan/stackFile.js";

const text = (stack: string) => readFileSync(`Pulumi.${stack}.yaml`, "utf8");
const REAL = `sha256:${"9f".repeat(32)}`;

describe("the placeholder digest (scripts/deploy-checks.mjs)", () => {
  it("is a digest no image has, and the one every image of the committed stacks is pinned to", () => {
    expect(PLACEHOLDER_DIGEST).toMatch(/^sha256:0{64}$/);
    for (const stack of ["prod", "enterprise"]) {
      const digests = [...text(stack).matchAll(/@(sha256:[0-9a-f]{64})/g)].map((m) => m[1]);
      expect(digests.length, stack).toBeGreaterThanOrEqual(2);
      expect(new Set(digests), stack).toEqual(new Set([PLACEHOLDER_DIGEST]));
    }
  });

  it("names each placeholder image the stack runs, with the script that publishes it; prod's canary is off, so not its image", () => {
    expect(placeholderProblems(text("prod"), "prod").map((p) => p.split(" ")[0])).toEqual([
      "gumstack:backend.image",
      "gumstack:build.builderImage",
    ]);
    expect(placeholderProblems(text("enterprise"), "enterprise").map((p) => p.split(" ")[0])).toEqual([
      "gumstack:backend.image",
      "gumstack:build.builderImage",
      "gumstack:canary.image",
    ]);
    for (const p of placeholderProblems(text("enterprise"), "enterprise"))
      expect(p).toMatch(/: publish the image and pin it: scripts\/publish-/);
    expect(IMAGE_PINS.map((p) => `${p.ns}.${p.key}`)).toEqual(["backend.image", "build.builderImage", "canary.image"]);
  });

  it("reads map values and the flat dotted keys `pulumi config set` without --path writes; a real digest passes", () => {
    const flat = `config:\n  gumstack:backend.image: r/backend@${PLACEHOLDER_DIGEST}\n  gumstack:canary.enabled: "true"\n  gumstack:canary.image: r/c@${PLACEHOLDER_DIGEST}\n`;
    expect(placeholderProblems(flat, "s").map((p) => p.split(" ")[0])).toEqual(["gumstack:backend.image", "gumstack:canary.image"]);
    const published = text("enterprise").replaceAll(PLACEHOLDER_DIGEST, REAL);
    expect(placeholderProblems(published, "enterprise")).toEqual([]);
  });

  it("finds the committed secret placeholder, and tells an encrypted value from it", () => {
    expect(secureKeys(text("prod"))).toEqual([{ key: "gumstack:clickhousePassword", placeholder: true }]);
    const set = text("prod").replace(SECRET_PLACEHOLDER, "v1:bm9uY2U=:Y3Q=");
    expect(secureKeys(set)).toEqual([{ key: "gumstack:clickhousePassword", placeholder: false }]);
  });
});

describe("gumstack:clickhousePassword must be a secret", () => {
  const prod = parseStackFile(text("prod"), "Pulumi.prod.yaml");
  const plain = { ...prod.config, "gumstack:clickhousePassword": "hunter2" };
  const LINE =
    "gumstack:clickhousePassword: is plain text in the stack file, so anyone who can read the repository has it; remove it and set it encrypted: pulumi config set --secret gumstack:clickhousePassword '<value>' --stack prod";

  it("is refused in plain text at validation, one line naming the key and the command", () => {
    expect(plainSecretProblems(plain, [], "prod")).toEqual([LINE]);
    let err: unknown;
    try {
      parseAllConfig(plain, { secretKeys: [], stack: "prod" });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).problems).toEqual([LINE]);
  });

  it("passes as the committed secure: placeholder (the offline plan masks it) and as any secret", () => {
    expect(prod.secretKeys).toEqual(["gumstack:clickhousePassword"]);
    expect(plainSecretProblems(prod.config, prod.secretKeys, "prod")).toEqual([]);
    expect(() => parseAllConfig(prod.config, { secretKeys: prod.secretKeys, stack: "prod" })).not.toThrow();
  });

  it("is refused by the program itself, from the engine's secret keys (PULUMI_CONFIG_SECRET_KEYS), before any resource", () => {
    // The config as the engine hands it to the program under `pulumi up`: the password a plain value, then a secret.
    try {
      pulumi.runtime.setAllConfig(plain, []);
      expect(() => loadSettings()).toThrow(
        /^Invalid stack configuration:\n {2}- gumstack:clickhousePassword: is plain text in the stack file/,
      );
      pulumi.runtime.setAllConfig(plain, ["gumstack:clickhousePassword"]);
      expect(() => loadSettings()).not.toThrow();
    } finally {
      pulumi.runtime.setAllConfig({}, []);
    }
  });
});
