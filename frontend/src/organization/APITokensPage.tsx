import { useMutation, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useId, useState } from "react";
import { executeGraphQL } from "../api/graphql";
import { useGraphQLQuery } from "../api/query";
import { useConfig } from "../config";
import { formatDateTime } from "../format";
import {
  CreateApiTokenDocument,
  OrganizationApiTokensDocument,
  OrganizationUsersDocument,
  RevokeApiTokenDocument,
} from "../gql/graphql";
import { useViewer } from "../shell/viewer";
import { Breadcrumb } from "../ui/Breadcrumb";
import { ErrorAlert } from "../ui/ErrorAlert";
import { Loading } from "../ui/Loading";
import { PageHeading } from "../ui/PageHeading";
import { usePageTitle } from "../ui/usePageTitle";
import { AdminOnly } from "./AdminOnly";

const tokensKey = ["apiTokens"] as const;

const expiries = {
  "30": "30 days",
  "90": "90 days",
  "365": "1 year",
  never: "Never (until revoked)",
} as const;
type Expiry = keyof typeof expiries;

function isExpiry(v: string): v is Expiry {
  return Object.hasOwn(expiries, v);
}

/** The new token, shown once, with a copy button. */
function NewToken({ name, token, onDone }: { name: string; token: string; onDone: () => void }) {
  const [copied, setCopied] = useState<boolean | null>(null);
  const id = useId();
  return (
    <div className="alert alert--success" role="status">
      <p className="alert__title">API token “{name}” created</p>
      <p>Copy it now: Mailbridge shows it only once.</p>
      <label htmlFor={id} className="visually-hidden">
        New API token
      </label>
      <input id={id} className="token-value" readOnly value={token} onFocus={(e) => e.target.select()} />
      <div className="button-row">
        <button
          type="button"
          className="button button--primary"
          onClick={() => {
            navigator.clipboard.writeText(token).then(
              () => setCopied(true),
              () => setCopied(false),
            );
          }}
        >
          Copy
        </button>
        <button type="button" className="button button--secondary" onClick={onDone}>
          Done
        </button>
      </div>
      <p aria-live="polite">
        {copied === true && "Copied."}
        {copied === false && "Your browser did not allow copying: select the token and copy it yourself."}
      </p>
    </div>
  );
}

