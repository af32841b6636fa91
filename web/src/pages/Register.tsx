/** Create an account (CONTRACT §3.2), then sign in with it. */
import { useEffect, useRef, useState, type FormEvent } from "react";
import { Link, useNavigate } from "react-router";
import { fieldErrors, toProblem } from "../api/problem";
import { useLogin, useRegister } from "../api/hooks";
import { Button, ProblemAlert, TextField } from "../components/ui";

export function RegisterPage() {
  const register = useRegister();
  const login = useLogin();
  const navigate = useNavigate();
  const [email, setEmail] = useState("");
  const [displayName, setDisplayName] = useState("");
  const [password, setPassword] = useState("");
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => heading.current?.focus(), []);

  const error = register.error ?? login.error;
  const problem = error ? toProblem(error) : null;
  const { byField, other } = fieldErrors(problem, ["email", "password", "display_name"]);

  async function submit(event: FormEvent) {
    event.preventDefault();
    try {
      await register.mutateAsync({
        body: { email: email.trim(), password, display_name: displayName.trim() || null },
      });
      await login.mutateAsync({ email: email.trim(), password });
      navigate("/projects", { replace: true });
    } catch {
      // shown below
    }
  }

  return (
    <main className="auth-page">
      <div className="auth-card">
        <div className="brand brand-large" aria-hidden="true">
          <span className="brand-mark">◆</span> PacAI Studio
        </div>
        <h1 ref={heading} tabIndex={-1}>
          Create your account
        </h1>
        <form onSubmit={submit} noValidate className="stack">
          <TextField
            label="Email"
            type="email"
            autoComplete="email"
            required
            value={email}
            onChange={(e) => setEmail(e.target.value)}
            error={byField.email}
          />
          <TextField
            label="Display name"
            autoComplete="nickname"
            value={displayName}
            onChange={(e) => setDisplayName(e.target.value)}
            error={byField.display_name}
            hint="Optional. Shown to people viewing the same project."
          />
          <TextField
            label="Password"
            type="password"
            autoComplete="new-password"
            required
            minLength={10}
            value={password}
            onChange={(e) => setPassword(e.target.value)}
            error={byField.password}
            hint="At least 10 characters."
          />
          <ProblemAlert error={error} other={other} />
          <Button type="submit" variant="primary" busy={register.isPending || login.isPending} className="btn-block">
            Register
          </Button>
        </form>
        <p className="auth-switch">
          Already have an account? <Link to="/sign-in">Sign in</Link>
        </p>
      </div>
    </main>
  );
}
