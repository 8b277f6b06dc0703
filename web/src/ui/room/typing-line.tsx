// "alice is typing…": its line is always there, so the composer never moves when it appears.
export function TypingLine({ names }: { names: string[] }) {
  let text = "";
  if (names.length === 1) text = `${names[0]} is typing…`;
  else if (names.length === 2) text = `${names[0]} and ${names[1]} are typing…`;
  else if (names.length > 2) text = `${names.length} people are typing…`;
  return <p class="typing">{text}</p>;
}
