import { describe, expect, it } from "vitest";
import { golden } from "./fixtures/golden.js";
import { findings } from "./support.js";

describe("the golden stack", () => {
  it("passes every policy, mandatory and advisory", async () => {
    expect(await findings(golden())).toEqual([]);
  });
});
