/** Sign in (shared by the Studio and the admin console). */
import { useEffect, useRef, useState, type FormEvent } from "react";
import { Link, useLocation, useNavigate } from "react-router";
import { fieldErrors, toProblem } from "../api/problem";
import { useLogin } from "../api/hooks";
import { useAuthState } from "../app/context";
import { Button, Countdown, Notice, ProblemAlert, TextField } from "../components/ui";

const ENDED: Record<string, string> = {
  expired: "Your session has ended. Please sign in again.",
  revoked: "Your session was ended by an administrator.",
  "signed-out": "You have signed out.",
};

export function SignInPage({ registerPath = "/register", home = "/projects" }: { registerPath?: string | null; home?: string }) {
  const login = useLogin();
  const { status, ended } = useAuthState();
  const navigate = useNavigate();
  const location = useLocation();
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [blockedUntil, setBlockedUntil] = useState<number | undefined>();
  const heading = useRef<HTMLHeadingElement>(null);
  const next = (location.state as { from?: string } | null)?.from ?? home;

  useEffect(() => {
    if (status === "signed-in") navigate(next, { replace: true });
  }, [status, navigate, next]);
  useEffect(() => heading.current?.focus(), []);

  const problem = login.error ? toProblem(login.error) : null;
  const { byField, other } = fieldErrors(problem, ["email", "password"]);

  async function submit(event: FormEvent) {
    event.preventDefault();
    try {
      await login.mutateAsync({ email: email.trim(), password });
    } catch (error) {
      const p = toProblem(error);
      if (p.status === 429) setBlockedUntil(Date.now() + (p.retryAfter ?? 60) * 1000);
    }
  }

  const limited = problem?.status === 429;
  return (
    <main className="auth-page">
      <div className="auth-card">
        <div className="brand brand-large" aria-hidden="true">
          <span className="brand-mark">◆</span> PacAI Studio
        </div>
        <h1 ref={heading} tabIndex={-1}>
          Sign in
        </h1>
        {ended && ENDED[ended] && <Notice tone={ended === "signed-out" ? "info" : "warning"}>{ENDED[ended]}</Notice>}
        <form onSubmit={submit} noValidate className="stack">
          <TextField
            label="Email"
            type="email"
            autoComplete="username"
            required
            value={email}
            onChange={(e) => setEmail(e.target.value)}
            error={byField.email}
          />
          <TextField
            label="Password"
            type="password"
            autoComplete="current-password"
            required
            value={password}
            onChange={(e) => setPassword(e.target.value)}
            error={byField.password}
          />
          {limited ? (
            <Countdown untilMs={blockedUntil} label="Too many sign-in attempts." />
          ) : (
            <ProblemAlert error={login.error} other={other} />
          )}
          <Button type="submit" variant="primary" busy={login.isPending} className="btn-block">
            Sign in
          </Button>
        </form>
        {registerPath && (
          <p className="auth-switch">
            New to PacAI? <Link to={registerPath}>Create an account</Link>
          </p>
        )}
      </div>
    </main>
  );
}
