import { type ReactNode, useEffect, useRef } from "react";

/**
 * The page's h1. It takes focus when the page mounts so that keyboard and
 * screen-reader users land on the new page after a client-side navigation.
 */
export function PageHeading({ children, id }: { children: ReactNode; id?: string }) {
  const ref = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    ref.current?.focus({ preventScroll: true });
  }, []);
  return (
    <h1 ref={ref} tabIndex={-1} className="page-heading" id={id}>
      {children}
    </h1>
  );
}
