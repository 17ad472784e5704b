import type { ReactNode } from "react";
import { useViewer } from "../shell/viewer";
import { Breadcrumb } from "../ui/Breadcrumb";
import { PageHeading } from "../ui/PageHeading";

/**
 * Settings > Organization pages are for admins; users who reach one by
 * its address are told so (the API refuses them with FORBIDDEN too).
 */
export function AdminOnly({ page, children }: { page: string; children: ReactNode }) {
  const viewer = useViewer();
  if (!viewer.isAdmin) {
    return (
      <>
        <Breadcrumb trail={["Settings", "Organization", page]} />
        <PageHeading>{page}</PageHeading>
        <div role="alert" className="alert alert--error">
          <p className="alert__title">Only admins of your organization can see this page.</p>
          <p>Ask an admin of your organization if you need it.</p>
        </div>
      </>
    );
  }
  return children;
}
