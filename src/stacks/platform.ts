// An environment stack (prod, staging, ...): the platform in the existing project `gumstack:project`.
import type { Settings } from "../config/index.js";
import { buildCore } from "./core.js";

export async function buildPlatform(settings: Settings): Promise<Record<string, unknown>> {
  return buildCore(settings).outputs;
}
