import type { Settings } from "../config/index.js";

export async function buildPlatform(settings: Settings): Promise<Record<string, unknown>> {
  return { project: settings.project };
}
