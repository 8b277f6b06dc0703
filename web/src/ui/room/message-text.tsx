// A message's text with its light formatting, as DOM nodes (see text/markup.ts).
import type { ComponentChildren } from "preact";
import { parseMessage, type Inline } from "../../text/markup";

export function MessageText({ content, me, children }: { content: string; me: string; children?: ComponentChildren }) {
  const blocks = parseMessage(content);
  const self = me.toLowerCase();
  return (
    <div class="message-text">
      {blocks.map((block) =>
        block.kind === "pre" ? (
          <pre class="code-block">
            <code>{block.text}</code>
          </pre>
        ) : (
          <Inlines nodes={block.children} self={self} />
        ),
      )}
      {children}
    </div>
  );
}

function Inlines({ nodes, self }: { nodes: Inline[]; self: string }) {
  return (
    <>
      {nodes.map((node) => {
        switch (node.kind) {
          case "text":
            return node.text;
          case "code":
            return <code class="inline-code">{node.text}</code>;
          case "link":
            return (
              <a href={node.href} target="_blank" rel="noopener noreferrer nofollow">
                {node.text}
              </a>
            );
          case "mention":
            return <span class={node.name.toLowerCase() === self ? "mention mention-me" : "mention"}>{node.text}</span>;
          case "strong":
            return (
              <strong>
                <Inlines nodes={node.children} self={self} />
              </strong>
            );
          case "em":
            return (
              <em>
                <Inlines nodes={node.children} self={self} />
              </em>
            );
        }
      })}
    </>
  );
}
