// Times, days and avatars.

const time = new Intl.DateTimeFormat(undefined, { hour: "numeric", minute: "2-digit" });
const full = new Intl.DateTimeFormat(undefined, { dateStyle: "full", timeStyle: "short" });
const weekdayDay = new Intl.DateTimeFormat(undefined, { weekday: "long", month: "long", day: "numeric" });
const withYear = new Intl.DateTimeFormat(undefined, { weekday: "long", year: "numeric", month: "long", day: "numeric" });

export const formatTime = (date: Date): string => time.format(date);
export const formatFull = (date: Date): string => full.format(date);

export function dayKey(date: Date): string {
  return `${date.getFullYear()}-${date.getMonth() + 1}-${date.getDate()}`;
}

export function formatDay(date: Date, now = new Date()): string {
  const today = new Date(now.getFullYear(), now.getMonth(), now.getDate());
  const day = new Date(date.getFullYear(), date.getMonth(), date.getDate());
  const days = Math.round((today.getTime() - day.getTime()) / 86_400_000);
  if (days === 0) return "Today";
  if (days === 1) return "Yesterday";
  return date.getFullYear() === now.getFullYear() ? weekdayDay.format(date) : withYear.format(date);
}

/** One of eight avatar colours, the same for a user everywhere. */
export function avatarClass(userId: number): string {
  return `avatar c${Math.abs(Math.imul(userId ^ 0x5bd1e995, 0x27d4eb2d) >>> 29)}`;
}

export function initial(name: string): string {
  const first = [...name.trim()][0] ?? "?";
  return first.toUpperCase();
}

export function plural(count: number, one: string, many = `${one}s`): string {
  return `${count} ${count === 1 ? one : many}`;
}
