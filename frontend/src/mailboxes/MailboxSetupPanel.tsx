import { type KeyboardEvent, useEffect, useRef } from "react";
import type { Mailbox } from "./MailboxRow";

interface MailboxSetupPanelProps {
  id: string;
  mailbox: Mailbox;
  title: string;
  onClose: () => void;
}

/**
 * What "Edit" / "Set up account" leads to: the help article's steps for
 * connecting this mailbox through Microsoft Graph. Connecting from this page
 * is not available yet, and the panel says so instead of pretending.
 */
export function MailboxSetupPanel({ id, mailbox, title, onClose }: MailboxSetupPanelProps) {
  const headingRef = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    headingRef.current?.focus();
  }, []);

  const onKeyDown = (event: KeyboardEvent<HTMLElement>) => {
    if (event.key === "Escape") {
      event.stopPropagation();
      onClose();
    }
  };

  const headingID = `${id}-heading`;
  return (
    <section id={id} className="panel" aria-labelledby={headingID} onKeyDown={onKeyDown}>
      <h3 id={headingID} ref={headingRef} tabIndex={-1} className="panel__title">
        {title}
      </h3>
      <p>To connect this mailbox through Microsoft Graph:</p>
      <ol className="panel__steps">
        <li>
          Select <strong>Office 365 OAuth (recommended)</strong> in the{" "}
          <strong>Email Provider</strong> drop-down list.
        </li>
        <li>
          Click <strong>Connect with Office 365</strong> and sign in to Microsoft as{" "}
          {mailbox.address}. Click <strong>Accept</strong> to give consent; if your organization
          requires an administrator's consent, click <strong>Request approval</strong>.
        </li>
        <li>
          When the mailbox shows <strong>Connected</strong>, enable Syncing and Sending with their
          toggles and save the mailbox settings.
        </li>
      </ol>
      <p className="panel__note" role="note">
        The Email Provider settings are not available on this page yet. Nothing about this mailbox
        has changed.
      </p>
      <button type="button" className="button button--secondary" onClick={onClose}>
        Close
      </button>
    </section>
  );
}
