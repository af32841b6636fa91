/**
 * The app's server reads and writes, each a TanStack Query hook over the typed client.
 * The few places where the OpenAPI document does not (yet) describe the wire — seeds as
 * strings, the world document typed as a string, untyped params/ops/audit entries, and
 * the endpoints still being added — are adapted here and nowhere else.
 */
import { useMutation, useQuery, useQueryClient, type QueryClient } from "@tanstack/react-query";
import { useRuntime } from "../app/context";
import type { Runtime } from "../app/runtime";
import { problemFromBody, toProblem } from "./problem";
import { wireSeed } from "./serialize";
import type {
  AdminUserPatch,
  AuditEntry,
  AuditVerify,
  HealthReport,
  OverrideOp,
  Paths,
  Project,
  User,
  WorldParams,
  WorldResponse,
} from "./types";

export const PAGE_SIZE = 20;

// --- helpers ----------------------------------------------------------------------------

type Key = readonly unknown[];

function projectIdOf(key: Key): string | undefined {
  const init = key[2] as { params?: { path?: { project_id?: string } } } | undefined;
  return init?.params?.path?.project_id;
}

/** Refetches everything cached about one project (and the projects list). */
export function invalidateProject(qc: QueryClient, projectId: string): Promise<void> {
  return qc.invalidateQueries({
    predicate: (q) => {
      const path = q.queryKey[1];
      if (path === "/v5/projects") return true;
      return typeof path === "string" && path.startsWith("/v5/projects/{project_id}") && projectIdOf(q.queryKey) === projectId;
    },
  });
}

/** A request the typed client cannot express yet; errors come back as Problems. */
async function rawJson<T>(runtime: Runtime, method: string, path: string, body?: BodyInit, contentType?: string): Promise<T> {
  const headers: Record<string, string> = {};
  if (contentType) headers["Content-Type"] = contentType;
  const response = await runtime.transport(
    new Request(`${runtime.baseUrl}${path}`, { method, body: body ?? null, headers, credentials: "same-origin" }),
  );
  if (!response.ok) {
    let parsed: unknown;
    try {
      parsed = await response.json();
    } catch {
      parsed = undefined;
    }
    throw toProblem(parsed ?? problemFromBody(response.status, undefined));
  }
  if (response.status === 204) return undefined as T;
  return (await response.json()) as T;
}

// --- auth -------------------------------------------------------------------------------

export function useLogin() {
  const { auth } = useRuntime();
  return useMutation({
    mutationFn: ({ email, password }: { email: string; password: string }) => auth.login(email, password),
  });
}

export function useRegister() {
  return useRuntime().api.useMutation("post", "/v5/auth/register");
}

export function useLogout() {
  const { auth } = useRuntime();
  return useMutation({ mutationFn: () => auth.logout() });
}

// --- projects ---------------------------------------------------------------------------

export function useProjectsPage(cursor: string | null) {
  const { api } = useRuntime();
  return api.useQuery(
    "get",
    "/v5/projects",
    { params: { query: { limit: PAGE_SIZE, cursor } } },
    { select: (page) => ({ items: page.items as unknown as Project[], next_cursor: page.next_cursor }) },
  );
}

export function useProject(projectId: string) {
  const { api } = useRuntime();
  return api.useQuery(
    "get",
    "/v5/projects/{project_id}",
    { params: { path: { project_id: projectId } } },
    { select: (p) => p as unknown as Project },
  );
}

/** The world document (the OpenAPI document types it as a string today; it is JSON). */
export function useWorld(projectId: string, enabled: boolean) {
  const { api } = useRuntime();
  return api.useQuery(
    "get",
    "/v5/projects/{project_id}/world",
    { params: { path: { project_id: projectId } } },
    { enabled, select: (w) => w as unknown as WorldResponse, staleTime: 60_000 },
  );
}

export function useOverrideHistory(projectId: string, cursor: string | null, enabled: boolean) {
  const { api } = useRuntime();
  return api.useQuery(
    "get",
    "/v5/projects/{project_id}/overrides",
    { params: { path: { project_id: projectId }, query: { limit: PAGE_SIZE, cursor } } },
    { enabled },
  );
}

export interface ProjectDraft {
  name: string;
  seed: string;
  params: WorldParams;
}

export function useCreateProject() {
  const { api, queryClient } = useRuntime();
  const mutation = api.useMutation("post", "/v5/projects", {
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ["get", "/v5/projects"] }),
  });
  return {
    ...mutation,
    create: (draft: ProjectDraft) =>
      mutation.mutateAsync({
        // Seeds travel as decimal strings (issue 13); the generated type still says number.
        body: { name: draft.name, seed: wireSeed(draft.seed), params: { ...draft.params } } as unknown as {
          name: string;
        },
      }) as Promise<unknown> as Promise<Project>,
  };
}

export function useRenameProject(projectId: string) {
  const { api, queryClient } = useRuntime();
  const mutation = api.useMutation("patch", "/v5/projects/{project_id}", {
    onSuccess: () => invalidateProject(queryClient, projectId),
  });
  return {
    ...mutation,
    rename: (name: string) => mutation.mutateAsync({ params: { path: { project_id: projectId } }, body: { name } }),
  };
}