function APITokens() {
  usePageTitle("API tokens");
  const viewer = useViewer();
  const { graphqlPath, csrfHeader } = useConfig();
  const queryClient = useQueryClient();
  const ids = { name: useId(), user: useId(), expiry: useId(), heading: useId() };
  const tokens = useGraphQLQuery(tokensKey, OrganizationApiTokensDocument, {});
  const users = useGraphQLQuery(["orgUsers"], OrganizationUsersDocument, {});
  const [name, setName] = useState("");
  const [userID, setUserID] = useState("");
  const [expiry, setExpiry] = useState<Expiry>("90");
  const [created, setCreated] = useState<{ name: string; token: string } | null>(null);

  const create = useMutation({
    mutationFn: () => {
      const expiresAt =
        expiry === "never" ? null : new Date(Date.now() + Number(expiry) * 24 * 3600 * 1000).toISOString();
      return executeGraphQL({ path: graphqlPath, csrfHeader }, CreateApiTokenDocument, {
        input: { name: name.trim(), userID: userID === "" ? null : userID, expiresAt },
      });
    },
    onSuccess: (data) => {
      setCreated({ name: data.createAPIToken.apiToken.name, token: data.createAPIToken.token });
      setName("");
      void queryClient.invalidateQueries({ queryKey: tokensKey });
    },
  });
  const revoke = useMutation({
    mutationFn: (apiTokenID: string) =>
      executeGraphQL({ path: graphqlPath, csrfHeader }, RevokeApiTokenDocument, { input: { apiTokenID } }),
    onSettled: () => void queryClient.invalidateQueries({ queryKey: tokensKey }),
  });
  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    create.mutate();
  };
  const userOptions = (users.data?.users.edges ?? []).flatMap((e) => (e?.node ? [e.node] : []));
  const list = tokens.data?.apiTokens ?? [];
  const tz = viewer.user.timeZone;

  return (
    <>
      <Breadcrumb trail={["Settings", "Organization", "API tokens"]} />
      <PageHeading>API tokens</PageHeading>
      <p className="page-intro">
        Partner integrations call the Mailbridge API with a token that acts as one user of your
        organization. Revoke a token to stop it at once.
      </p>
      <form className="form-card" onSubmit={onSubmit} aria-labelledby={ids.heading}>
        <h2 id={ids.heading} className="section__title">
          Create an API token
        </h2>
        <div className="filters">
          <div className="filters__field">
            <label htmlFor={ids.name}>Name</label>
            <input id={ids.name} required maxLength={100} value={name} onChange={(e) => setName(e.target.value)} />
          </div>
          <div className="filters__field">
            <label htmlFor={ids.user}>Acts as</label>
            <select id={ids.user} value={userID} onChange={(e) => setUserID(e.target.value)}>
              <option value="">You ({viewer.user.name})</option>
              {userOptions
                .filter((u) => u.id !== viewer.user.id)
                .map((u) => (
                  <option key={u.id} value={u.id}>
                    {u.name} ({u.email})
                  </option>
                ))}
            </select>
          </div>
          <div className="filters__field">
            <label htmlFor={ids.expiry}>Expires after</label>
            <select
              id={ids.expiry}
              value={expiry}
              onChange={(e) => {
                if (isExpiry(e.target.value)) setExpiry(e.target.value);
              }}
            >
              {Object.entries(expiries).map(([k, label]) => (
                <option key={k} value={k}>
                  {label}
                </option>
              ))}
            </select>
          </div>
        </div>
        <button type="submit" className="button button--primary" disabled={create.isPending || name.trim() === ""}>
          Create token
        </button>
        {create.isError && <ErrorAlert title="The token could not be created." error={create.error} />}
      </form>
      {created !== null && <NewToken name={created.name} token={created.token} onDone={() => setCreated(null)} />}
      {tokens.isPending && <Loading label="Loading API tokens…" />}
      {tokens.isError && !tokens.error.isUnauthenticated && (
        <ErrorAlert title="API tokens could not be loaded." error={tokens.error} onRetry={() => void tokens.refetch()} />
      )}
      {revoke.isError && <ErrorAlert title="The token could not be revoked." error={revoke.error} />}
      {tokens.data !== undefined && list.length === 0 && (
        <div className="empty">
          <p className="empty__title">No API tokens yet</p>
          <p>Create one above for a partner integration.</p>
        </div>
      )}
      {list.length > 0 && (
        <div className="table-wrap" tabIndex={0}>
          <table className="table" aria-label="API tokens">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Acts as</th>
                <th scope="col">Created</th>
                <th scope="col">Expires</th>
                <th scope="col">Last used</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {list.map((tok) => {
                const expired = tok.expiresAt != null && new Date(tok.expiresAt) <= new Date();
                return (
                  <tr key={tok.id}>
                    <td>
                      <span className="cell-primary">{tok.name}</span>
                      <span className="cell-secondary">{tok.prefix}…</span>
                    </td>
                    <td>{tok.user.name}</td>
                    <td className="table__nowrap">{formatDateTime(tok.createdAt, tz)}</td>
                    <td className="table__nowrap">
                      {tok.expiresAt != null ? formatDateTime(tok.expiresAt, tz) : "Never"}
                      {expired && <span className="cell-secondary">Expired</span>}
                    </td>
                    <td className="table__nowrap">{tok.lastUsedAt != null ? formatDateTime(tok.lastUsedAt, tz) : "Never"}</td>
                    <td>
                      {tok.revokedAt != null ? (
                        <span className="pill pill--failed">Revoked {formatDateTime(tok.revokedAt, tz)}</span>
                      ) : (
                        <button
                          type="button"
                          className="button button--secondary"
                          aria-label={`Revoke ${tok.name}`}
                          disabled={revoke.isPending}
                          onClick={() => revoke.mutate(tok.id)}
                        >
                          Revoke
                        </button>
                      )}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}

/** Settings > Organization > API tokens (admins only). */
export function APITokensPage() {
  return (
    <AdminOnly page="API tokens">
      <APITokens />
    </AdminOnly>
  );
}
