import { errorMessages } from "../api/errors";

interface ErrorAlertProps {
  /** What failed, e.g. "Mailboxes could not be loaded." */
  title: string;
  error: unknown;
  onRetry?: () => void;
}

/** Shows an API failure in the server's words, with an optional retry. */
export function ErrorAlert({ title, error, onRetry }: ErrorAlertProps) {
  const messages = errorMessages(error);
  return (
    <div role="alert" className="alert alert--error">
      <p className="alert__title">{title}</p>
      {messages.length === 1 ? (
        <p>{messages[0]}</p>
      ) : (
        <ul>
          {messages.map((message) => (
            <li key={message}>{message}</li>
          ))}
        </ul>
      )}
      {onRetry && (
        <button type="button" className="button button--secondary" onClick={onRetry}>
          Try again
        </button>
      )}
    </div>
  );
}