export function useDeleteProject(projectId: string) {
  const { api, queryClient } = useRuntime();
  const mutation = api.useMutation("delete", "/v5/projects/{project_id}", {
    onSuccess: () => {
      queryClient.removeQueries({ predicate: (q) => projectIdOf(q.queryKey) === projectId });
      return queryClient.invalidateQueries({ queryKey: ["get", "/v5/projects"] });
    },
  });
  return { ...mutation, remove: () => mutation.mutateAsync({ params: { path: { project_id: projectId } } }) };
}

export function useGenerate(projectId: string) {
  const { api, queryClient } = useRuntime();
  const mutation = api.useMutation("post", "/v5/projects/{project_id}/generate", {
    onSuccess: () => invalidateProject(queryClient, projectId),
  });
  return { ...mutation, generate: () => mutation.mutateAsync({ params: { path: { project_id: projectId } }, body: {} }) };
}

export function useApplyOverride(projectId: string) {
  const { api, queryClient } = useRuntime();
  const mutation = api.useMutation("post", "/v5/projects/{project_id}/overrides", {
    onSuccess: () => invalidateProject(queryClient, projectId),
  });
  return {
    ...mutation,
    apply: (ops: OverrideOp[]) =>
      mutation.mutateAsync({
        params: { path: { project_id: projectId } },
        // The document types ops as free objects; OverrideOp is the contract's union.
        body: { ops: ops as unknown as Record<string, unknown>[] },
      }),
  };
}

// --- health and licence -----------------------------------------------------------------

/**
 * GET /v5/health. A 503 ("down") still carries the report, which is returned as data (the
 * transport passes it through and reports the outage); other failures are errors.
 */
export function healthQuery(runtime: Runtime) {
  return {
    queryKey: ["get", "/v5/health", {}] as const,
    queryFn: async ({ signal }: { signal: AbortSignal }): Promise<HealthReport> => {
      const result = await runtime.client.GET("/v5/health", { signal });
      const { data, error } = result as { data?: unknown; error?: unknown };
      const response = result.response as Response;
      if (data) return data as HealthReport;
      if (response.status === 503 && error && typeof error === "object" && "checks" in error) {
        return error as unknown as HealthReport;
      }
      throw error ?? problemFromBody(response.status, undefined);
    },
  };
}

export function useHealth(refetchInterval: number | false = 30_000) {
  const runtime = useRuntime();
  return useQuery({ ...healthQuery(runtime), refetchInterval, retry: false });
}

export function useLicense(enabled: boolean) {
  const { api } = useRuntime();
  return api.useQuery("get", "/v5/license", {}, { enabled, staleTime: 30_000 });
}

export function useInstallLicense() {
  const runtime = useRuntime();
  const qc = useQueryClient();
  return useMutation({
    // The licence's exact bytes are what its signature covers: send the file unparsed.
    mutationFn: (document: string) => rawJson<unknown>(runtime, "PUT", "/v5/license", document, "application/json"),
    onSuccess: () =>
      qc.invalidateQueries({ predicate: (q) => q.queryKey[1] === "/v5/license" || q.queryKey[1] === "/v5/health" }),
  });
}

// --- admin ------------------------------------------------------------------------------

type UsersQuery = NonNullable<Paths["/v5/admin/users"]["get"]["parameters"]["query"]>;

/** GET /v5/admin/users, with `q` (substring of email or display name; being added, issue 16). */
export function useUsersPage(q: string, cursor: string | null) {
  const { api } = useRuntime();
  const query: UsersQuery & { q?: string } = { limit: PAGE_SIZE, cursor };
  if (q.trim()) query.q = q.trim();
  return api.useQuery("get", "/v5/admin/users", { params: { query } });
}

export function usePatchUser() {
  const { api, queryClient, auth } = useRuntime();
  const mutation = api.useMutation("patch", "/v5/admin/users/{user_id}", {
    onSuccess: (data) => {
      auth.updateUser(data.user);
      return queryClient.invalidateQueries({ queryKey: ["get", "/v5/admin/users"] });
    },
  });
  return {
    ...mutation,
    patch: (user: User, body: AdminUserPatch) => mutation.mutateAsync({ params: { path: { user_id: user.id } }, body }),
  };
}

/** DELETE /v5/admin/users/{id}/sessions -> 204 (being added, issue 16). */
export function useRevokeSessions() {
  const runtime = useRuntime();
  return useMutation({
    mutationFn: (userId: string) => rawJson<void>(runtime, "DELETE", `/v5/admin/users/${encodeURIComponent(userId)}/sessions`),
  });
}

export function useAuditPage(type: string, cursor: string | null) {
  const { api } = useRuntime();
  return api.useQuery(
    "get",
    "/v5/audit",
    { params: { query: { limit: PAGE_SIZE, cursor, type: type || null } } },
    { select: (page) => ({ items: page.items as unknown as AuditEntry[], next_cursor: page.next_cursor }) },
  );
}

export function useAuditVerify() {
  const { api } = useRuntime();
  return api.useQuery("get", "/v5/audit/verify", {}, { enabled: false, select: (v) => v as unknown as AuditVerify, retry: false });
}
