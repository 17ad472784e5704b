/**
 * The settings trail, e.g. "Settings > You > Mailboxes", in the help
 * article's words. The separators are text so the trail reads the same when
 * copied, and hidden from screen readers, which announce the list instead.
 */
export function Breadcrumb({ trail }: { trail: readonly string[] }) {
  return (
    <nav aria-label="Breadcrumb" className="breadcrumb">
      <ol>
        {trail.map((item, index) => {
          const isLast = index === trail.length - 1;
          return (
            <li key={item} aria-current={isLast ? "page" : undefined}>
              {item}
              {!isLast && (
                <span className="breadcrumb__separator" aria-hidden="true">
                  {" > "}
                </span>
              )}
            </li>
          );
        })}
      </ol>
    </nav>
  );
}
