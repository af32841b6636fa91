/** React access to the runtime and its stores. */
import { QueryClientProvider } from "@tanstack/react-query";
import { createContext, useContext, useSyncExternalStore, type ReactNode } from "react";
import type { Connectivity } from "../api/connectivity";
import type { BudgetState } from "../api/ratelimit";
import type { AuthState } from "../auth/session";
import type { Runtime } from "./runtime";

const RuntimeContext = createContext<Runtime | null>(null);

export function RuntimeProvider({ runtime, children }: { runtime: Runtime; children: ReactNode }) {
  return (
    <RuntimeContext.Provider value={runtime}>
      <QueryClientProvider client={runtime.queryClient}>{children}</QueryClientProvider>
    </RuntimeContext.Provider>
  );
}

export function useRuntime(): Runtime {
  const runtime = useContext(RuntimeContext);
  if (!runtime) throw new Error("useRuntime outside RuntimeProvider");
  return runtime;
}

export function useApi() {
  return useRuntime().api;
}

export function useAuthState(): AuthState {
  const { auth } = useRuntime();
  return useSyncExternalStore(auth.subscribe, auth.getSnapshot);
}

export function useBudgets(): BudgetState {
  const { budgets } = useRuntime();
  return useSyncExternalStore(budgets.subscribe, budgets.getSnapshot);
}

export function useConnectivity(): Connectivity {
  const { connectivity } = useRuntime();
  return useSyncExternalStore(connectivity.subscribe, connectivity.getSnapshot);
}
