import { describe, expect, it } from "vitest";
import { boundedName, daysToDuration } from "../../components/gcp/naming.js";

describe("boundedName", () => {
  it("joins parts when they fit", () => {
    expect(boundedName(["gumstack", "prod"], 30)).toBe("gumstack-prod");
    expect(boundedName(["gumstack", "prod", ""], 30)).toBe("gumstack-prod");
  });

  it("cuts long names to the limit with a stable hash that keeps distinct inputs distinct", () => {
    const a = boundedName(["gumstack", "enterprise-acme-corporation"], 30);
    const b = boundedName(["gumstack", "enterprise-acme-corporatio2"], 30);
    expect(a.length).toBeLessThanOrEqual(30);
    expect(a).toMatch(/^gumstack-enterprise-acme-[0-9a-f]{4}$/);
    expect(a).toBe(boundedName(["gumstack", "enterprise-acme-corporation"], 30));
    expect(a).not.toBe(b);
  });

  it("never ends with a hyphen before the hash", () => {
    const n = boundedName(["abcdefghijklmnopqrstuvwxy", "z-long-tail"], 30);
    expect(n).not.toMatch(/--/);
    expect(n).toMatch(/^[a-z][a-z0-9-]*[a-z0-9]$/);
  });

  it("refuses names that GCP would refuse", () => {
    expect(() => boundedName(["1abc"], 30)).toThrow(/start with a letter/);
    expect(() => boundedName(["a_b"], 30)).toThrow(/lowercase letters/);
  });
});

describe("daysToDuration", () => {
  it("turns days into a seconds duration", () => {
    expect(daysToDuration(30)).toBe("2592000s");
    expect(daysToDuration(1)).toBe("86400s");
    expect(() => daysToDuration(1.5)).toThrow();
  });
});
