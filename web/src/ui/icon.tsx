// Stroke icons, drawn from a few paths each. Decorative (aria-hidden): the control that holds
// one carries the label.
const paths = {
  send: ["M3.4 20.4 21 12 3.4 3.6l.1 6.5L16 12 3.5 13.9z"],
  plus: ["M12 5v14", "M5 12h14"],
  back: ["M15 18l-6-6 6-6"],
  hash: ["M5 9h14", "M4 15h14", "M10 3 8 21", "M16 3l-2 18"],
  users: ["M16 21v-2a4 4 0 0 0-4-4H6a4 4 0 0 0-4 4v2", "M9 11a4 4 0 1 0 0-8 4 4 0 0 0 0 8z", "M22 21v-2a4 4 0 0 0-3-3.9", "M16 3.1a4 4 0 0 1 0 7.8"],
  logout: ["M9 21H5a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2h4", "M16 17l5-5-5-5", "M21 12H9"],
  down: ["M12 5v14", "M19 12l-7 7-7-7"],
  alert: ["M12 9v4", "M12 17h.01", "M10.3 3.9 1.8 18a2 2 0 0 0 1.7 3h17a2 2 0 0 0 1.7-3L13.7 3.9a2 2 0 0 0-3.4 0z"],
  wifiOff: ["M2 2l20 20", "M8.5 16.4a5 5 0 0 1 7 0", "M5 12.9a10 10 0 0 1 5.2-2.8", "M19 12.9a10 10 0 0 0-2.3-1.7", "M1.4 9a16 16 0 0 1 4.7-2.9", "M10.7 5.1A16 16 0 0 1 22.6 9", "M12 20h.01"],
  close: ["M18 6 6 18", "M6 6l12 12"],
  check: ["M20 6 9 17l-5-5"],
  smile: ["M12 21a9 9 0 1 0 0-18 9 9 0 0 0 0 18z", "M8 14s1.5 2 4 2 4-2 4-2", "M9 9h.01", "M15 9h.01"],
  edit: ["M12 20h9", "M16.5 3.5a2.1 2.1 0 0 1 3 3L7 19l-4 1 1-4z"],
  trash: ["M3 6h18", "M8 6V4a2 2 0 0 1 2-2h4a2 2 0 0 1 2 2v2", "M19 6l-1 14a2 2 0 0 1-2 2H8a2 2 0 0 1-2-2L5 6", "M10 11v6", "M14 11v6"],
  search: ["M11 19a8 8 0 1 0 0-16 8 8 0 0 0 0 16z", "M21 21l-4.3-4.3"],
  bell: ["M18 8a6 6 0 0 0-12 0c0 7-3 9-3 9h18s-3-2-3-9", "M13.7 21a2 2 0 0 1-3.4 0"],
  at: ["M12 16a4 4 0 1 0 0-8 4 4 0 0 0 0 8z", "M16 8v5a3 3 0 0 0 6 0v-1a10 10 0 1 0-4 8"],
  up: ["M12 19V5", "M5 12l7-7 7 7"],
} satisfies Record<string, string[]>;

export type IconName = keyof typeof paths;

export function Icon({ name, class: className = "icon" }: { name: IconName; class?: string }) {
  return (
    <svg viewBox="0 0 24 24" class={className} aria-hidden="true" focusable="false">
      {paths[name].map((d) => (
        <path d={d} />
      ))}
    </svg>
  );
}
