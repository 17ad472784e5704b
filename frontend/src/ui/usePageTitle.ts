import { useEffect } from "react";

/** Sets document.title to "<page> · Mailbridge". */
export function usePageTitle(page: string): void {
  useEffect(() => {
    document.title = `${page} · Mailbridge`;
  }, [page]);
}
