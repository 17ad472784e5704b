import { useMutation, useQueryClient } from "@tanstack/react-query";
import { executeGraphQL } from "../api/graphql";
import { useConfig } from "../config";
import { DismissNotificationDocument, type ViewerQuery } from "../gql/graphql";

type Notification = ViewerQuery["viewer"]["notifications"][number];

/**
 * The viewer's notifications as banners above the page (for example an
 * admin's reminder to finish moving to Microsoft Graph), until dismissed.
 */
export function NotificationBanner({
  notifications,
  queryKey,
}: {
  notifications: readonly Notification[] | undefined;
  queryKey: readonly unknown[];
}) {
  const { graphqlPath, csrfHeader } = useConfig();
  const queryClient = useQueryClient();
  const dismiss = useMutation({
    mutationFn: (notificationID: string) =>
      executeGraphQL({ path: graphqlPath, csrfHeader }, DismissNotificationDocument, { input: { notificationID } }),
    onSettled: () => void queryClient.invalidateQueries({ queryKey }),
  });
  const notes = notifications ?? [];
  if (notes.length === 0) return null;
  return (
    <section className="notice-stack" aria-label="Notifications">
      {notes.map((n) => (
        <div key={n.id} className="alert alert--warning notice">
          <p>{n.message}</p>
          <button
            type="button"
            className="button button--secondary"
            disabled={dismiss.isPending}
            onClick={() => dismiss.mutate(n.id)}
          >
            Dismiss
          </button>
        </div>
      ))}
    </section>
  );
}
