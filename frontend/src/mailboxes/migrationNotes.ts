/**
 * The help article's notes for migrating a mailbox to Microsoft Graph:
 * best outside work hours, and the Outlook add-in must be at a minimum
 * version.
 */

/** The user's local time and whether it falls in work hours (9:00–17:00, Monday to Friday). */
export interface LocalTime {
  /** e.g. "Monday 10:30". */
  label: string;
  duringWorkHours: boolean;
}

const weekdays = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"];

export function localTime(now: Date, timeZone: string): LocalTime {
  let parts: Intl.DateTimeFormatPart[];
  try {
    parts = new Intl.DateTimeFormat("en-US", {
      timeZone,
      weekday: "long",
      hour: "2-digit",
      minute: "2-digit",
      hourCycle: "h23",
    }).formatToParts(now);
  } catch {
    // An unknown zone: fall back to UTC rather than hiding the note.
    return localTime(now, "UTC");
  }
  const part = (type: Intl.DateTimeFormatPartTypes) => parts.find((p) => p.type === type)?.value ?? "";
  const weekday = part("weekday");
  const hour = Number(part("hour"));
  const minute = part("minute");
  return {
    label: `${weekday} ${String(hour).padStart(2, "0")}:${minute}`,
    duringWorkHours: weekdays.includes(weekday) && hour >= 9 && hour < 17,
  };
}

/** Parses a dotted version ("1.4.2"); null when it is not one. */
function parseVersion(v: string): number[] | null {
  if (!/^\d{1,9}(\.\d{1,9}){0,3}$/.test(v)) {
    return null;
  }
  return v.split(".").map(Number);
}

/**
 * Whether the add-in's reported version is below the minimum. False when
 * there is no minimum or no report (the user may not use the add-in).
 */
export function isAddinBelowMinimum(reported: string | null, minimum: string | null): boolean {
  if (reported === null || minimum === null) {
    return false;
  }
  const min = parseVersion(minimum);
  if (min === null) {
    return false;
  }
  const got = parseVersion(reported);
  if (got === null) {
    return true;
  }
  for (let i = 0; i < Math.max(got.length, min.length); i++) {
    const a = got[i] ?? 0;
    const b = min[i] ?? 0;
    if (a !== b) {
      return a < b;
    }
  }
  return false;
}
