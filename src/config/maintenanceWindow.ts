// GKE's availability rule for a recurring maintenance window, evaluated from its RRULE: "You must allow at least
// 48 hours of maintenance availability in a 32-day rolling window. Only contiguous availability windows of at
// least four hours are considered." https://cloud.google.com/kubernetes-engine/docs/how-to/maintenance-windows-and-exclusions
// The forms evaluated are the ones GKE documents for RecurringTimeWindow.recurrence: FREQ=DAILY and
// FREQ=WEEKLY[;BYDAY=MO,TU,...]; anything else (MONTHLY, INTERVAL, BYSETPOS, ...) is refused as not evaluable.
// https://cloud.google.com/kubernetes-engine/docs/reference/rest/v1/projects.locations.clusters#recurringtimewindow

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** GKE's rolling window and the two thresholds. */
export const ROLLING_WINDOW_DAYS = 32;
export const REQUIRED_HOURS = 48;
export const MIN_BLOCK_HOURS = 4;

const WEEKDAYS = ["SU", "MO", "TU", "WE", "TH", "FR", "SA"] as const;

export interface MaintenanceWindow {
  readonly startTime: string;
  readonly endTime: string;
  readonly recurrence: string;
}

/** The parsed rule: the days of the week (0 = Sunday) the window starts on. */
interface Rule {
  readonly days: ReadonlySet<number>;
}

/** Parses the RRULE forms GKE accepts that this module evaluates; throws with the reason otherwise. */
export function parseRecurrence(recurrence: string, startDay: number): Rule {
  const parts = new Map<string, string>();
  for (const part of recurrence.split(";")) {
    const [k, v, extra] = part.split("=");
    if (!k || v === undefined || extra !== undefined || parts.has(k))
      throw new Error(`"${part}" is not a NAME=VALUE part (or is repeated)`);
    parts.set(k, v);
  }
  const freq = parts.get("FREQ");
  if (freq !== "DAILY" && freq !== "WEEKLY") {
    throw new Error(`FREQ=${freq ?? "(missing)"} cannot be evaluated here; use FREQ=DAILY or FREQ=WEEKLY;BYDAY=...`);
  }
  const unknown = [...parts.keys()].filter((k) => k !== "FREQ" && k !== "BYDAY");
  if (unknown.length > 0) throw new Error(`${unknown.join(", ")} cannot be evaluated here; use FREQ=DAILY or FREQ=WEEKLY;BYDAY=...`);
  if (freq === "DAILY") {
    if (parts.has("BYDAY")) throw new Error("FREQ=DAILY with BYDAY cannot be evaluated here; use FREQ=WEEKLY;BYDAY=...");
    return { days: new Set([0, 1, 2, 3, 4, 5, 6]) };
  }
  // FREQ=WEEKLY: the listed days, or the first window's own day.
  const byday = parts.get("BYDAY");
  if (byday === undefined) return { days: new Set([startDay]) };
  const days = byday.split(",").map((d) => WEEKDAYS.indexOf(d as (typeof WEEKDAYS)[number]));
  if (days.some((d) => d < 0)) throw new Error(`BYDAY=${byday} must list days as SU, MO, TU, WE, TH, FR, SA`);
  if (new Set(days).size !== days.length) throw new Error(`BYDAY=${byday} lists a day twice`);
  return { days: new Set(days) };
}

/** Merged [start, end) intervals of availability in ms since the epoch. */
function occurrences(window: MaintenanceWindow, rule: Rule, from: number, to: number): Array<[number, number]> {
  const start = Date.parse(window.startTime);
  const length = Date.parse(window.endTime) - start;
  const timeOfDay = ((start % DAY) + DAY) % DAY;
  const out: Array<[number, number]> = [];
  // Occurrences start on the chosen days at the start's time of day, never before the first window itself.
  for (let day = Math.floor((from - length) / DAY) * DAY; day <= to; day += DAY) {
    const s = day + timeOfDay;
    if (s < start || !rule.days.has(new Date(s).getUTCDay())) continue;
    const e = s + length;
    const last = out.at(-1);
    if (last && s <= last[1]) last[1] = Math.max(last[1], e);
    else out.push([s, e]);
  }
  return out;
}

/**
 * The least availability, in hours, that any 32-day window holds, counting only contiguous blocks of at least
 * 4 hours (a block cut by the edge of the window counts for the part inside, if that part is 4 hours or more).
 * The pattern repeats every week, so 32-day windows starting anywhere in one week after the first window cover
 * every case; the minimum is reached where a window edge meets a block edge, so only those starts are tried.
 */
export function minimumAvailabilityHours(window: MaintenanceWindow): number {
  const start = Date.parse(window.startTime);
  const rule = parseRecurrence(window.recurrence, new Date(start).getUTCDay());
  const span = ROLLING_WINDOW_DAYS * DAY;
  // Look a week past the first occurrence, so every window starts in the steady state of the pattern.
  const steady = start + 7 * DAY + (Date.parse(window.endTime) - start);
  const blocks = occurrences(window, rule, steady - 8 * DAY, steady + 7 * DAY + span + 8 * DAY);
  const candidates = new Set<number>([steady]);
  for (const [s, e] of blocks) {
    // Where a block enters or leaves the window, and just past where its part inside drops below 4 hours.
    const cut = MIN_BLOCK_HOURS * HOUR;
    for (const t of [s, e, s - span, e - span, s + cut - span - 1, e - cut + 1]) {
      if (t >= steady && t < steady + 7 * DAY) candidates.add(t);
    }
  }
  let least = Infinity;
  for (const t of candidates) {
    let total = 0;
    for (const [s, e] of blocks) {
      const inside = Math.min(e, t + span) - Math.max(s, t);
      if (inside >= MIN_BLOCK_HOURS * HOUR) total += inside;
    }
    least = Math.min(least, total);
  }
  // Whole seconds: the 1 ms probes above must not show up as a shortfall.
  return Math.round(least / 1000) / 3600;
}

/**
 * undefined when GKE accepts the window; otherwise the field to change (the recurrence when it cannot be
 * evaluated, else endTime, which sets the window's length) and the rule it breaks, naming the figures.
 */
export function maintenanceWindowProblem(window: MaintenanceWindow): { key: "recurrence" | "endTime"; message: string } | undefined {
  const start = Date.parse(window.startTime);
  const end = Date.parse(window.endTime);
  if (!(end > start)) return { key: "endTime", message: `must be after startTime (${window.startTime})` };
  let hours: number;
  try {
    hours = minimumAvailabilityHours(window);
  } catch (err) {
    return { key: "recurrence", message: (err as Error).message };
  }
  if (hours < REQUIRED_HOURS) {
    return {
      key: "endTime",
      message: `allows only ${Math.round(hours * 100) / 100} h of maintenance in some ${ROLLING_WINDOW_DAYS}-day window; GKE requires at least ${REQUIRED_HOURS} h, counting only blocks of ${MIN_BLOCK_HOURS} h or more (lengthen the window or add days)`,
    };
  }
  return undefined;
}
