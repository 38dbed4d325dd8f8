// What the stack config schema refuses in a set of `gumstack:` values: every problem line, or [] when accepted.
import { expect } from "vitest";
import { ConfigError, parseStackConfig } from "../../src/config/load.js";

export function configProblems(values: Record<string, unknown>): string[] {
  try {
    parseStackConfig(values);
  } catch (err) {
    // Only the schema's own refusal counts: anything else (a crash) fails the test.
    expect(err).toBeInstanceOf(ConfigError);
    return [...(err as ConfigError).problems];
  }
  return [];
}

/** The problem lines of values the schema must refuse; accepted values fail the test. */
export function refusedProblems(values: Record<string, unknown>): string[] {
  const problems = configProblems(values);
  if (problems.length === 0) throw new Error("expected the config to be refused");
  return problems;
}
