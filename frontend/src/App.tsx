import { type ReactNode, StrictMode } from "react";
import { BrowserRouter, Link, Navigate, Route, Routes } from "react-router";
import { QueryProvider } from "./api/query";
import { type AppConfig, ConfigProvider } from "./config";
import { MailboxesPage } from "./mailboxes/MailboxesPage";
import { APITokensPage } from "./organization/APITokensPage";
import { AuditLogPage } from "./organization/AuditLogPage";
import { MicrosoftTenantPage } from "./organization/MicrosoftTenantPage";
import { MigrationPage } from "./organization/MigrationPage";
import { OrgMailboxesPage } from "./organization/OrgMailboxesPage";
import { routes } from "./routes";
import { SequenceStatesPage } from "./sequence-states/SequenceStatesPage";
import { Shell } from "./shell/Shell";
import { SignInPage } from "./signin/SignInPage";
import { Breadcrumb } from "./ui/Breadcrumb";
import { PageHeading } from "./ui/PageHeading";
import { usePageTitle } from "./ui/usePageTitle";

function NotFoundPage() {
  usePageTitle("Page not found");
  return (
    <>
      <Breadcrumb trail={["Settings"]} />
      <PageHeading>Page not found</PageHeading>
      <p className="page-intro">
        There is no page at this address. Go to <Link to={routes.mailboxes}>Mailboxes</Link>.
      </p>
    </>
  );
}

/** The app's routes; the caller provides the router. */
export function AppRoutes() {
  return (
    <Routes>
      <Route path={routes.signIn} element={<SignInPage />} />
      <Route index element={<Navigate to={routes.mailboxes} replace />} />
      <Route path="settings" element={<Navigate to={routes.mailboxes} replace />} />
      <Route element={<Shell />}>
        <Route path={routes.mailboxes} element={<MailboxesPage />} />
        <Route path={routes.sequenceStates} element={<SequenceStatesPage />} />
        <Route path={routes.orgMailboxes} element={<OrgMailboxesPage />} />
        <Route path={routes.migration} element={<MigrationPage />} />
        <Route path={routes.microsoftTenant} element={<MicrosoftTenantPage />} />
        <Route path={routes.apiTokens} element={<APITokensPage />} />
        <Route path={routes.auditLog} element={<AuditLogPage />} />
        <Route path="*" element={<NotFoundPage />} />
      </Route>
    </Routes>
  );
}

/** Everything but the router: configuration and the API client. */
export function AppProviders({ config, children }: { config: AppConfig; children: ReactNode }) {
  return (
    <ConfigProvider value={config}>
      <QueryProvider>{children}</QueryProvider>
    </ConfigProvider>
  );
}

export function App({ config }: { config: AppConfig }) {
  return (
    <StrictMode>
      <BrowserRouter>
        <AppProviders config={config}>
          <AppRoutes />
        </AppProviders>
      </BrowserRouter>
    </StrictMode>
  );
}
