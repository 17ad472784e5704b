import {
  MutationCache,
  QueryCache,
  QueryClient,
  QueryClientProvider,
  useQuery,
  type UseQueryOptions,
  type UseQueryResult,
} from "@tanstack/react-query";
import { type ReactNode, useEffect, useRef, useState } from "react";
import { useLocation, useNavigate } from "react-router";
import { useConfig } from "../config";
import type { TypedDocumentString } from "../gql/graphql";
import { routes, signInPath } from "../routes";
import { ApiError, ErrorCode, isUnauthenticated } from "./errors";
import { executeGraphQL } from "./graphql";

const maxNetworkRetries = 2;

/**
 * Builds the app's QueryClient. Only NETWORK failures are retried: the
 * server's own errors (FORBIDDEN, VALIDATION_FAILED, …) would fail the same
 * way again. Every UNAUTHENTICATED error, from a query or a mutation, calls
 * onUnauthenticated.
 */
export function createQueryClient(onUnauthenticated: () => void): QueryClient {
  const onError = (error: unknown) => {
    if (isUnauthenticated(error)) {
      onUnauthenticated();
    }
  };
  return new QueryClient({
    queryCache: new QueryCache({ onError }),
    mutationCache: new MutationCache({ onError }),
    defaultOptions: {
      queries: {
        staleTime: 30_000,
        retry: (failureCount, error) =>
          error instanceof ApiError &&
          error.code === ErrorCode.Network &&
          failureCount < maxNetworkRetries,
      },
      mutations: { retry: false },
    },
  });
}

/**
 * Provides the QueryClient and sends the user to the sign-in page, with a
 * way back, whenever the server says the session is missing or expired.
 */
export function QueryProvider({ children }: { children: ReactNode }) {
  const navigate = useNavigate();
  const location = useLocation();
  const here = useRef(location);
  useEffect(() => {
    here.current = location;
  }, [location]);

  // The callback reads the ref when a request fails, never during render.
  // eslint-disable-next-line react-hooks/refs
  const [client] = useState(() =>
    createQueryClient(() => {
      const { pathname, search } = here.current;
      if (pathname === routes.signIn) {
        return;
      }
      void navigate(signInPath(pathname + search), { replace: true });
    }),
  );
  return <QueryClientProvider client={client}>{children}</QueryClientProvider>;
}

/** Runs a typed GraphQL query through the app's QueryClient. */
export function useGraphQLQuery<TResult, TVariables>(
  key: readonly unknown[],
  document: TypedDocumentString<TResult, TVariables>,
  variables: TVariables,
  options?: Omit<UseQueryOptions<TResult, ApiError>, "queryKey" | "queryFn">,
): UseQueryResult<TResult, ApiError> {
  const { graphqlPath, csrfHeader } = useConfig();
  return useQuery<TResult, ApiError>({
    ...options,
    queryKey: [...key, variables],
    queryFn: ({ signal }) =>
      executeGraphQL({ path: graphqlPath, csrfHeader }, document, variables, signal),
  });
}
