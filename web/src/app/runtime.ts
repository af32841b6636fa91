/**
 * Everything one connection to a pacai server needs, created once per app (the Studio:
 * same origin; the desktop console: a URL chosen at run time). The API base URL is a
 * runtime value, never a build constant.
 */
import { QueryClient } from "@tanstack/react-query";
import createClient, { type Client } from "openapi-fetch";
import createQueryClient, { type OpenapiQueryClient } from "openapi-react-query";
import { ConnectivityStore } from "../api/connectivity";
import { toProblem } from "../api/problem";
import { BudgetStore } from "../api/ratelimit";
import type { paths } from "../api/schema";
import { serializeBody } from "../api/serialize";
import { createTransport, type Fetch } from "../api/transport";
import { AuthSession, broadcastChannel } from "../auth/session";
import type { AuthStrategy } from "../auth/strategies";

export interface Runtime {
  baseUrl: string;
  auth: AuthSession;
  budgets: BudgetStore;
  connectivity: ConnectivityStore;
  client: Client<paths>;
  api: OpenapiQueryClient<paths>;
  /** The authenticated fetch, for the few calls the typed client cannot describe yet. */
  transport: Fetch;
  queryClient: QueryClient;
}

export interface RuntimeOptions {
  baseUrl: string;
  strategy: AuthStrategy;
  /** Cross-tab sign-out (the Studio); off for the console. */
  shareSignOut?: boolean;
}

export function createRuntime({ baseUrl, strategy, shareSignOut = false }: RuntimeOptions): Runtime {
  const base = baseUrl.replace(/\/+$/, "");
  const auth = new AuthSession({
    baseUrl: base,
    strategy,
    channel: shareSignOut ? broadcastChannel("pacai-auth") : null,
  });
  const budgets = new BudgetStore();
  const connectivity = new ConnectivityStore();
  const transport = createTransport({ auth, budgets, connectivity });
  const client = createClient<paths>({
    baseUrl: base,
    fetch: transport,
    credentials: strategy.credentials === "same-origin" ? "same-origin" : "omit",
    bodySerializer: serializeBody,
  });
  const queryClient = new QueryClient({
    defaultOptions: {
      queries: {
        staleTime: 10_000,
        refetchOnWindowFocus: true,
        refetchOnReconnect: true,
        // Outages and 5xx retry (and the connectivity banner probes); 4xx never do.
        retry: (count, error) => {
          const p = toProblem(error);
          return (p.kind === "network" || p.status >= 500) && count < 3;
        },
        retryDelay: (attempt) => Math.min(8_000, 500 * 2 ** attempt),
      },
      mutations: { retry: false },
    },
  });
  auth.subscribe(() => {
    if (auth.getSnapshot().status === "signed-out") {
      queryClient.clear();
      budgets.reset();
    }
  });
  return { baseUrl: base, auth, budgets, connectivity, client, api: createQueryClient(client), transport, queryClient };
}
