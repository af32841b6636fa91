/**
 * Where the refresh token lives.
 * - `cookie` (the Studio, same origin; CONTRACT §10.3): login and refresh ask the server to
 *   keep the refresh token in the HttpOnly cookie `pacai_refresh` (Path=/v5/auth); the
 *   page never sees it. Refresh is a body-less POST that sends the cookie.
 * - `body` (the desktop admin console on another origin, API clients): the JSON-body flow
 *   of CONTRACT §3.3/3.4 with the refresh token held in memory only.
 * The access token is in memory in both (see session.ts).
 */
import type { TokenResponse } from "../api/types";

export interface RefreshRequestInit {
  body?: string;
  headers: Record<string, string>;
}

export interface AuthStrategy {
  readonly kind: "cookie" | "body";
  /** `credentials` for the auth endpoints (the cookie must travel on refresh and logout). */
  readonly credentials: RequestCredentials;
  loginBody(email: string, password: string): Record<string, unknown>;
  /** The refresh request, or null when there is nothing to refresh with. */
  refreshRequest(): RefreshRequestInit | null;
  /** Keeps what the strategy needs from a login/refresh answer. */
  accept(tokens: TokenResponse): void;
  forget(): void;
}

export function cookieStrategy(): AuthStrategy {
  return {
    kind: "cookie",
    credentials: "same-origin",
    loginBody: (email, password) => ({ email, password, cookie: true }),
    // No body: the server reads the refresh token from the cookie. The header says this is
    // the browser flow, so the rotated token comes back as a cookie too.
    refreshRequest: () => ({ headers: { "X-Pacai-Client": "browser" } }),
    accept: () => undefined,
    forget: () => undefined,
  };
}

export function bodyStrategy(): AuthStrategy {
  let refreshToken: string | null = null;
  return {
    kind: "body",
    credentials: "omit",
    loginBody: (email, password) => ({ email, password }),
    refreshRequest: () =>
      refreshToken === null
        ? null
        : {
            body: JSON.stringify({ refresh_token: refreshToken }),
            headers: { "Content-Type": "application/json" },
          },
    accept: (tokens) => {
      if (tokens.refresh_token) refreshToken = tokens.refresh_token;
    },
    forget: () => {
      refreshToken = null;
    },
  };
}
