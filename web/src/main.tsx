/** The Studio's entry: same-origin API, refresh token in the HttpOnly cookie. */
import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { devBodyAuth } from "./app/devFlags";
import { createRuntime } from "./app/runtime";
import { StudioApp } from "./app/StudioApp";
import { bodyStrategy, cookieStrategy } from "./auth/strategies";
import "./styles.css";

const runtime = createRuntime({
  baseUrl: "",
  strategy: devBodyAuth() ? bodyStrategy() : cookieStrategy(),
  shareSignOut: true,
});

const root = document.getElementById("root");
if (root) {
  createRoot(root).render(
    <StrictMode>
      <StudioApp runtime={runtime} />
    </StrictMode>,
  );
}
