import { render, type RenderResult } from "@testing-library/react";
import type { ReactElement } from "react";
import { MemoryRouter, Route, Routes, useLocation } from "react-router";
import { AppProviders, AppRoutes } from "../App";
import type { AppConfig } from "../config";

export const demoConfig: AppConfig = {
  mode: "demo",
  version: "1.2.3",
  graphqlPath: "/graphql",
  csrfHeader: "X-Mailbridge-CSRF",
  demoSignIn: true,
};

export const productionConfig: AppConfig = { ...demoConfig, mode: "production", demoSignIn: false };

/** Shows the router's current location so tests can assert navigation. */
function LocationProbe() {
  const location = useLocation();
  return <div data-testid="location">{location.pathname + location.search}</div>;
}

/** Renders the whole app (all routes) at `path`. */
export function renderApp(path: string, config: AppConfig = demoConfig): RenderResult {
  return render(
    <MemoryRouter initialEntries={[path]}>
      <AppProviders config={config}>
        <AppRoutes />
        <LocationProbe />
      </AppProviders>
    </MemoryRouter>,
  );
}

/** Renders one element with the app's providers at `path`. */
export function renderWithProviders(
  element: ReactElement,
  { path = "/", config = demoConfig }: { path?: string; config?: AppConfig } = {},
): RenderResult {
  return render(
    <MemoryRouter initialEntries={[path]}>
      <AppProviders config={config}>
        <Routes>
          <Route path="*" element={element} />
        </Routes>
        <LocationProbe />
      </AppProviders>
    </MemoryRouter>,
  );
}
