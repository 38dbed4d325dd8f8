/** Seconds of a protobuf Duration string as GCP APIs take it ("2592000s"); m/h/d suffixes are accepted too. */
export function durationSeconds(v: unknown): number | undefined {
  const m = typeof v === "string" ? /^(\d+(?:\.\d+)?)(s|m|h|d)$/.exec(v.trim()) : null;
  if (!m) return undefined;
  const unit: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };
  return Number(m[1]) * unit[m[2]!]!;
}
